"""Exercise tests/peers/wechat_api_fake.py the way the WeChat channel will call it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.peers.wechat_api_fake import FakeWeChatAPI


@pytest.fixture
def fake() -> Iterator[FakeWeChatAPI]:
    with FakeWeChatAPI(appid="wxtest", secret="s3cret") as api:
        yield api


def _token(client: httpx.Client, appid: str = "wxtest", secret: str = "s3cret") -> dict[str, Any]:
    params = {"grant_type": "client_credential", "appid": appid, "secret": secret}
    return client.get("token", params=params).json()


def _post(client: httpx.Client, path: str, token: str, body: dict[str, Any]) -> dict[str, Any]:
    return client.post(path, params={"access_token": token}, json=body).json()


def _text(touser: str, content: str) -> dict[str, Any]:
    return {"touser": touser, "msgtype": "text", "text": {"content": content}}


def test_base_url_and_token(fake: FakeWeChatAPI) -> None:
    assert fake.base_url == f"http://127.0.0.1:{fake.port}/cgi-bin/"
    with httpx.Client(base_url=fake.base_url) as client:
        assert _token(client, appid="wxother")["errcode"] == 40013
        assert _token(client, secret="nope")["errcode"] == 40125
        issued = _token(client)
        assert issued["expires_in"] == 7200 and issued["access_token"]
        assert _post(client, "message/custom/send", issued["access_token"], _text("o1", "hi")) == {
            "errcode": 0,
            "errmsg": "ok",
        }
    assert fake.token_requests == 3
    assert fake.sent_texts() == ["hi"] and fake.sent_texts("o2") == []
    method, path, query, body, at = fake.calls[-1]
    assert (method, path, query["access_token"], body) == (
        "POST",
        "message/custom/send",
        issued["access_token"],
        _text("o1", "hi"),
    )
    assert at > 0


def test_expired_token_gets_40001(fake: FakeWeChatAPI) -> None:
    with httpx.Client(base_url=fake.base_url) as client:
        old = _token(client)["access_token"]
        fake.expire_token()
        answer = _post(client, "message/custom/send", old, _text("o1", "hi"))
        assert answer["errcode"] == 40001
        assert "access_token is invalid" in answer["errmsg"]
        assert client.get("tags/get").json()["errcode"] == 41001
        new = _token(client)["access_token"]
        assert new != old
        assert _post(client, "message/custom/send", new, _text("o1", "again"))["errcode"] == 0
        # Fetching a new token also retires the previous one.
        newer = _token(client)["access_token"]
        assert _post(client, "message/custom/send", new, _text("o1", "x"))["errcode"] == 40001
        assert _post(client, "message/custom/send", newer, _text("o1", "y"))["errcode"] == 0
    assert fake.sent_texts("o1") == ["again", "y"]


def test_injected_errors(fake: FakeWeChatAPI) -> None:
    fake.fail_next("message/custom/send", 45015)
    fake.fail_next("/cgi-bin/message/custom/send", 45047, times=2)
    with httpx.Client(base_url=fake.base_url) as client:
        token = _token(client)["access_token"]
        codes = [_post(client, "message/custom/send", token, _text("o1", str(i))) for i in range(4)]
    assert [c["errcode"] for c in codes] == [45015, 45047, 45047, 0]
    assert codes[0]["errmsg"] == "response out of time limit or subscription is canceled"
    assert fake.sent_texts() == ["3"]
    assert len(fake.calls_to("message/custom/send")) == 4


def test_media_get(fake: FakeWeChatAPI) -> None:
    jpeg = b"\xff\xd8\xff\xe0fake-jpeg\xff\xd9"
    fake.add_media("MEDIA_1", jpeg)
    with httpx.Client(base_url=fake.base_url) as client:
        token = _token(client)["access_token"]
        ok = client.get("media/get", params={"access_token": token, "media_id": "MEDIA_1"})
        missing = client.get("media/get", params={"access_token": token, "media_id": "nope"})
    assert ok.headers["content-type"] == "image/jpeg" and ok.content == jpeg
    assert missing.json() == {"errcode": 40007, "errmsg": "invalid media_id"}


def test_validation(fake: FakeWeChatAPI) -> None:
    with httpx.Client(base_url=fake.base_url) as client:
        token = _token(client)["access_token"]

        def post(path: str, body: dict[str, Any]) -> int:
            return _post(client, path, token, body)["errcode"]

        assert post("message/custom/send", _text("", "hi")) == 40003
        assert post("message/custom/send", _text("o1", "")) == 44004
        assert post("message/custom/send", {"touser": "o1", "msgtype": "gif", "gif": {}}) == 40008
        assert (
            post("message/custom/send", {"touser": "o1", "msgtype": "image", "image": {}}) == 40007
        )
        news = {"articles": [{"title": "义诊", "url": "http://x"}]}
        assert post("message/custom/send", {"touser": "o1", "msgtype": "news", "news": news}) == 0
        raw = client.post("message/custom/send", params={"access_token": token}, content=b"")
        assert raw.json()["errcode"] == 44002

        template = {"touser": "o1", "template_id": "T1", "data": {"first": {"value": "已处理"}}}
        answer = _post(client, "message/template/send", token, template)
        assert answer["errcode"] == 0 and "msgid" in answer
        assert post("message/template/send", {**template, "template_id": ""}) == 40037
        assert post("message/template/send", {**template, "data": {"first": "x"}}) == 47001

        mass = {"filter": {"is_to_all": True}, "msgtype": "text", "text": {"content": "停水通知"}}
        answer = _post(client, "message/mass/sendall", token, mass)
        assert answer["errcode"] == 0 and "msg_id" in answer
        assert post("message/mass/sendall", {**mass, "filter": {"is_to_all": False}}) == 47001
        tagged = {**mass, "filter": {"is_to_all": False, "tag_id": fake.add_tag("3号楼")}}
        assert post("message/mass/sendall", tagged) == 0
        assert (
            client.get("tags/get", params={"access_token": token}).json()["tags"][0]["name"]
            == "3号楼"
        )

        click = {"type": "click", "name": "订餐", "key": "MEAL"}
        menu = {"button": [click, {"name": "更多", "sub_button": [{**click, "key": "A"}]}]}
        assert post("menu/create", menu) == 0 and fake.menu == menu
        assert post("menu/create", {"button": [click] * 4}) == 40016
        assert post("menu/create", {"button": [{**click, "key": ""}]}) == 40019
        assert post("menu/create", {"button": [{**click, "name": ""}]}) == 40018
        assert post("menu/create", {"button": [{"name": "x", "sub_button": [click] * 6}]}) == 40023
        assert (
            post("menu/create", {"button": [{"name": "x", "sub_button": [{"name": "y"}]}]}) == 40024
        )
        view = {"type": "view", "name": "官网", "url": "https://example.org"}
        assert post("menu/create", {"button": [view]}) == 0
        assert post("menu/create", {"button": [{**view, "url": ""}]}) == 40020
        assert client.get("no/such", params={"access_token": token}).json()["errcode"] == 48001
