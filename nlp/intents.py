"""Intent classifier: what a resident wants linli to do with a message."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from nlp import chitchat
from nlp.features import Featurizer, load_lexicon
from nlp.linear import LinearModel
from nlp.meals import date_slot, order_slots
from nlp.resources import model_path

SHANGHAI = ZoneInfo("Asia/Shanghai")

# Intent ids. Later features may add intents; these never change meaning.
INTENTS = (
    "suggestion",
    "meal_order",
    "meal_cancel",
    "meal_menu",
    "event_list",
    "event_signup",
    "event_cancel",
    "status",
    "help",
    "chitchat",
)

_NUM = r"[0-9一二两俩三四五六七八九十几]"
CUE_PATTERNS = {
    # A run of digits is read from its start only, and once (possessive ++): never tried
    # again from each of its digits, which made a long run quadratic.
    "quantity": r"(?<![0-9一二两俩三四五六七八九十几])" + _NUM + r"++\s*(份|个人|口人|位|盒)",
    "date": (
        r"今天|明天|后天|明儿|周[一二三四五六日天]|星期[一二三四五六日天]|礼拜|下周|(?<!\d)\d++\s*[月号日]"
    ),
    "question": r"[吗呢?？]$|什么|啥|哪|几|怎么|多少",
    "first_person_want": r"^(我|俺|给我|帮我)?(想|要|来)",
}

# What a ``status`` question is about: the first group that matches wins.
_STATUS_ABOUT = (
    ("orders", re.compile(r"饭|餐|订单|订的|食堂|吃")),
    ("signups", re.compile(r"报名|活动|报的|参加|讲座|义诊")),
    ("suggestions", re.compile(r"建议|反映|问题|投诉|提的|意见|处理")),
)


@dataclass(frozen=True)
class Understanding:
    """An intent, how sure the model is, and the details (slots) it found."""

    intent: str
    confidence: float
    slots: dict[str, Any] = field(default_factory=dict)


@cache
def featurizer() -> Featurizer:
    """Return the intent featurizer: cue words and patterns on top of the shared features."""
    return Featurizer(load_lexicon("intent-cues.toml"), CUE_PATTERNS, pairs=True)


@cache
def model() -> LinearModel:
    """Return the shipped intent model."""
    return LinearModel.load(model_path("intents.json"))


def understand(text: str, now: datetime | None = None) -> Understanding:
    """Return what ``text`` asks for; blank text is a ``suggestion`` with confidence 0.

    ``now`` is the reference time for dates in slots (used by features that parse them).
    """
    if not text.strip():
        return Understanding("suggestion", 0.0)
    # Greetings, thanks and acknowledgements are answered kindly and never filed.
    if (kind := chitchat.kind_of(text)) is not None:
        return Understanding("chitchat", 1.0, {"kind": kind})
    feats = featurizer()(text)
    if len(feats.names) <= 1:
        return Understanding("suggestion", 0.0)
    prediction = model().predict(feats.names)
    slots: dict[str, Any] = {}
    if prediction.label == "status":
        slots["about"] = status_about(text)
    elif prediction.label == "meal_order":
        slots = dict(order_slots(text, now or datetime.now(SHANGHAI)))
    elif prediction.label in ("meal_cancel", "meal_menu"):
        slots = date_slot(text, now or datetime.now(SHANGHAI))
    return Understanding(prediction.label, round(prediction.confidence, 4), slots)


def status_about(text: str) -> str:
    """Tell whether a status question is about orders, sign-ups or suggestions."""
    for about, pattern in _STATUS_ABOUT:
        if pattern.search(text):
            return about
    return "suggestions"
