"""What residents and staff read in an emergency (zh-CN): short lines, the number first."""

from __future__ import annotations

HEAD = "【紧急】请马上打电话:"
_FIRE = "🚒 火警 119"
_AMBULANCE = "🚑 急救 120"
_POLICE = "🚓 报警 110"
# The number to call first comes first.
NUMBERS: dict[str, tuple[str, ...]] = {
    "fire": (_FIRE, _AMBULANCE),
    "gas": (_FIRE, "到门外再打,不要在屋里打电话", _AMBULANCE),
    "electric": (_FIRE, _AMBULANCE),
    "elevator": (_FIRE, "或打电梯里贴的救援电话"),
    "fall": (_AMBULANCE,),
    "stroke": (_AMBULANCE,),
    "heart": (_AMBULANCE,),
    "unconscious": (_AMBULANCE,),
    "bleeding": (_AMBULANCE,),
    "water": (_AMBULANCE, _POLICE),
    "missing": (_POLICE,),
    "violence": (_POLICE,),
    "self_harm": (_POLICE, _AMBULANCE, "心理援助热线 12356"),
    "help": (_POLICE, _FIRE, _AMBULANCE),
}
DUTY = "☎ 社区值班电话 {phone}"
OTHERS = "其他:{numbers}"
EVERY_NUMBER = (("110", "报警 110"), ("119", "火警 119"), ("120", "急救 120"))
ADVICE: dict[str, tuple[str, ...]] = {
    "fire": (
        "快离开,走楼梯,不坐电梯。",
        "用湿毛巾捂住口鼻,弯腰走。",
        "出不去就关紧门,用湿布堵门缝,到窗边呼救。",
    ),
    "gas": (
        "不要开灯、不要开关电器、不要点火。",
        "关掉燃气阀门,打开窗户。",
        "人先出去,到门外再打电话。",
    ),
    "electric": (
        "不要用手去碰人和电线!",
        "先拉下电闸(总开关)。",
        "用干的木棍把电线挑开。着火了就离开,打 119。",
    ),
    "elevator": (
        "按电梯里的警铃,打电梯里贴的救援电话。",
        "不要扒门,不要跳。",
        "蹲下或靠墙站稳,等人来救。",
    ),
    "fall": (
        "先别急着扶起来,看看人清不清醒、哪里疼。",
        "头晕、不能动、骨头疼,就不要挪动,打 120。",
        "给他盖件衣服保暖,陪在旁边。",
    ),
    "stroke": (
        "可能是中风!马上打 120,说“疑似中风”。",
        "让人躺下,头偏向一边,不要喂水喂药。",
        "记下发病的时间,医生要问。",
    ),
    "heart": (
        "马上打 120。",
        "让人坐下或半躺,不要走动。",
        "医生开过急救药的,按医嘱用。",
    ),
    "unconscious": (
        "马上打 120。",
        "拍他肩膀,大声叫他。",
        "没有呼吸,就按 120 电话里教的做胸外按压。",
    ),
    "bleeding": (
        "马上打 120。",
        "用干净的布用力按住伤口止血。",
        "骨头断了的地方不要动。",
    ),
    "water": (
        "水管爆了:先关总水阀,再拉下电闸,离水远一点。",
        "有人落水:大声喊人,扔绳子或竹竿,不要自己跳下去。",
    ),
    "missing": (
        "马上打 110,说清穿什么衣服、在哪里不见的。",
        "找一张最近的照片。",
        "请保持电话畅通。",
    ),
    "violence": (
        "先保护好自己,躲到安全的地方,锁好门。",
        "马上打 110。",
        "不要和坏人硬拼。",
    ),
    "self_harm": (
        "您不是一个人,我们在。",
        "请马上打电话,或找身边的人陪着。",
        "如果是家人朋友,请陪着他,别让他一个人待着。",
    ),
    "help": ("说清楚在哪里、出了什么事。",),
}
KIND_LABELS = {
    "fire": "着火",
    "gas": "燃气泄漏",
    "electric": "触电/漏电",
    "elevator": "电梯困人",
    "fall": "摔倒",
    "stroke": "疑似中风",
    "heart": "胸痛/呼吸困难",
    "unconscious": "昏迷",
    "bleeding": "出血/受伤",
    "water": "水管爆裂/落水",
    "missing": "有人走失",
    "violence": "暴力/入室",
    "self_harm": "有人想轻生",
    "help": "求救",
}

STAFF_TOLD = "已通知社区工作人员。\n方便的话,请告诉我在几栋几单元、哪一户。"
STAFF_TOLD_WITH_ADDRESS = "已通知社区工作人员,他们会马上联系您。\n有新情况直接发给我。"
PASSED_ON = "已转告工作人员。"
WHICH_COMMUNITY = "为了通知工作人员,请选您住的小区:"

STAFF_ALERT = (
    "【紧急·{kind}】#{id} {who}\n原话:{text}\n居民已收到急救电话和处理建议。请马上联系!{missing}"
)
STAFF_AGAIN = "【紧急·{kind}·再次】#{id} {who}\n原话:{text}"
STAFF_MORE = "【紧急·补充】#{id} {who}:{text}"
STAFF_NO_ADDRESS = "\n(住址未登记,已请居民告知)"
