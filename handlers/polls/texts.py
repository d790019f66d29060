"""What residents and staff read about polls and questionnaires (zh-CN)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

WEEKDAYS = "一二三四五六日"

NONE_OPEN = "现在没有需要您填写的问卷或投票。有新的会通知您。"
PAUSED = "好的,先停在这里,已答的都保存着。想接着填,发送“继续问卷”。"
NOTHING_TO_RESUME = "您没有填到一半的问卷。发送“问卷”看看有哪些可以填。"
NOTHING_TO_CHANGE = "您还没有可以修改的答案(问卷截止后不能再改)。"
PAUSE_HINT = "(发送 0 暂停,以后发“继续问卷”接着填。)"
OTHER_ASK = "您选了“其他”,请写下具体内容:"
OTHER_EMPTY = "请写几个字说明“其他”是什么;不想写可以发送 0 暂停。"
GONE = "这份问卷已经不在了。发送“问卷”看看现在有哪些。"
ASK_HOUSEHOLD = (
    "这份问卷每户填一份。请告诉我您家的门牌,例如“3栋2单元502”。"
    "门牌会记在您的资料里(送餐也用它),仅本社区工作人员可见;发送“删除地址”可删除。"
)
NO_RESULTS_YET = "结果会在问卷截止后公布。"
STAFF_ONLY_RESULTS = "这份问卷的结果由社区工作人员汇总,不对外公布。"


def when(moment: datetime, zone: ZoneInfo) -> str:
    """Return 12月5日(周六)18:00 in the community's time."""
    local = moment.astimezone(zone)
    return f"{local.month}月{local.day}日(周{WEEKDAYS[local.weekday()]}){local:%H:%M}"


def closed(title: str, closes: str) -> str:
    """Say a poll closed."""
    return f"“{title}”已于 {closes} 截止,不能再填写或修改了。谢谢关心!"


def not_yet(title: str, opens: str) -> str:
    """Say a poll is not open yet."""
    return f"“{title}”{opens} 才开始,到时会通知您。"


def not_for_you(title: str, audience: str) -> str:
    """Say a poll is for others."""
    return f"“{title}”是请{audience}填写的,这次不用您填。谢谢关心!"


def household_done(title: str, address: str) -> str:
    """Say the household already answered."""
    return f"您家({address})已经有家人填写了“{title}”,每户一份就够了,谢谢!"


def household_busy(title: str, address: str) -> str:
    """Say another member of the household is answering."""
    return f"您家({address})已经有家人在填写“{title}”了(每户一份),请家人接着填完就好。"


def finished(closes: str, live: bool) -> str:
    """Thank a resident for a complete response."""
    tail = "下面是目前的结果。" if live else "结果会在截止后公布。"
    return f"已提交,谢谢您!{closes} 截止前可以发送“修改答案”修改。{tail}"


def invitation(title: str, intro: str, closes: str, questions: int, household: bool) -> str:
    """Return the invitation sent to the audience when a poll opens."""
    size = "一道题" if questions == 1 else f"{questions} 道题"
    who = "每户填一份," if household else ""
    lines = [f"【{'投票' if questions == 1 else '问卷'}】{title}"]
    if intro:
        lines.append(intro)
    lines.append(f"共{size},{who}{closes} 截止。回复“问卷”开始填写。")
    return "\n".join(lines)


def reminder(title: str, closes: str) -> str:
    """Return the reminder to those who have not answered."""
    return f"提醒:“{title}”{closes} 就要截止了,您还没有填写。回复“问卷”开始,几分钟就好。"
