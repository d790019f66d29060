"""帮助: what linli can do, in short lines a senior can follow; and what is not open yet."""

from __future__ import annotations

from handlers.context import Context
from handlers.router import Router
from handlers.types import Reply

router = Router("help")

RESIDENT_HELP = """我是邻里小助手,您可以:
1. 直接说建议或问题,例如“楼道灯坏了”
2. 发“我的建议”,看处理进度
3. 发“活动”,看最近的活动并报名;“我的报名”查看、“取消报名”取消
4. 发“菜单”看幸福食堂吃什么;说“明天中午订两份饭”就能订餐;“照旧”每天订
5. 发“问卷”,填社区的投票和问卷;“继续问卷”接着填,“修改答案”改答案
6. 发“转人工”,找工作人员
7. 发“留电话”,方便工作人员回电(自愿)
8. 发“删除我的信息”,删除您的资料
有危险请先打 110 / 119 / 120。"""

STAFF_HELP = """工作人员命令:
/open [分类] 或“待办”:待处理建议
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
  /pollclose 编号 提前结束;/pollextend 编号 时间 延期;/pollpublish 编号 公布结果"""


@router.command("帮助", "/help", "/start", "help", "你好", "您好")
@router.intent("help")
async def show_help(ctx: Context) -> list[Reply]:
    """Explain what linli can do (and the staff commands to staff)."""
    replies = [Reply(RESIDENT_HELP)]
    if ctx.is_staff:
        replies.append(Reply(STAFF_HELP))
    return replies
