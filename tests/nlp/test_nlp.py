"""Topic and intent classifiers, urgency, similarity: behaviour and held-out accuracy."""

from __future__ import annotations

import pytest

from nlp import similarity, urgent
from nlp.intents import INTENTS, understand
from nlp.topics import TOPICS, classify, topic_of_label
from nlp.train import read_tsv
from tests.support import DATA, ROOT


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("私家车越来越多,要规划好停车位,不能停得横七竖八的。", "parking"),
        ("电梯又坏了,老人上下楼太难了", "repairs"),
        ("楼下广场舞音响太吵,晚上十点还不停", "noise"),
        ("垃圾桶满了好几天没人清", "sanitation"),
        ("希望给独居老人送餐上门", "elderly"),
        ("儿童滑梯坏了,小朋友差点摔下来", "children"),
        ("物业收费不透明,维修基金花到哪了", "property"),
    ],
)
def test_topics_of_typical_messages(text: str, topic: str) -> None:
    found = classify(text)
    assert found.topic == topic
    assert 0 < found.confidence <= 1
    assert all(k in text for k in found.keywords)


@pytest.mark.parametrize("text", ["", "   ", "😀😀", "。。。!!!"])
def test_nothing_to_classify(text: str) -> None:
    found = classify(text)
    assert (found.topic, found.confidence, found.keywords) == ("other", 0.0, ())


def test_topic_labels_map_back() -> None:
    assert topic_of_label("绿化") == "greenery" and topic_of_label("parking") == "parking"
    assert topic_of_label("不存在") is None
    assert len(TOPICS) == 13


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("食堂的菜太咸了", "suggestion"),
        ("订两份午饭", "meal_order"),
        ("希望活动能多办几次", "suggestion"),
        ("明天中午订两份饭,送到家里", "meal_order"),
        ("明天的饭不要了", "meal_cancel"),
        ("今天吃什么", "meal_menu"),
        ("最近有什么活动", "event_list"),
        ("我想参加亲子画画活动", "event_signup"),
        ("取消报名", "event_cancel"),
        ("帮助", "help"),
    ],
)
def test_intents(text: str, intent: str) -> None:
    assert understand(text).intent == intent


def test_status_says_what_it_is_about() -> None:
    assert understand("查一下我订的饭").slots == {"about": "orders"}
    assert understand("我报了哪些活动").slots == {"about": "signups"}


def test_blank_is_a_suggestion_with_no_confidence() -> None:
    assert understand("  ").confidence == 0.0 and understand("").intent == "suggestion"


# Held-out sets written without seeing the training data. These guard against regressions;
# the figures themselves are printed by bench/accuracy.py.
@pytest.mark.parametrize(
    ("name", "floor"), [("blind-topics.tsv", 0.85), ("blind-topics-2.tsv", 0.88)]
)
def test_topic_accuracy_on_held_out_sets(name: str, floor: float) -> None:
    rows = read_tsv(DATA / name)
    hits = sum(classify(text).topic == label for label, text in rows)
    assert hits / len(rows) >= floor


@pytest.mark.parametrize("name", ["blind-intents.tsv", "blind-intents-2.tsv"])
def test_intent_accuracy_on_held_out_sets(name: str) -> None:
    rows = [r for r in read_tsv(DATA / name) if r[0] in INTENTS]
    hits = sum(understand(text).intent == label for label, text in rows)
    assert hits / len(rows) >= 0.93


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("救命 电梯困人了 我被关在里面", "elevator"),
        ("楼道里好大一股煤气味", "gas"),
        ("3栋着火了!", "fire"),
        ("我妈在家摔倒了起不来了", "fall"),
        ("有人被狗咬伤了在流血", "bleeding"),
        ("电梯困人了,好怕", "elevator"),
        ("救命!着火了,我好怕", "fire"),
        ("我妈摔倒了起不来了,我很担心", "fall"),
        ("厨房闻到燃气味,应该怎么办", "gas"),
        ("3号楼电梯停了,我在里面出不去", "elevator"),
        ("上个月也停过水。现在楼下着火了", "fire"),
    ],
)
def test_urgent_messages(text: str, kind: str) -> None:
    found = urgent.detect(text)
    assert found is not None and found.kind == kind


@pytest.mark.parametrize(
    "text",
    [
        "上次电梯困人的事,希望物业加强维护",
        "电动车在楼下飞线充电存在火灾隐患",
        "建议开展消防演练,防止着火",
        "停车位太少了",
    ],
)
def test_not_urgent(text: str) -> None:
    assert urgent.detect(text) is None


SAME_PROBLEM = [
    ("小区停车位太少了,晚上回来没地方停车", "停车位不够用,晚上回家找不到地方停车"),
    ("3栋的电梯又坏了", "3栋电梯坏了好几天了,没人修"),
    ("垃圾桶满了没人清理,臭死了", "垃圾桶一直没人清理,很臭"),
    ("广场舞音响太吵了", "晚上广场舞的音响声音太大太吵"),
]
DIFFERENT_PROBLEM = [
    ("小区停车位太少了,晚上回来没地方停车", "充电桩只有两个,电动汽车排队充电要等一晚上"),
    ("3栋的电梯又坏了", "楼道窗户玻璃碎了一直没换"),
    ("垃圾桶满了没人清理,臭死了", "蟑螂太多了,希望统一做一次消杀"),
    ("广场舞音响太吵了", "楼上装修电钻声从早到晚"),
]


@pytest.mark.parametrize(("a", "b"), SAME_PROBLEM)
def test_same_problem_is_similar(a: str, b: str) -> None:
    assert similarity.similarity(similarity.terms(a), similarity.terms(b)) >= similarity.THRESHOLD


@pytest.mark.parametrize(("a", "b"), DIFFERENT_PROBLEM)
def test_different_problems_are_not(a: str, b: str) -> None:
    assert similarity.similarity(similarity.terms(a), similarity.terms(b)) < similarity.THRESHOLD


def test_similarity_edges() -> None:
    assert similarity.similarity([], ["a"]) == 0.0
    assert similarity.similarity(["a", "b"], ["a", "b"]) == 1.0


def test_meal_order_slots_on_the_held_out_set() -> None:
    import importlib.util

    path = ROOT / "bench" / "meal_slots.py"
    spec = importlib.util.spec_from_file_location("meal_slots", path)
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    for path in bench.SETS.values():
        intent_accuracy, slot_match, misses = bench.measure(path)
        assert intent_accuracy >= 0.95 and slot_match >= 0.9, "\n".join(misses)


def test_meal_numbers_and_words() -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from nlp.meals import chinese_number, order_slots, quantity

    assert [chinese_number(t) for t in ("3", "十", "十二", "二十", "俩", "两")] == [
        3,
        10,
        12,
        20,
        2,
        2,
    ]
    assert chinese_number("三份") is None
    assert quantity("订0份") == 0 and quantity("要100份午饭") == 100 and quantity("订-2份") == -2
    now = datetime(2026, 11, 25, 8, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert order_slots("送到3栋2单元502 订一份", now)["quantity"] == 1
    assert order_slots("午饭不用送", now)["delivery"] is False
    assert understand("明天的菜单", now=now).slots == {"date": "2026-11-26"}
