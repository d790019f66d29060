"""A little demo data, so a newcomer can try everything at once."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from nlp import similarity
from nlp.topics import classify
from storage import communities, residents, staff
from storage import suggestions as store
from storage.models import SuggestionStatus
from storage.types import utcnow

DEMO_STAFF = "小王"
DEMO_SUGGESTIONS = (
    ("李大爷", "私家车越来越多,晚上回来根本找不到停车位", SuggestionStatus.OPEN),
    ("王阿姨", "3栋楼道的灯坏了一个星期了,晚上上楼看不见", SuggestionStatus.REPLIED),
    ("陈女士", "广场舞音响太吵了,晚上九点以后还在放", SuggestionStatus.OPEN),
    ("赵先生", "希望小区里多装几个充电桩,电动车没地方充电", SuggestionStatus.OPEN),
    ("刘奶奶", "能不能组织志愿者陪独居老人聊聊天", SuggestionStatus.RESOLVED),
)


async def seed(session: AsyncSession) -> int:
    """Add demo residents, suggestions and a console staff member; return suggestions added."""
    community = await communities.ensure_default(session)
    if community.name == "我的小区":
        community.name = "阳光花园社区"
    if community.duty_phone is None:
        community.duty_phone = "0571-88886666"
    await staff.add(session, "console", DEMO_STAFF, community.id, display_name=DEMO_STAFF)
    added = 0
    for name, text, status in DEMO_SUGGESTIONS:
        resident = await residents.find_by_account(session, "console", name)
        if resident is not None:
            continue
        resident = await residents.create(
            session, "console", name, display_name=name, community_id=community.id
        )
        found = classify(text)
        await store.create(
            session,
            community_id=community.id,
            resident_id=resident.id,
            channel="console",
            text=text,
            topic=found.topic,
            confidence=found.confidence,
            keywords=list(found.keywords),
            terms=" ".join(similarity.terms(text)),
            status=status,
            staff_alerted_at=utcnow(),
        )
        added += 1
    return added
