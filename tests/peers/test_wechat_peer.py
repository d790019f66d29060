"""Check tests/peers/wechat_peer.py against Tencent's own known-answer vector, then its builders."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from tests.peers.wechat_peer import WeChatPeer, decrypt, encrypt, parse_xml, signature
from tests.support import DATA, ROOT

NAME = "wechat-callback-vector.json"
# The copy in tests/data travels with the repository; the shared original is only a fallback.
CANDIDATES = [
    DATA / NAME,
    ROOT.parent / "shared" / "data" / NAME,
]


@pytest.fixture(scope="module")
def vector() -> dict[str, Any]:
    path = next((p for p in CANDIDATES if p.is_file()), None)
    assert path is not None, f"known-answer vector not found in {CANDIDATES}"
    return json.loads(path.read_text(encoding="utf-8"))


def test_vector_copy_is_in_tests_data() -> None:
    assert CANDIDATES[0].is_file()


def test_known_answer_signature(vector: dict[str, Any]) -> None:
    got = signature(vector["token"], vector["timestamp"], vector["nonce"], vector["encrypt"])
    assert got == vector["msg_signature"]


def test_known_answer_decrypt(vector: dict[str, Any]) -> None:
    xml = decrypt(vector["encoding_aes_key"], vector["appid"], vector["encrypt"])
    assert xml == vector["plaintext_xml"]
    assert parse_xml(xml)["ToUserName"] == vector["to_user_name"]


def test_known_answer_reencrypts_to_same_ciphertext(vector: dict[str, Any]) -> None:
    # CBC is deterministic given the random prefix, so reusing Tencent's prefix must reproduce it.
    key = base64.b64decode(vector["encoding_aes_key"] + "=")
    assert len(key) == 32
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(base64.b64decode(vector["encrypt"])) + decryptor.finalize()
    again = encrypt(
        vector["encoding_aes_key"], vector["appid"], vector["plaintext_xml"], plain[:16]
    )
    assert again == vector["encrypt"]


def test_round_trip_and_block_size(vector: dict[str, Any]) -> None:
    key, appid = vector["encoding_aes_key"], vector["appid"]
    for xml in ["", "<xml/>", "x" * 11, "邻里" * 37, vector["plaintext_xml"]]:
        encrypted = encrypt(key, appid, xml)
        assert len(base64.b64decode(encrypted)) % 32 == 0
        assert decrypt(key, appid, encrypted) == xml


def test_wrong_appid_raises(vector: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="appid"):
        decrypt(vector["encoding_aes_key"], "wx0000000000000000", vector["encrypt"])


def test_corrupt_ciphertext_raises(vector: dict[str, Any]) -> None:
    raw = bytearray(base64.b64decode(vector["encrypt"]))
    raw[-1] ^= 0xFF  # garbles the last block, hence the padding
    with pytest.raises(ValueError):
        decrypt(vector["encoding_aes_key"], vector["appid"], base64.b64encode(raw).decode())


@pytest.fixture
def peer(vector: dict[str, Any]) -> WeChatPeer:
    return WeChatPeer(
        vector["token"], vector["appid"], vector["encoding_aes_key"], "http://127.0.0.1:1/wechat"
    )


def test_verify_params(peer: WeChatPeer) -> None:
    q = peer.verify_params("echo-123", timestamp="1409735669", nonce="1320562132")
    assert q["echostr"] == "echo-123"
    assert q["signature"] == signature(peer.token, "1409735669", "1320562132")
    assert peer.url(q).startswith("http://127.0.0.1:1/wechat?signature=")


def test_builders_parse_back(peer: WeChatPeer) -> None:
    text = parse_xml(peer.text_xml("oUser", "停车位 ]]> 不够", 42, create_time=1700000000))
    assert text == {
        "ToUserName": "gh_linli",
        "FromUserName": "oUser",
        "CreateTime": "1700000000",
        "MsgType": "text",
        "Content": "停车位 ]]> 不够",
        "MsgId": "42",
    }
    voice = parse_xml(peer.voice_xml("oUser", "m1", "明天订两份饭", 43))
    assert (voice["MsgType"], voice["Recognition"], voice["Format"]) == (
        "voice",
        "明天订两份饭",
        "amr",
    )
    assert "Recognition" not in parse_xml(peer.voice_xml("oUser", "m1", None, 44))
    image = parse_xml(peer.image_xml("oUser", "http://p/1.jpg", "m2", 45))
    assert (image["PicUrl"], image["MediaId"]) == ("http://p/1.jpg", "m2")
    loc = parse_xml(peer.location_xml("oUser", 23.134521, 113.358803, 20, "幸福食堂", 46))
    assert (loc["Location_X"], loc["Location_Y"], loc["Label"]) == (
        "23.134521",
        "113.358803",
        "幸福食堂",
    )
    scan = parse_xml(peer.event_xml("oUser", "subscribe", "qrscene_b7", ticket="T"))
    assert (scan["Event"], scan["EventKey"], scan["Ticket"]) == ("subscribe", "qrscene_b7", "T")
    assert "EventKey" not in parse_xml(peer.event_xml("oUser", "unsubscribe"))


def test_plain_request(peer: WeChatPeer) -> None:
    xml = peer.text_xml("oUser", "你好", 1)
    query, body = peer.plain_request(xml, timestamp="1", nonce="2")
    assert body == xml
    assert query == {
        "signature": signature(peer.token, "1", "2"),
        "timestamp": "1",
        "nonce": "2",
        "openid": "oUser",
    }


def test_safe_request(peer: WeChatPeer) -> None:
    xml = peer.text_xml("oUser", "你好", 1, to_user="gh_10f6c3c3ac5a")
    query, body = peer.safe_request(xml)
    envelope = parse_xml(body)
    assert set(envelope) == {"ToUserName", "Encrypt"}
    assert envelope["ToUserName"] == "gh_10f6c3c3ac5a"
    assert query["encrypt_type"] == "aes" and query["openid"] == "oUser"
    assert query["signature"] == signature(peer.token, query["timestamp"], query["nonce"])
    assert query["msg_signature"] == signature(
        peer.token, query["timestamp"], query["nonce"], envelope["Encrypt"]
    )
    assert decrypt(peer.encoding_aes_key, peer.appid, envelope["Encrypt"]) == xml


def _safe_reply(peer: WeChatPeer, xml: str, sig: str | None = None) -> str:
    encrypted = encrypt(peer.encoding_aes_key, peer.appid, xml)
    sig = sig or signature(peer.token, "1700000001", "99", encrypted)
    return (
        f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt><MsgSignature><![CDATA[{sig}]]>"
        "</MsgSignature><TimeStamp>1700000001</TimeStamp><Nonce><![CDATA[99]]></Nonce></xml>"
    )


def test_read_reply(peer: WeChatPeer) -> None:
    reply = peer.text_xml("gh_linli", "已收到,编号 S-1", 0, to_user="oUser")
    for body, safe in [(reply, False), (_safe_reply(peer, reply), True)]:
        got = peer.read_reply(body, safe=safe)
        assert (got["ToUserName"], got["MsgType"], got["Content"]) == (
            "oUser",
            "text",
            "已收到,编号 S-1",
        )
    assert peer.read_reply("success", safe=True) == {}
    assert peer.read_reply("", safe=False) == {}
    with pytest.raises(ValueError, match="MsgSignature"):
        peer.read_reply(_safe_reply(peer, reply, sig="0" * 40), safe=True)


def test_read_reply_nested(peer: WeChatPeer) -> None:
    news = (
        "<xml><ToUserName><![CDATA[oUser]]></ToUserName><MsgType><![CDATA[news]]></MsgType>"
        "<ArticleCount>1</ArticleCount><Articles><item><Title><![CDATA[义诊]]></Title>"
        "<Url><![CDATA[http://x]]></Url></item></Articles>"
        "<Image><MediaId><![CDATA[m9]]></MediaId></Image></xml>"
    )
    got = peer.read_reply(news, safe=False)
    assert got["Articles"] == [{"Title": "义诊", "Url": "http://x"}]
    assert got["Image"] == {"MediaId": "m9"}
