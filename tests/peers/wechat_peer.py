"""Play WeChat's server towards linli's callback URL: sign, encrypt and build what WeChat POSTs.

Written from Tencent's published callback specification (the WXBizMsgCrypt sample), not from
wechatpy, so the tests check the channel against an independent implementation of the protocol.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import struct
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

# WeChat pads to 32 bytes although AES blocks are 16: both sides must agree, so we follow Tencent.
BLOCK = 32
# Passive replies WeChat accepts as "no reply"; read_reply maps them to an empty dict.
EMPTY_REPLIES = {"", "success"}


def signature(token: str, timestamp: str, nonce: str, encrypt: str | None = None) -> str:
    """Return the SHA1 hex WeChat sends: over the sorted parts joined with no separator."""
    parts = [token, timestamp, nonce] + ([encrypt] if encrypt is not None else [])
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def _cipher(aes_key: str) -> Cipher[modes.CBC]:
    # EncodingAESKey is 43 base64 characters without the trailing "=".
    key = base64.b64decode(aes_key + "=")
    if len(key) != 32:
        raise ValueError("EncodingAESKey must decode to 32 bytes")
    return Cipher(algorithms.AES(key), modes.CBC(key[:16]))


def encrypt(aes_key: str, appid: str, xml: str, random16: bytes | None = None) -> str:
    """Encrypt ``xml`` for ``appid`` as WeChat does and return the base64 ciphertext."""
    random16 = secrets.token_bytes(16) if random16 is None else random16
    if len(random16) != 16:
        raise ValueError("random16 must be 16 bytes")
    body = xml.encode()
    plain = random16 + struct.pack(">I", len(body)) + body + appid.encode()
    pad = BLOCK - len(plain) % BLOCK  # always 1..32: a full block of padding when aligned
    plain += bytes([pad]) * pad
    encryptor = _cipher(aes_key).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


def decrypt(aes_key: str, appid_expected: str, encrypt_b64: str) -> str:
    """Decrypt a WeChat ``Encrypt`` value; raise ValueError on bad padding or another appid."""
    raw = base64.b64decode(encrypt_b64)
    if not raw or len(raw) % 16:
        raise ValueError("ciphertext is not a whole number of AES blocks")
    decryptor = _cipher(aes_key).decryptor()
    plain = decryptor.update(raw) + decryptor.finalize()
    pad = plain[-1]
    # Strict check (Tencent's sample is lenient): a wrong key shows up here most of the time.
    if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
        raise ValueError("bad PKCS#7 padding")
    content = plain[16:-pad]
    if len(content) < 4:
        raise ValueError("plaintext too short")
    (length,) = struct.unpack(">I", content[:4])
    if 4 + length > len(content):
        raise ValueError("message length exceeds plaintext")
    appid = content[4 + length :].decode(errors="replace")
    if appid != appid_expected:
        raise ValueError(f"appid mismatch: {appid!r} != {appid_expected!r}")
    return content[4 : 4 + length].decode()


def _cdata(value: str) -> str:
    # "]]>" would end the section early, so split it across two sections.
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _xml(fields: dict[str, Any]) -> str:
    """Render WeChat's flat message XML: strings as CDATA, numbers bare (as WeChat sends them)."""
    inner = []
    for name, value in fields.items():
        if value is None:
            continue
        text = str(value) if isinstance(value, int | float) else _cdata(value)
        inner.append(f"<{name}>{text}</{name}>")
    return "<xml>" + "\n".join(inner) + "</xml>"


def _element_to_value(element: ET.Element) -> Any:
    children = list(element)
    if not children:
        return element.text or ""
    # News replies repeat <item> under <Articles>; keep them as a list.
    if all(child.tag == "item" for child in children):
        return [_element_to_value(child) for child in children]
    return {child.tag: _element_to_value(child) for child in children}


def parse_xml(xml: str) -> dict[str, Any]:
    """Parse a WeChat ``<xml>`` document into a dict (nested elements become dicts/lists)."""
    value = _element_to_value(ET.fromstring(xml))
    return value if isinstance(value, dict) else {}


@dataclass
class WeChatPeer:
    """WeChat's side of one Official Account: its secrets and the callback URL it calls."""

    token: str
    appid: str
    encoding_aes_key: str
    base_url: str

    def url(self, params: dict[str, str]) -> str:
        """Return the callback URL with ``params`` as its query string."""
        return f"{self.base_url}?{urlencode(params)}"

    @staticmethod
    def _stamp(timestamp: str | None, nonce: str | None) -> tuple[str, str]:
        return timestamp or str(int(time.time())), nonce or str(secrets.randbelow(10**10))

    def verify_params(
        self, echostr: str, timestamp: str | None = None, nonce: str | None = None
    ) -> dict[str, str]:
        """Return the query of WeChat's GET that verifies the URL; linli must echo ``echostr``."""
        timestamp, nonce = self._stamp(timestamp, nonce)
        return {
            "signature": signature(self.token, timestamp, nonce),
            "timestamp": timestamp,
            "nonce": nonce,
            "echostr": echostr,
        }

    def _message(
        self,
        msg_type: str,
        from_user: str,
        to_user: str,
        create_time: int | None,
        fields: dict[str, Any],
    ) -> str:
        head = {
            "ToUserName": to_user,
            "FromUserName": from_user,
            "CreateTime": create_time if create_time is not None else int(time.time()),
            "MsgType": msg_type,
        }
        return _xml(head | fields)

    def text_xml(
        self,
        from_user: str,
        content: str,
        msg_id: int,
        create_time: int | None = None,
        to_user: str = "gh_linli",
    ) -> str:
        """Return a user's text message."""
        fields = {"Content": content, "MsgId": msg_id}
        return self._message("text", from_user, to_user, create_time, fields)

    def voice_xml(
        self,
        from_user: str,
        media_id: str,
        recognition: str | None,
        msg_id: int,
        create_time: int | None = None,
        to_user: str = "gh_linli",
    ) -> str:
        """Return a voice message; ``recognition`` is WeChat's transcript (None: feature off)."""
        fields = {"MediaId": media_id, "Format": "amr", "Recognition": recognition, "MsgId": msg_id}
        return self._message("voice", from_user, to_user, create_time, fields)

    def image_xml(
        self,
        from_user: str,
        pic_url: str,
        media_id: str,
        msg_id: int,
        create_time: int | None = None,
        to_user: str = "gh_linli",
    ) -> str:
        """Return an image message (PicUrl to fetch directly, MediaId for media/get)."""
        fields = {"PicUrl": pic_url, "MediaId": media_id, "MsgId": msg_id}
        return self._message("image", from_user, to_user, create_time, fields)

    def location_xml(
        self,
        from_user: str,
        x: float,
        y: float,
        scale: int,
        label: str,
        msg_id: int,
        create_time: int | None = None,
        to_user: str = "gh_linli",
    ) -> str:
        """Return a location message: Location_X is latitude, Location_Y longitude."""
        fields = {"Location_X": x, "Location_Y": y, "Scale": scale, "Label": label, "MsgId": msg_id}
        return self._message("location", from_user, to_user, create_time, fields)

    def event_xml(
        self,
        from_user: str,
        event: str,
        event_key: str | None = None,
        create_time: int | None = None,
        to_user: str = "gh_linli",
        ticket: str | None = None,
    ) -> str:
        """Return an event push (subscribe, unsubscribe, CLICK, SCAN, ...).

        A subscribe through a parametric QR code carries ``event_key="qrscene_<scene>"`` (and a
        Ticket); SCAN by a follower carries the bare scene. Events have no MsgId, so receivers
        de-duplicate on FromUserName + CreateTime.
        """
        fields = {"Event": event, "EventKey": event_key, "Ticket": ticket}
        return self._message("event", from_user, to_user, create_time, fields)

    def plain_request(
        self, xml: str, timestamp: str | None = None, nonce: str | None = None
    ) -> tuple[dict[str, str], str]:
        """Return (query, body) of WeChat's POST in plain mode."""
        timestamp, nonce = self._stamp(timestamp, nonce)
        query = {
            "signature": signature(self.token, timestamp, nonce),
            "timestamp": timestamp,
            "nonce": nonce,
            "openid": parse_xml(xml).get("FromUserName", ""),
        }
        return query, xml

    def safe_request(
        self, xml: str, timestamp: str | None = None, nonce: str | None = None
    ) -> tuple[dict[str, str], str]:
        """Return (query, body) of WeChat's POST in safe (encrypted) mode."""
        timestamp, nonce = self._stamp(timestamp, nonce)
        fields = parse_xml(xml)
        encrypted = encrypt(self.encoding_aes_key, self.appid, xml)
        query = {
            # WeChat still sends the plain signature in safe mode; msg_signature covers Encrypt.
            "signature": signature(self.token, timestamp, nonce),
            "timestamp": timestamp,
            "nonce": nonce,
            "openid": fields.get("FromUserName", ""),
            "encrypt_type": "aes",
            "msg_signature": signature(self.token, timestamp, nonce, encrypted),
        }
        body = _xml({"ToUserName": fields.get("ToUserName", ""), "Encrypt": encrypted})
        return query, body

    def read_reply(self, body: str, safe: bool) -> dict[str, Any]:
        """Parse linli's passive reply; in safe mode check MsgSignature and decrypt first.

        Returns {} for the "no reply" answers WeChat accepts (empty body or "success").
        Raises ValueError when the signature, the appid or the padding is wrong.
        """
        if body.strip() in EMPTY_REPLIES:
            return {}
        if safe:
            envelope = parse_xml(body)
            try:
                encrypted = envelope["Encrypt"]
                expected = signature(
                    self.token, envelope["TimeStamp"], envelope["Nonce"], encrypted
                )
            except KeyError as exc:
                raise ValueError(f"safe-mode reply lacks {exc}") from exc
            if envelope.get("MsgSignature") != expected:
                raise ValueError("reply MsgSignature does not match")
            body = decrypt(self.encoding_aes_key, self.appid, encrypted)
        return parse_xml(body)
