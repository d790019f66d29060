"""The fault-injecting Bot API proxy, driven by python-telegram-bot against the emulator."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import Forbidden, NetworkError, RetryAfter, TimedOut

from tests.peers.telegram_fault_proxy import (
    Delivery,
    FaultProxy,
    Ledger,
    is_send,
    max_in_window,
    parse_params,
)
from tests.peers.telegram_peer import TOKEN, Peer

# PTB 22 warns when it builds a RetryAfter that its int will become a timedelta.
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*timedelta:DeprecationWarning")

FLOOD_BODY = {
    "ok": False,
    "error_code": 429,
    "description": "Too Many Requests: retry after 2",
    "parameters": {"retry_after": 2},
}


@pytest.fixture(scope="module")
def peer() -> Iterator[Peer]:
    running = Peer()  # skips (or fails under CI=true) when node_modules is missing
    yield running
    running.close()


@pytest.fixture
def proxy(peer: Peer) -> Iterator[FaultProxy]:
    with FaultProxy(peer.bot_url) as running:
        yield running


def wait_of(error: RetryAfter) -> float:
    """Return RetryAfter's seconds (an int in PTB 22, a timedelta with PTB_TIMEDELTA=1)."""
    value: Any = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def texts_to(peer: Peer, chat_id: int) -> list[str]:
    return [m["message"].get("text", "") for m in peer.inbox(chat_id)]


# ---------------------------------------------------------------- forwarding


async def test_a_forwarded_send_arrives_unchanged(peer: Peer, proxy: FaultProxy) -> None:
    async with Bot(TOKEN, base_url=proxy.bot_url) as bot:  # getMe goes through the proxy too
        sent = await bot.send_message(4101, "明天上午九点停水")
        photo = await bot.send_photo(4101, b"\x89PNG fake", caption="停水通知")
    assert isinstance(sent, Message) and sent.text == "明天上午九点停水"
    assert sent.chat.id == 4101
    assert photo.caption == "停水通知" and photo.photo
    assert texts_to(peer, 4101)[0] == "明天上午九点停水"
    # PTB form-encodes a plain send and uses multipart for an upload; both reach the emulator.
    upload = next(c for c in peer.calls("sendPhoto") if c["params"].get("chat_id") == "4101")
    assert upload["params"]["photo"]["size"] == len(b"\x89PNG fake")
    assert proxy.deliveries() == {4101: 2}
    assert [d.text for d in proxy.delivered()] == ["明天上午九点停水", "停水通知"]
    assert proxy.attempts_to(4101) == 2 and not proxy.duplicates() and not proxy.violations()


def test_json_bodies_are_forwarded_too(peer: Peer, proxy: FaultProxy) -> None:
    with httpx.Client() as client:  # from plain synchronous code
        answer = client.post(
            f"{proxy.bot_url}{TOKEN}/sendMessage", json={"chat_id": 4102, "text": "JSON 也行"}
        )
    assert answer.status_code == 200 and answer.json()["result"]["text"] == "JSON 也行"
    assert texts_to(peer, 4102) == ["JSON 也行"]
    assert proxy.deliveries() == {4102: 1}


def test_request_parameters_are_read_from_every_encoding() -> None:
    form = parse_params(
        "application/x-www-form-urlencoded", b"chat_id=-42&text=%E4%BD%A0%E5%A5%BD", {}
    )
    assert form == {"chat_id": "-42", "text": "你好"}
    body = (
        b'--XyZ\r\nContent-Disposition: form-data; name="chat_id"\r\n\r\n7\r\n'
        b'--XyZ\r\nContent-Disposition: form-data; name="caption"\r\n\r\n'
        + "图片".encode()
        + b'\r\n--XyZ\r\nContent-Disposition: form-data; name="photo"; filename="a.png"\r\n'
        b"Content-Type: image/png\r\n\r\n\x89PNG\r\n--XyZ--\r\n"
    )
    multipart = parse_params("multipart/form-data; boundary=XyZ", body, {})
    assert multipart == {"chat_id": "7", "caption": "图片", "photo": {"upload": "a.png", "size": 4}}
    assert parse_params("application/json", b'{"chat_id": 5}', {"text": "q"}) == {
        "chat_id": 5,
        "text": "q",
    }
    assert is_send("sendMessage") and is_send("copyMessage") and is_send("sendPhoto")
    assert not is_send("sendChatAction") and not is_send("getUpdates")


# ---------------------------------------------------------------- 429 and pauses


async def test_429_is_retry_after_and_an_early_request_is_a_violation(
    peer: Peer, proxy: FaultProxy
) -> None:
    proxy.fail_429(1.0, retry_after=1, seed=1)
    async with Bot(TOKEN, base_url=proxy.bot_url) as bot:
        with pytest.raises(RetryAfter) as flood:
            await bot.send_message(4201, "第一条")
        assert wait_of(flood.value) == 1
        assert proxy.attempts_to(4201) == 1  # PTB did not retry by itself
        until = proxy.pause_until(TOKEN)
        assert until is not None and until - time.monotonic() > 0.5

        proxy.fail_429(0.0)  # no fresh 429s; the pause still runs
        with pytest.raises(RetryAfter) as again:
            await bot.send_message(4202, "太早了")
        assert wait_of(again.value) == 1  # the seconds left, rounded up
        [violation] = proxy.violations()
        assert (violation.method, violation.chat_id, violation.pause_until) == (
            "sendMessage",
            4202,
            until,
        )

        await asyncio.sleep(until - time.monotonic() + 0.01)
        await bot.send_message(4202, "等够了")
    assert len(proxy.violations()) == 1
    assert texts_to(peer, 4202) == ["等够了"]
    assert peer.inbox(4201) == []  # a 429 never reaches the emulator
    assert [a.fault for a in proxy.attempts()] == ["429", "pause", None]


def test_the_429_body_is_telegrams(proxy: FaultProxy) -> None:
    proxy.fail_429(1.0, retry_after=2)
    with httpx.Client() as client:
        answer = client.post(
            f"{proxy.bot_url}{TOKEN}/sendMessage", data={"chat_id": "4203", "text": "x"}
        )
        assert (answer.status_code, answer.json()) == (429, FLOOD_BODY)
        # Polling is not throttled by Telegram, so it is no violation; getMe is.
        assert client.post(f"{proxy.bot_url}{TOKEN}/getUpdates").status_code == 200
        assert client.post(f"{proxy.bot_url}{TOKEN}/getMe").status_code == 429
        # Another bot is not paused.
        other = client.post(f"{proxy.bot_url}654321:other/getMe")
        assert other.status_code == 200
    assert [v.method for v in proxy.violations()] == ["getMe"]


def test_fault_draws_are_seeded_and_near_the_fraction() -> None:
    ticks = iter(range(0, 10**6, 10))  # 10 s between requests: every pause has ended

    with FaultProxy(answer_directly=True, clock=lambda: float(next(ticks))) as proxy:

        def chats_answered_429(seed: int) -> set[object]:
            proxy.reset()
            proxy.fail_429(0.3, retry_after=1, seed=seed)
            with httpx.Client(base_url=f"{proxy.bot_url}{TOKEN}") as client:
                for chat_id in range(80):
                    client.post("/sendMessage", data={"chat_id": chat_id, "text": "通知"})
            assert not proxy.violations()
            faults = [a.fault for a in proxy.attempts()]
            assert len(faults) == 80 and sum(proxy.deliveries().values()) == faults.count(None)
            return {a.chat_id for a in proxy.attempts() if a.fault == "429"}

        first = chats_answered_429(seed=7)
        assert 10 <= len(first) <= 40  # 24 expected
        assert chats_answered_429(seed=7) == first
        assert chats_answered_429(seed=8) != first


# ---------------------------------------------------------------- blocked users


async def test_a_blocked_chat_gets_403_and_every_attempt_is_counted(
    peer: Peer, proxy: FaultProxy
) -> None:
    proxy.block([4301])
    proxy.fail_429(1.0)  # a blocked chat answers 403 first: no 429 to retry after
    async with Bot(TOKEN, base_url=proxy.bot_url) as bot:
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(4301, "活动通知")
        assert proxy.attempts_to(4301) == 1
        with pytest.raises(Forbidden):
            await bot.send_message(4301, "活动通知")
    assert proxy.attempts_to(4301) == 2  # a retry is visible
    assert proxy.blocked_chats() == {4301}
    assert proxy.deliveries() == {} and peer.inbox(4301) == []


def test_block_fraction_picks_a_stable_tenth() -> None:
    proxy = FaultProxy(answer_directly=True)  # not started: the choice needs no server
    proxy.block_fraction(0.1, seed=3)
    blocked = {c for c in range(2000) if proxy.is_blocked(c)}
    assert 150 <= len(blocked) <= 250
    assert blocked == {c for c in range(2000) if proxy.is_blocked(c)}
    proxy.block_fraction(0.1, seed=4)
    assert blocked != {c for c in range(2000) if proxy.is_blocked(c)}


# ---------------------------------------------------------------- slow answers


async def test_a_timed_out_send_still_arrives_and_its_retry_is_a_duplicate(
    peer: Peer, proxy: FaultProxy
) -> None:
    proxy.delay_fraction(1.0, seconds=1.0)
    async with Bot(TOKEN, base_url=proxy.bot_url) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(4401, "缴费提醒", read_timeout=0.2)
        proxy.clear_faults()
        await bot.send_message(4401, "缴费提醒")  # the sender cannot know, so it retries
    assert texts_to(peer, 4401) == ["缴费提醒", "缴费提醒"]
    assert proxy.deliveries() == {4401: 2}
    assert proxy.duplicates() == {4401: 1}


async def test_a_delay_without_delivery_answers_502_late(peer: Peer, proxy: FaultProxy) -> None:
    proxy.delay_fraction(1.0, seconds=0.2, deliver=False)
    async with Bot(TOKEN, base_url=proxy.bot_url) as bot:
        started = time.monotonic()
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_message(4402, "丢了")
    assert time.monotonic() - started >= 0.2
    assert peer.inbox(4402) == [] and proxy.deliveries() == {}


def test_stop_is_quick_even_with_an_answer_held() -> None:
    proxy = FaultProxy(answer_directly=True).start()
    proxy.delay_fraction(1.0, seconds=30)

    def post() -> None:  # answered early, or cut off: either way not after 30 s
        with httpx.Client(timeout=5) as client, contextlib.suppress(httpx.HTTPError):
            client.post(f"{proxy.bot_url}{TOKEN}/sendMessage", data={"chat_id": 1, "text": "x"})

    caller = threading.Thread(target=post)
    caller.start()
    while not proxy.attempts():
        time.sleep(0.01)
    started = time.monotonic()
    proxy.stop()
    assert time.monotonic() - started < 1.5
    caller.join(timeout=5)
    assert not caller.is_alive()
    proxy.stop()  # twice is harmless


# ---------------------------------------------------------------- answering directly


async def test_direct_answers_are_messages_ptb_accepts() -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("报名", callback_data="join:1")]])
    with FaultProxy(answer_directly=True) as proxy:
        async with Bot(TOKEN, base_url=proxy.bot_url) as bot:
            assert bot.id == 123456
            first = await bot.send_message(4501, "周六义诊")
            second = await bot.send_message(-4502, "群公告", reply_markup=markup)
            await bot.send_chat_action(4501, "typing")
    assert (first.chat.id, first.chat.type, first.text) == (4501, "private", "周六义诊")
    assert second.message_id > first.message_id and second.chat.type == "group"
    assert second.reply_markup == markup
    assert first.from_user is not None and first.from_user.id == 123456
    assert proxy.deliveries() == {4501: 1, -4502: 1}


# ---------------------------------------------------------------- statistics


def test_max_rate_on_known_times() -> None:
    assert max_in_window([], 1.0) == 0
    assert max_in_window([0.0, 1.0, 2.0, 3.0], 1.0) == 1  # exactly a window apart
    assert max_in_window([0.0, 0.5, 0.99, 1.0, 1.2, 5.0], 1.0) == 4  # 0.5 .. 1.2
    assert max_in_window([3.0, 0.1, 0.2], 1.0) == 2  # unsorted input

    ledger = Ledger()
    times = {1: [0.0, 0.1, 0.2, 0.9], 2: [0.5, 0.6, 3.0], 3: [2.0]}
    for chat_id, stamps in times.items():
        for t in stamps:
            ledger.add_delivery(Delivery(t, TOKEN, chat_id, "sendMessage", f"m{t}", None))
    assert ledger.max_rate(1.0) == 6  # 0.0 .. 0.9: chat 1's four and chat 2's two
    assert ledger.max_rate(0.25) == 3  # 0.0, 0.1, 0.2
    assert ledger.max_rate(1.0, token="other") == 0
    assert ledger.max_rate_per_chat(1.0) == {1: 4, 2: 2, 3: 1}
    assert ledger.deliveries() == {1: 4, 2: 3, 3: 1}
    assert ledger.duplicates() == {}
    ledger.add_delivery(Delivery(9.0, TOKEN, 3, "sendMessage", "m2.0", None))
    assert ledger.duplicates() == {3: 1}
