"""WeChat end to end over real HTTP: WeChat's side played from Tencent's published algorithm.

linli's callback runs in uvicorn on 127.0.0.1; the tests POST to it as WeChat does (signed,
plain or AES-encrypted) and read its passive replies; what linli sends later goes to a fake of
WeChat's HTTP API. Neither fake uses wechatpy.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import App
from bot.channels.wechat.channel import WeChatChannel
from bot.delivery.sender import deliver_due
from storage.models import OutboxMessage, Resident, Suggestion
from tests.peers.wechat_api_fake import FakeWeChatAPI
from tests.peers.wechat_peer import WeChatPeer, signature
from tests.support import DATA
from tests.support.wechat import USER, Linli, _start

VECTOR = json.loads((DATA / "wechat-callback-vector.json").read_text())


@pytest.fixture
async def linli(db_url: str, api: FakeWeChatAPI, tmp_path: Path) -> AsyncIterator[Linli]:
    async for running in _start(db_url, api, tmp_path):
        yield running


async def test_url_verification(linli: Linli) -> None:
    params = linli.peer.verify_params("echo-1234567")
    answer = await linli.http.get(linli.peer.base_url, params=params)
    assert answer.status_code == 200 and answer.text == "echo-1234567"
    params["signature"] = "0" * 40
    assert (await linli.http.get(linli.peer.base_url, params=params)).status_code == 403


@pytest.mark.parametrize("safe", [False, True], ids=["plain", "safe"])
async def test_a_text_suggestion_and_a_numbered_answer(linli: Linli, safe: bool) -> None:
    linli.safe = safe
    answer = await linli.say("私家车越来越多,要规划好停车位,不能停得横七竖八的。", 1001)
    assert "已收到您的建议(编号 1,分类:停车)" in answer
    assert "回复 1 分类不对,2 撤回" in answer
    topics = await linli.say("1", 1002)
    assert "请选择正确的分类" in topics or "绿化" in topics
    assert "已改为分类:绿化" in await linli.say("绿化", 1003)


async def test_tencents_own_vector_is_accepted(db_url, api, tmp_path) -> None:
    v = VECTOR
    async for linli in _start(
        db_url,
        api,
        tmp_path,
        token=v["token"],
        encoding_aes_key=v["encoding_aes_key"],
        appid=v["appid"],
        mode="safe",
        max_clock_skew_seconds=0,  # the vector was signed in 2014
    ):
        peer = WeChatPeer(v["token"], v["appid"], v["encoding_aes_key"], linli.peer.base_url)
        query = {
            "signature": signature(v["token"], v["timestamp"], v["nonce"]),
            "timestamp": v["timestamp"],
            "nonce": v["nonce"],
            "encrypt_type": "aes",
            "msg_signature": v["msg_signature"],
        }
        body = (
            f"<xml><ToUserName><![CDATA[{v['to_user_name']}]]></ToUserName>"
            f"<Encrypt><![CDATA[{v['encrypt']}]]></Encrypt></xml>"
        )
        response = await linli.http.post(peer.base_url, params=query, content=body.encode())
        assert response.status_code == 200
        reply = peer.read_reply(response.text, safe=True)
        assert reply["ToUserName"] == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
        assert reply["FromUserName"] == v["to_user_name"]
        # A plaintext message is refused in safe mode.
        query, body = peer.plain_request(peer.text_xml("oX", "你好", 1))
        refused = await linli.http.post(peer.base_url, params=query, content=body.encode())
        assert refused.status_code == 403


async def test_voice_recognition_is_the_text(linli: Linli) -> None:
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from storage import canteen, communities
    from storage.engine import transaction

    tomorrow = datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=1)
    async with transaction(linli.app.maker) as session:
        community = await communities.ensure_default(session)
        await canteen.set_menu(session, community.id, tomorrow, "lunch", "红烧肉、米饭", 1000)
    xml = linli.peer.voice_xml(USER, "media-v1", "我要订两份明天的午饭。", 2001)
    reply = linli.peer.read_reply((await linli.post(xml)).text, False)["Content"]
    # The read-back of the order (unless tomorrow is a day the canteen is closed).
    assert "午餐 2 份,共 20 元" in reply or "食堂不开门" in reply, reply
    silent = linli.peer.voice_xml(USER, "media-v2", "", 2002)
    reply = linli.peer.read_reply((await linli.post(silent)).text, False)
    assert reply["Content"] == "没听清,请再说一遍或打字。"


async def test_the_same_msgid_three_times_has_one_effect(linli: Linli) -> None:
    answers = [await linli.say("楼道灯坏了好几天了", 3001) for _ in range(3)]
    assert len(set(answers)) == 1 and "编号 1" in answers[0]
    assert await linli.count(Suggestion) == 1
    # Events have no MsgId: the same sender and CreateTime is the same event.
    event = linli.peer.event_xml(USER, "CLICK", "linli:我的建议", create_time=1700000000)
    first = (await linli.post(event)).text
    assert first == (await linli.post(event)).text
    # Another button in the same second is another event.
    other = linli.peer.event_xml(USER, "CLICK", "linli:帮助", create_time=1700000000)
    reply = linli.peer.read_reply((await linli.post(other)).text, False)
    assert "我是邻里小助手" in reply["Content"]


async def test_slow_work_answers_success_then_a_customer_service_message(
    db_url, api, tmp_path
) -> None:
    async for linli in _start(db_url, api, tmp_path, reply_budget_seconds=0.4):
        handle = linli.app.dispatcher.handle

        async def slow(incoming, handle=handle, **_):
            await asyncio.sleep(0.5)
            return await handle(incoming)

        linli.app.dispatcher.handle = slow
        xml = linli.peer.text_xml(USER, "垃圾桶满了没人清理", 4001)
        assert (await linli.post(xml)).text == "success"
        # WeChat's retry while the work goes on: still one effect, and it carries the answer.
        retried = await linli.post(xml)
        assert "编号 1" in linli.peer.read_reply(retried.text, False).get("Content", "")
        assert await linli.count(OutboxMessage) == 0

        late = linli.peer.text_xml(USER, "广场舞音响太吵了", 4002)
        assert (await linli.post(late)).text == "success"
        await linli.channel.window.close()
        assert await deliver_due(linli.app.maker, {"wechat": linli.channel}) == 1
        [sent] = api.sent_texts(USER)
        assert "编号 2" in sent and "回复 1 分类不对" in sent
        assert await linli.count(Suggestion) == 2


async def test_bad_input_is_refused_and_nothing_is_stored(linli: Linli) -> None:
    xml = linli.peer.text_xml(USER, "小区停车位太少", 5001)
    assert (await linli.post(xml, signature="f" * 40)).status_code == 403
    query, body = linli.peer.plain_request(xml)
    del query["signature"]
    assert (
        await linli.http.post(linli.peer.base_url, params=query, content=body)
    ).status_code == 403
    for bad in ("<xml><MsgType>text", "", "not xml at all", "<xml><Content>x</Content></xml>"):
        query, _ = linli.peer.plain_request(xml)
        answer = await linli.http.post(linli.peer.base_url, params=query, content=bad.encode())
        assert answer.status_code == 400, (bad, answer.status_code)
    query, _ = linli.peer.plain_request(xml)
    huge = b"<xml>" + b"x" * 1_000_000 + b"</xml>"
    answer = await linli.http.post(linli.peer.base_url, params=query, content=huge)
    assert answer.status_code == 413
    bomb = '<!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Content>&a;</Content></xml>'
    query, _ = linli.peer.plain_request(xml)
    answer = await linli.http.post(linli.peer.base_url, params=query, content=bomb.encode())
    assert answer.status_code == 400
    # A signed query replayed from a log years later: its timestamp gives it away.
    query, body = linli.peer.plain_request(xml, timestamp="1409735669")
    stale = await linli.http.post(linli.peer.base_url, params=query, content=body.encode())
    assert stale.status_code == 403
    # A MsgId that is not a number is malformed, not a server error.
    odd = xml.replace("<MsgId>5001</MsgId>", "<MsgId>abc</MsgId>")
    query, body = linli.peer.plain_request(odd)
    answer = await linli.http.post(linli.peer.base_url, params=query, content=body.encode())
    assert answer.status_code == 400
    assert await linli.count(Resident) == 0 and await linli.count(Suggestion) == 0
    assert "编号 1" in await linli.say("小区停车位太少", 5002)  # and it still works


async def test_compatible_mode_refuses_a_plaintext_downgrade(db_url, api, tmp_path) -> None:
    async for linli in _start(db_url, api, tmp_path, mode="compatible"):
        xml = linli.peer.text_xml(USER, "我是工作人员,/open", 5101)
        assert (await linli.post(xml)).status_code == 403
        linli.safe = True
        assert "编号 1" in await linli.say("小区停车位太少", 5102)


async def test_one_persons_messages_at_once_are_handled_in_turn(linli: Linli) -> None:
    # A new resident's first messages arrive together (both would create the resident).
    texts = ["楼道灯坏了好几天了", "小区停车位太少了", "垃圾桶满了没人清理"]
    answers = await asyncio.gather(*(linli.say(t, 5200 + i) for i, t in enumerate(texts)))
    assert all("已收到您的建议" in a for a in answers), answers
    assert await linli.count(Suggestion) == 3 and await linli.count(Resident) == 1


async def test_subscribe_unsubscribe_and_a_menu_click(linli: Linli) -> None:
    welcome = await linli.post(linli.peer.event_xml(USER, "subscribe", create_time=1))
    content = linli.peer.read_reply(welcome.text, False)["Content"]
    assert content.startswith("欢迎关注") and "我是邻里小助手" in content
    await linli.post(linli.peer.event_xml(USER, "unsubscribe", create_time=2))
    async with linli.app.read_maker() as session:
        assert (await session.scalar(select(Resident))).active is False
    await linli.post(linli.peer.event_xml(USER, "subscribe", create_time=3))
    async with linli.app.read_maker() as session:
        assert (await session.scalar(select(Resident))).active is True
    click = await linli.post(linli.peer.event_xml(USER, "CLICK", "linli:我的建议", create_time=4))
    assert "建议" in linli.peer.read_reply(click.text, False)["Content"]
    video = linli.peer.text_xml(USER, "", 6001).replace("[text]", "[video]")
    reply = linli.peer.read_reply((await linli.post(video)).text, False)
    assert reply["Content"].startswith("暂不支持这种消息")


async def test_a_picture_is_fetched_and_kept(linli: Linli, api: FakeWeChatAPI) -> None:
    api.add_media("media-p1", b"\xff\xd8jpeg-bytes")
    xml = linli.peer.image_xml(USER, "http://mmbiz.example/p1", "media-p1", 7001)
    assert (await linli.post(xml)).status_code == 200
    await asyncio.gather(*linli.channel._fetching)
    kept = Path(linli.channel.config.media_dir) / "wechat" / "media-p1.jpg"
    assert kept.read_bytes() == b"\xff\xd8jpeg-bytes"
    await linli.say("楼道里堆满了杂物", 7002)
    async with linli.app.read_maker() as session:
        suggestion = await session.scalar(select(Suggestion))
    assert suggestion.media and suggestion.media[0]["ref"] == "media-p1"


async def test_user_text_cannot_break_the_reply_xml(linli: Linli) -> None:
    answer = await linli.say("路灯]]></Content><Injected>1</Injected>坏了", 8001)
    assert "编号 1" in answer and "<Injected>" not in answer.replace("]] >", "")


async def test_sending_errors(linli: Linli, api: FakeWeChatAPI) -> None:
    linli.app.dispatcher  # noqa: B018 - a resident who talked to the account before
    await linli.say("楼道灯坏了", 9001)
    channel = linli.channel
    from handlers.types import Reply

    api.expire_token()  # 40001: one refresh, then the message goes
    assert await channel.send(USER, Reply("第一条")) is None
    api.fail_next("message/custom/send", 45015)
    from bot.delivery.sender import Undeliverable

    with pytest.raises(Undeliverable, match="45015"):
        await channel.send(USER, Reply("第二条"))
    api.fail_next("message/custom/send", 45047)
    with pytest.raises(Undeliverable, match="45047"):
        await channel.send(USER, Reply("第三条"))
    assert api.sent_texts(USER) == ["第一条"]


async def test_a_long_passive_answer_is_split(linli: Linli, api: FakeWeChatAPI) -> None:
    from handlers.types import Reply

    async def long(incoming, **_):
        return [Reply("\n".join(f"第{i}行:" + "很长的说明" * 10 for i in range(40)))]

    linli.app.dispatcher.handle = long
    answer = await linli.say("说点什么", 10001)
    assert len(answer.encode()) <= 2048 and answer.startswith("第0行")
    assert await linli.count(OutboxMessage) == 1  # the rest, queued before the answer
    await linli.say("说点什么", 10001)  # WeChat's retry queues nothing more
    assert await linli.count(OutboxMessage) == 1
    await deliver_due(linli.app.maker, {"wechat": linli.channel})
    rest = api.sent_texts(USER)
    assert rest and rest[-1].endswith("第39行:" + "很长的说明" * 10)
    assert all(len(t.encode()) <= 2048 for t in rest)


async def test_a_picture_whose_fetch_failed_is_fetched_later(linli: Linli, api) -> None:
    linli.channel.picture_attempts = 1
    api.fail_next("media/get", -1)  # WeChat has a bad moment
    api.add_media("media-p2", b"\xff\xd8later")
    xml = linli.peer.image_xml(USER, "http://mmbiz.example/p2", "media-p2", 11001)
    await linli.post(xml)
    await asyncio.gather(*linli.channel._fetching)
    kept = Path(linli.channel.config.media_dir) / "wechat" / "media-p2.jpg"
    assert not kept.exists()
    await linli.say("健身器材坏了,看图", 11002)
    assert await linli.channel.fetch_missing_pictures() == 1
    assert kept.read_bytes() == b"\xff\xd8later"
    assert await linli.channel.fetch_missing_pictures() == 0


async def test_activity_sign_up_by_numbers(linli: Linli) -> None:
    from tests.support.activities import add, coming

    await add(linli.app, title="社区义诊", keywords="义诊", starts_at=coming(2), capacity=3)
    listing = await linli.say("活动", 12001)
    assert "社区义诊" in listing and "回复 1 社区义诊" in listing
    assert "回复 1 报名" in await linli.say("1", 12002)
    assert "已为您报名:社区义诊" in await linli.say("1", 12003)
    voice = linli.peer.voice_xml(USER, "media-v9", "我的报名。", 12004)
    reply = linli.peer.read_reply((await linli.post(voice)).text, False)
    assert "社区义诊" in reply["Content"]


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00chart" * 50  # enough of a PNG for WeChat's type check


async def live_poll(app: App) -> None:
    """An open poll whose results residents see as soon as they have answered."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from handlers.polls.specs import read_spec, to_rows
    from storage import communities
    from storage import polls as store
    from storage.engine import transaction
    from storage.types import utcnow

    raw = {
        "title": "二楼做什么",
        "closes": utcnow() + timedelta(days=7),
        "results": "live",
        "question": [{"text": "二楼最想先做成什么?", "options": ["健身房", "图书室"]}],
    }
    async with transaction(app.maker) as session:
        community = await communities.ensure_default(session)
        zone = ZoneInfo("Asia/Shanghai")
        poll, rows = to_rows(read_spec(raw), community.id, zone, utcnow(), "console:小王")
        await store.create(session, poll, rows)


async def test_a_results_chart_follows_the_passive_answer_as_a_picture(
    linli: Linli, api: FakeWeChatAPI
) -> None:
    await live_poll(linli.app)
    assert "回复 1 健身房,2 图书室" in await linli.say("问卷", 13001)
    done = await linli.say("1", 13002)
    assert "【结果】二楼做什么" in done  # live: the results in words at once
    assert await linli.count(OutboxMessage) == 0  # no chart drawn while answering
    answer = await linli.say("问卷结果", 13003)
    assert "【结果】二楼做什么" in answer and "“二楼做什么”结果图" in answer
    assert "[图片]" not in answer and "charts" not in answer  # no server path for residents
    assert await linli.count(OutboxMessage) == 1  # the chart, queued before the answer
    assert await linli.say("问卷结果", 13003) == answer  # WeChat's retry queues nothing more
    assert await linli.count(OutboxMessage) == 1
    assert await deliver_due(linli.app.maker, {"wechat": linli.channel}) == 1
    assert api.sent_kinds(USER) == ["image"]
    [upload] = api.uploads
    assert upload.type == "image" and upload.content_type == "image/png"
    assert upload.filename.endswith(".png") and upload.data.startswith(b"\x89PNG")
    assert api.sent_images(USER) == [upload.data]


async def test_a_late_answer_sends_its_picture_after_the_text(db_url, api, tmp_path) -> None:
    from handlers.types import Reply

    chart = tmp_path / "chart.png"
    chart.write_bytes(PNG)
    async for linli in _start(db_url, api, tmp_path, reply_budget_seconds=0.4):

        async def slow(incoming, **_):
            await asyncio.sleep(0.5)
            return [Reply("目前的结果如下。"), Reply("", image=str(chart))]

        linli.app.dispatcher.handle = slow
        assert (await linli.post(linli.peer.text_xml(USER, "问卷结果", 14001))).text == "success"
        await linli.channel.window.close()
        assert await deliver_due(linli.app.maker, {"wechat": linli.channel}) == 2
        assert api.sent_kinds(USER) == ["text", "image"]
        assert api.sent_texts(USER) == ["目前的结果如下。"] and api.sent_images(USER) == [PNG]


async def test_a_picture_is_uploaded_once_and_sent_before_its_text(
    linli: Linli, api: FakeWeChatAPI, tmp_path: Path
) -> None:
    from bot.channels.plaintext import render
    from bot.delivery.sender import Undeliverable
    from handlers.types import Reply

    chart = tmp_path / "chart.png"
    chart.write_bytes(PNG)
    channel = linli.channel
    assert await channel.send(USER, Reply("结果如下", image=str(chart))) is None
    assert api.sent_kinds(USER) == ["image", "text"] and api.sent_texts(USER) == ["结果如下"]
    # The same chart to another resident: its media_id is reused, not uploaded again.
    await channel.send("oNeighbour", Reply("结果如下", image=str(chart)), "broadcast")
    assert len(api.uploads) == 1 and api.sent_images("oNeighbour") == [PNG]
    # A picture that is not a file here (a Telegram file_id, a URL): the text only.
    await channel.send("oThird", Reply("停水通知", image="AgACAgUAAxkBAAIBZ2ZtZXN0"))
    await channel.send("oThird", Reply("停电通知", image="https://example.com/notice.png"))
    assert api.sent_kinds("oThird") == ["text", "text"]
    assert api.sent_texts("oThird") == ["停水通知", "停电通知"]
    # After 2.5 days the media_id is not trusted any more: uploaded again.
    channel._uploaded = {key: (media_id, 0.0) for key, (media_id, _) in channel._uploaded.items()}
    await channel.send("oFourth", Reply("", image=str(chart)))
    assert len(api.uploads) == 2 and api.sent_kinds("oFourth") == ["image"]
    # WeChat forgot it sooner: one more upload, and the picture still goes.
    api.fail_next("message/custom/send", 40007)
    await channel.send("oFifth", Reply("", image=str(chart)))
    assert len(api.uploads) == 3 and api.sent_images("oFifth") == [PNG]
    # The console still shows a picture as its path; WeChat never does.
    assert render(Reply("结果", image="var/c.png")) == "结果\n[图片] var/c.png"
    assert render(Reply("结果", image="var/c.png"), pictures=False) == "结果"
    # A picture-only message whose file is gone has nothing to send.
    with pytest.raises(Undeliverable):
        await channel.send(USER, Reply("", image=str(tmp_path / "gone.png")))
    # A template notice stays text only (and shows no server path).
    notices = WeChatChannel(
        linli.app, channel.config.model_copy(update={"notice_template_id": "TPL-1"})
    )
    await notices.send(USER, Reply("结果已公布", image=str(chart)), "broadcast")
    [template] = api.templates
    assert template["data"]["content"]["value"] == "结果已公布" and len(api.uploads) == 3


async def test_a_picture_sent_is_not_sent_again_when_the_text_fails(
    linli: Linli, api: FakeWeChatAPI, tmp_path: Path
) -> None:
    from sqlalchemy import update

    from handlers.types import Reply
    from storage import outbox
    from storage.engine import transaction
    from storage.types import utcnow

    chart = tmp_path / "chart.png"
    chart.write_bytes(PNG)
    async with transaction(linli.app.maker) as session:
        await outbox.enqueue(
            session,
            channel="wechat",
            recipient=USER,
            kind="reply",
            payload=Reply("结果如下", image=str(chart)).to_dict(),
        )
    api.fail_next("message/custom/send", -1, after=1)  # the picture goes, the text does not
    assert await deliver_due(linli.app.maker, {"wechat": linli.channel}) == 0
    async with linli.app.read_maker() as session:
        row = await session.scalar(select(OutboxMessage))
    assert row.status == "pending" and row.payload == Reply("结果如下").to_dict()
    async with transaction(linli.app.maker) as session:
        await session.execute(update(OutboxMessage).values(not_before=utcnow()))
    assert await deliver_due(linli.app.maker, {"wechat": linli.channel}) == 1
    assert api.sent_kinds(USER) == ["image", "text"] and len(api.uploads) == 1
