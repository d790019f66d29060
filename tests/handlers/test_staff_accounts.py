"""Staff access ends: operators list and remove staff in chat and on the command line, audited."""

from __future__ import annotations

from sqlalchemy import select

from handlers import texts
from storage import communities
from storage import staff as staff_store
from storage.engine import transaction
from storage.models import AuditLog
from storage.scoping import Scope
from tests.support.chat import Chat, make_staff


async def _actions(app) -> list[tuple[str, str, str | None]]:
    async with app.read_maker() as session:
        rows = await session.scalars(select(AuditLog).order_by(AuditLog.id))
        return [(r.actor, r.action, r.target) for r in rows]


async def test_an_operator_lists_and_removes_staff_and_it_takes_effect_at_once(app) -> None:
    boss = await make_staff(app, "总部老周", greet=True)
    async with transaction(app.maker) as session:
        await staff_store.add(session, "console", "总部老周", None)  # operator-wide
    worker = await make_staff(app, "小王", greet=True)
    listing = await boss.text("/stafflist")
    assert "console:小王" in listing and "console:总部老周" in listing and "所有社区" in listing
    assert texts.STAFF_ONLY not in await worker.text("/open")
    await worker.say("/broadcast")  # half-way through writing an announcement
    said = await boss.text("/staffremove console:小王")
    assert "已移除 console:小王" in said
    # The very next message is a resident's: no staff command, no half-written announcement.
    assert await worker.text("/open") == texts.STAFF_ONLY
    assert "通知内容" not in await worker.text("明天停水")
    assert ("console:总部老周", "staff.remove", "console:小王") in await _actions(app)


async def test_staff_of_one_community_may_not_list_or_remove(app) -> None:
    worker = await make_staff(app, "小王", greet=True)
    await make_staff(app, "小李", greet=True)
    assert "只有运营方" in await worker.text("/stafflist")
    assert "只有运营方" in await worker.text("/staffremove console:小李")
    async with app.read_maker() as session:
        left = await staff_store.members(session, Scope.operator())
    assert sorted(m.external_id for m, _ in left) == ["小李", "小王"]
    actions = [a for _, a, _ in await _actions(app)]
    assert "refused.staff_list.not_operator" in actions
    assert "refused.staff_remove.not_operator" in actions


async def test_bad_removals_get_a_clear_answer_and_change_nothing(app) -> None:
    boss = Chat(app, "总部老周")
    async with transaction(app.maker) as session:
        await communities.ensure_default(session)
        await staff_store.add(session, "console", "总部老周", None)
    await boss.say("你好")
    assert "用法" in await boss.text("/staffremove 小王")
    assert "不是工作人员" in await boss.text("/staffremove console:没这个人")
    assert "不能移除您自己" in await boss.text("/staffremove console:总部老周")
    assert "工作人员名单" not in await Chat(app, "居民").text("/stafflist")
    async with app.read_maker() as session:
        assert await staff_store.scope_of(session, "console", "总部老周") is not None
