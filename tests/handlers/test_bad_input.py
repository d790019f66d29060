"""Bad input gets a kind answer and never loses or changes what is stored."""

from __future__ import annotations

from sqlalchemy import select

from handlers.types import Incoming
from storage.models import Suggestion
from tests.support.chat import Chat


async def _stored(app) -> list[Suggestion]:
    async with app.read_maker() as session:
        return list(await session.scalars(select(Suggestion).order_by(Suggestion.id)))


async def test_empty_and_whitespace_are_not_stored(app) -> None:
    chat = Chat(app, "张阿姨")
    for message in ("", "   ", "\n\t "):
        assert "请用文字告诉我" in await chat.text(message)
    assert await _stored(app) == []


async def test_only_emoji_or_punctuation_is_not_stored(app) -> None:
    chat = Chat(app, "张阿姨")
    for message in ("😀😀👍", "。。。!!??", "……", "🙏"):
        assert "没看懂" in await chat.text(message)
    assert await _stored(app) == []


async def test_very_long_message_is_stored_truncated_and_said_so(app) -> None:
    long = "楼道里堆满了杂物," * 1250  # 10,000 characters
    reply = await Chat(app, "王阿姨").text(long)
    assert "已保存前 2000 字" in reply and "编号 1" in reply
    [stored] = await _stored(app)
    assert len(stored.text) == 2000 and long.startswith(stored.text)


async def test_markup_and_sql_are_stored_verbatim(app) -> None:
    chat = Chat(app, "小李")
    samples = [
        "<script>alert('x')</script> 路灯坏了",
        "**加粗** [链接](http://x) 垃圾没人清",
        "'; DROP TABLE suggestions; -- 停车位不够",
    ]
    for sample in samples:
        assert "已收到您的建议" in await chat.text(sample)
    assert [s.text for s in await _stored(app)] == samples
    listing = await chat.text("我的建议")
    assert "DROP TABLE" in listing  # shown as text; channels escape it their own way


async def test_unknown_command(app) -> None:
    assert "没有这个命令" in await Chat(app, "小李").text("/frobnicate 1 2")
    assert await _stored(app) == []


async def test_expired_button_and_stray_number(app) -> None:
    chat = Chat(app, "小李")
    assert "过期" in await chat.text(button="merge:5:3")
    assert "没有需要选择的问题" in await chat.text("2")  # no question pending
    await chat.say("花坛里的花都枯死了")
    assert "过期" in await chat.text(button="nonsense-without-prefix")
    [stored] = await _stored(app)
    assert stored.status == "open"


async def test_button_after_the_question_expired(app) -> None:
    from datetime import timedelta

    from storage.engine import transaction
    from storage.models import ConversationState

    chat = Chat(app, "小李")
    await chat.say("花坛里的花都枯死了")
    async with transaction(app.maker) as session:
        state = await session.get(ConversationState, ("console", "小李"))
        state.expires_at = state.expires_at - timedelta(days=1)
    # "1" no longer maps to a choice; the suggestion is unchanged.
    assert "没有需要选择的问题" in await chat.text("1")
    [stored] = await _stored(app)
    assert stored.topic == "greenery" and stored.status == "open"


async def test_leaving_a_pending_question(app) -> None:
    chat = Chat(app, "小李")
    await chat.say("花坛里的花都枯死了")
    assert "已返回" in await chat.text("返回")
    assert "没有需要选择的问题" in await chat.text("1")
    assert "好的" in await chat.text("0")


async def test_number_out_of_range_and_typed_labels(app) -> None:
    chat = Chat(app, "小李")
    await chat.say("花坛里的花都枯死了")
    assert "请回复 1 到 2 之间的数字" in await chat.text("7")
    assert "已撤回您的建议(编号 1)" in await chat.text("撤回")  # the label typed out


async def test_chinese_command_word_followed_by_a_message_is_a_message(app) -> None:
    replies = await Chat(app, "小李").say("您好 3号楼电梯困人了")
    assert any("110" in r.text for r in replies)
    assert not any("我是邻里小助手" in r.text for r in replies)


async def test_nul_and_overlong_names_are_cleaned(app) -> None:
    incoming = Incoming("console", "x" * 20, "路灯\x00坏了", display_name="名" * 300)
    replies = await app.dispatcher.handle(incoming)
    assert "编号 1" in replies[-1].text
    [stored] = await _stored(app)
    assert stored.text == "路灯坏了"


async def test_photo_or_voice_without_words_waits_for_them(app) -> None:
    from handlers.types import Media

    chat = Chat(app, "小李", channel="telegram")
    voice = await chat.text("", media=(Media("voice", "v1", "audio/ogg"),))
    assert "请打字" in voice
    photo = await chat.text("", media=(Media("photo", "p1"),), location=(30.25, 120.16))
    assert "已先保存" in photo
    assert await _stored(app) == []
    assert "编号 1" in await chat.text("3栋门口的井盖坏了")
    [stored] = await _stored(app)
    assert [m["ref"] for m in stored.media] == ["v1", "p1", "30.250000,120.160000"]
