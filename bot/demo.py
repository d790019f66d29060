"""A little demo data, so a newcomer can try everything at once."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.polls.specs import read_spec, to_rows
from nlp import similarity
from nlp.topics import classify
from storage import activities, canteen, communities, polls, residents, staff
from storage import suggestions as store
from storage.models import Activity, ActivitySlot, SuggestionStatus
from storage.scoping import Scope
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
    await seed_activities(session, community.id)
    await seed_canteen(session, community.id)
    await seed_poll(session, community.id)
    return added


DEMO_MENUS = (
    ("红烧鸡腿、清炒时蔬、番茄蛋汤、米饭", "清蒸鱼、香菇青菜、小米粥"),
    ("土豆烧牛肉、凉拌黄瓜、紫菜汤、米饭", "肉末豆腐、炒菠菜、馒头"),
    ("糖醋里脊(少糖)、蒜蓉西兰花、冬瓜汤、米饭", "虾仁蒸蛋、炒生菜、南瓜粥"),
)


async def seed_canteen(
    session: AsyncSession, community_id: int, timezone: str = "Asia/Shanghai"
) -> None:
    """Publish a week of menus, and let the console user "我" have meals delivered."""
    today = datetime.now(ZoneInfo(timezone)).date()
    for n in range(8):
        lunch, dinner = DEMO_MENUS[n % len(DEMO_MENUS)]
        day = today + timedelta(days=n)
        await canteen.set_menu(session, community_id, day, "lunch", lunch, 1000)
        await canteen.set_menu(session, community_id, day, "dinner", dinner, 800)
    me = await residents.find_by_account(session, "console", "我")
    if me is None:
        me = await residents.create(
            session, "console", "我", display_name="我", community_id=community_id
        )
    me.delivery_eligible = True


async def seed_activities(
    session: AsyncSession, community_id: int, timezone: str = "Asia/Shanghai"
) -> int:
    """Add sample activities in the coming days (once); return how many were added."""
    if await activities.upcoming(session, community_id, utcnow(), limit=1):
        return 0
    zone = ZoneInfo(timezone)
    today = datetime.now(zone).date()

    def at(days: int, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(today + timedelta(days=days), time(hour, minute), zone)

    clinic = Activity(
        community_id=community_id,
        title="社区义诊",
        description="社区卫生服务中心医生坐诊:量血压、测血糖、用药咨询。请带上医保卡。",
        keywords="义诊 看病 体检 量血压 测血糖 医生",
        place="社区活动中心一楼",
        starts_at=at(7, 9),
        ends_at=at(7, 11, 30),
        capacity=30,
    )
    haircut = Activity(
        community_id=community_id,
        title="老年人义务理发",
        description="志愿者理发师上门服务,每人约 15 分钟,请按时段到场。",
        keywords="理发 剪头 剪头发 老人",
        place="社区服务站",
        starts_at=at(3, 9),
        ends_at=at(3, 11, 30),
        audience="60岁以上居民",
        min_age=60,
    )
    painting = Activity(
        community_id=community_id,
        title="亲子绘画下午",
        description="家长和孩子一起画“我的家”,画具由社区提供。一个家庭报 2 人。",
        keywords="亲子 画画 绘画 孩子 小朋友",
        place="社区活动中心二楼",
        starts_at=at(10, 14),
        ends_at=at(10, 16),
        capacity=20,
        audience="有孩子的家庭",
    )
    session.add_all([clinic, haircut, painting])
    await session.flush()
    for n in range(10):  # 09:00 to 11:15, one person each
        start = at(3, 9) + timedelta(minutes=15 * n)
        session.add(ActivitySlot(activity_id=haircut.id, starts_at=start))
    await session.flush()
    return 3


DEMO_POLL = {
    "title": "服务中心二楼做什么",
    "intro": "社区服务中心二楼要改造,想听听每家的意见。",
    "per_household": True,
    "results": "live",
    "question": [
        {
            "text": "二楼最需要做成什么?",
            "options": ["老年食堂", "儿童托管", "健身房", "图书阅览室", "其他"],
        },
        {
            "text": "您家最常用哪些服务?",
            "options": ["助餐", "理发", "义诊", "代收快递", "家电维修"],
            "max": 3,
        },
        {"text": "您对现在一楼服务站满意吗?", "kind": "rating"},
        {"text": "您愿意做志愿者吗?", "options": ["愿意", "不愿意"]},
        {
            "text": "您什么时间方便参加志愿服务?",
            "options": ["工作日白天", "工作日晚上", "周末"],
            "max": 3,
            "skip_if": {"question": 4, "option": 2},
        },
        {"text": "还有什么想说的?", "kind": "text", "required": False},
    ],
}


async def seed_poll(
    session: AsyncSession, community_id: int, timezone: str = "Asia/Shanghai"
) -> int:
    """Add one open sample questionnaire (once); return how many were added."""
    if await polls.recent(session, Scope.of(community_id), limit=1):
        return 0
    zone, now = ZoneInfo(timezone), utcnow()
    day = (now + timedelta(days=14)).astimezone(zone).date()
    spec = read_spec({**DEMO_POLL, "closes": datetime.combine(day, time(18, 0)).isoformat()})
    poll, questions = to_rows(spec, community_id, zone, now, "")
    await polls.create(session, poll, questions)
    return 1
