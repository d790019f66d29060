"""帮助: what linli can do, as a numbered menu a senior can choose from; and chit-chat.

The menu's numbers work: typing 3 (or 三, or pressing the button) opens activities, as if the
resident had sent “活动”. Greetings, thanks and acknowledgements get a short friendly answer
and never become a record or an alert.
"""

from __future__ import annotations

from handlers.context import Context
from handlers.router import Router
from handlers.types import Reply, buttons

router = Router("help")

MENU = "help.menu"
# (label, what choosing it sends as if typed); a None sends the hint instead.
ITEMS: tuple[tuple[str, str | None], ...] = (
    ("反映问题、提建议", None),
    ("我的建议", "我的建议"),
    ("社区活动", "活动"),
    ("食堂菜单和订餐", "菜单"),
    ("问卷和投票", "问卷"),
    ("找工作人员", "转人工"),
    ("留电话", "留电话"),
    ("我的资料", "我的资料"),
)
RESIDENT_HELP = "我是邻里小助手,您可以选:"
DANGER = "有危险请先打 110 / 119 / 120。"
HOW_TO_TELL = "请直接告诉我是什么事、在哪里。\n例如:“3栋楼道灯坏了”。"

STAFF_HELP = """工作人员命令:
/open 或“待办”:待处理建议,可加 楼栋 分类 状态 超期 页码(/open 3栋 超期)
详情 编号:全文、经过、照片和位置
/reply 编号 内容:回复居民
/resolve 编号 [说明]:标记解决并请居民评价
/close 编号:完结
/topic 编号 分类:改分类
/stats 或“统计”:按分类、状态计数
/handoffs:人工会话;/answer 会话号 内容:答复居民
/community:切换负责的社区
活动:/newevent 新建;/eventlist 列表;/roster 编号 名单;/checkin 编号 签到码;
  /editevent 编号 字段 新值;/notifyevent 编号 内容;/cancelevent 编号 原因
食堂:/orders [明天] 订餐统计;/setmenu 日期 午餐 价格 菜品:设菜单;
  /subsidy 年龄 元数 …:补贴档位;/eligible 称呼 [取消]:送餐登记
问卷:/newpoll 发起投票或问卷;/polllist 列表;/pollresults 编号 结果和图表;
  /pollclose 编号 提前结束;/pollextend 编号 时间 延期;/pollpublish 编号 公布结果
运营方:/stafflist 工作人员名单;/staffremove 渠道:账号 移除;/audit 审计记录"""

CHITCHAT = {
    "greeting": "您好!我在。有事直接跟我说,或发“帮助”看看我能做什么。",
    "thanks": "不客气!有事随时找我。",
    "bye": "好的,再见!有事随时找我。",
    "ack": "好的。有事随时找我。",
}


@router.command("帮助", "/help", "/start", "help", "菜单栏", "功能")
@router.intent("help")
async def show_help(ctx: Context) -> list[Reply]:
    """Show the numbered menu (and the staff commands to staff)."""
    choices = buttons(*[(label, f"help:{i}") for i, (label, _) in enumerate(ITEMS, 1)])
    replies = [Reply(RESIDENT_HELP, choices), Reply(DANGER)]
    if ctx.is_staff:
        replies.append(Reply(STAFF_HELP))
    return await ctx.ask(MENU, replies)


@router.button("help")
async def chosen(ctx: Context) -> list[Reply] | None:
    """Open what the resident chose from the menu."""
    number = (ctx.choice or "").partition(":")[2]
    if not number.isdigit() or not 1 <= int(number) <= len(ITEMS):
        return None
    await ctx.done()
    _, words = ITEMS[int(number) - 1]
    if words is None or ctx.redirect is None:
        return [Reply(HOW_TO_TELL)]
    return await ctx.redirect(words)


@router.intent("chitchat")
async def chitchat(ctx: Context) -> list[Reply]:
    """Answer a greeting, thanks or an acknowledgement kindly; nothing is stored."""
    kind = str(ctx.slots.get("kind", "ack"))
    return [Reply(CHITCHAT.get(kind, CHITCHAT["ack"]))]
