"""Everything residents and staff read about suggestions (zh-CN), in one place."""

from __future__ import annotations

from handlers.texts import snippet
from storage.models import Suggestion, SuggestionStatus

__all__ = ["snippet", "status_label"]

STATUS_LABELS = {
    SuggestionStatus.OPEN: "待处理",
    SuggestionStatus.REPLIED: "已回复",
    SuggestionStatus.RESOLVED: "已解决",
    SuggestionStatus.CLOSED: "已完结",
    SuggestionStatus.REOPENED: "重新处理中",
    SuggestionStatus.MERGED: "已合并",
    SuggestionStatus.WITHDRAWN: "已撤回",
}

MEDIA_KEPT = "收到了,已先保存。请再用一句话说说是什么问题、在哪里,我一起记下来。"
VOICE_KEPT = (
    "收到您的语音,已先保存。这里听不了语音,请打字说一下是什么问题;用微信公众号的话,可以直接说话。"
)
ACK = "已收到您的建议(编号 {id},分类:{topic})。处理后会通知您。"
TRUNCATED = "您的消息比较长,已保存前 {limit} 字。"
SIMILAR = (
    "已有 {n} 位邻居反映了类似问题:“{snippet}”(编号 {other})。合并后一起跟进,处理时也会通知您。"
)
MERGED = "已合并到编号 {other},现在共有 {n} 位邻居关注这个问题。处理时会通知您。"
KEPT = "好的,您的建议(编号 {id})会单独处理。"
PICK_TOPIC = "请选择正确的分类:"
RETOPICED = "已改为分类:{topic}。谢谢您告诉我们!"
WITHDRAWN = "已撤回您的建议(编号 {id})。"
NOT_YOURS = "没有找到您的编号 {id} 的建议。发送“我的建议”看看您提过的。"
CANNOT_WITHDRAW_SUPPORTED = (
    "已有 {n} 位邻居跟您一起关注编号 {id},它会继续处理,不能撤回。处理结果也会通知您。"
)
CANNOT_WITHDRAW = "编号 {id} 的建议现在是“{status}”,不能再撤回了。"
ALREADY_DECIDED = "这条建议已经处理过这个选项了。"
NONE_YET = "您还没有提过建议。直接发消息告诉我就可以,例如:“楼道灯坏了”。"
MINE_HEADER = "您的建议(最近 {n} 条):"
MINE_FOOTER = "想撤回,发送“撤回 编号”,例如“撤回 {id}”。"
WHICH_TO_WITHDRAW = "要撤回哪一条?请发“撤回 编号”,例如“撤回 12”。发“我的建议”可以看到编号。"
SAY_MORE = (
    "您说的“{text}”,我没太明白。\n请多说几句:什么事、在哪里。\n"
    "如果就是要把这句话交给工作人员,回复 1。"
)
NOT_FILED = "好的,没有记下。有事随时告诉我。"
MINE_STATUS_SOON = "{what}的记录在这里还查不到,现在能查的是“我的建议”。"

STAFF_REPLY_TO_RESIDENT = "社区回复了您的建议(编号 {id}):\n{text}"
RESOLVED_TO_RESIDENT = "您关注的问题(编号 {id})已处理完成{note}。"
RATE_PROMPT = (
    "{note}请给编号 {id}(“{snippet}”)的处理结果打个分,回复数字:\n"
    "5 很满意\n4 满意\n3 一般\n2 不满意\n1 很不满意\n6 没解决"
)
RATE_HINT = "请回复 1 到 5 打分(5 最满意),没解决回复 6"
RATE_LATER = "您还有编号 {other} 没评价,评完再请您评这一条;也可以随时发“评价 {id}”。"
ONE_MORE = "还有一条:"
NOTHING_TO_RATE = "现在没有要您评价的事。处理完的建议,发“评价 编号”也能打分。"
CLOSED_TO_RESIDENT = "您关注的问题(编号 {id})已完结{note}。谢谢您的参与!"
RATE_THANKS = "谢谢您的评价({score} 分)!"
RATE_REOPENED = "抱歉没有让您满意。编号 {id} 已重新打开,工作人员会继续跟进。"
ALREADY_RATED = "您已经评价过编号 {id} 了,谢谢!"
NOT_RATEABLE = "编号 {id} 现在不需要评价。"

STAFF_NEW = "新建议 #{id} [{topic}] {who}:{snippet}"
STAFF_REOPENED = "#{id} 被居民重新打开(评分:{score})。"
STAFF_DIGEST = "过去一段时间有 {n} 条新建议:"


def status_label(suggestion: Suggestion) -> str:
    """Return a suggestion's status for people to read."""
    label = STATUS_LABELS.get(SuggestionStatus(suggestion.status), suggestion.status)
    if suggestion.status == SuggestionStatus.MERGED and suggestion.merged_into_id:
        return f"{label}到编号 {suggestion.merged_into_id}"
    return label
