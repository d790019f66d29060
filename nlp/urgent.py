"""Spot messages about an emergency happening now.

Fire, gas, a lift with people in it, a fall, a stroke or heart attack, someone unconscious or
bleeding, a person missing, violence, electricity or water danger, a person threatening their
life.

Residents write in a hurry, by voice, in dialect and without punctuation, and the emergency is
often the last clause of a long message. So the text is folded first (full-width forms, spaces),
words misheard by sound are put back (电题 → 电梯, ``nlp.soundalike``), and each kind's rules are
looked for anywhere. A match is set aside only when words in its clause put the danger in the
past, in a plan, in a story or a joke, or make it a question about a service (上次摔倒, 煤气费怎
么交, 火灾隐患, 消防演练, 笑死) — and words of alarm in the message (快, 救命, 刚才, 怎么办) keep
a question a call for help.

Missing an emergency costs far more than a needless reminder of 110/119/120: doubtful cases are
reported. The rules live in ``nlp/urgent_rules.py``. Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from nlp import urgent_rules as R
from nlp.features import Features
from nlp.linear import LinearModel
from nlp.resources import model_path
from nlp.soundalike import Restorer
from nlp.tokenizer import compact, get_tokenizer, normalize, words

KINDS = R.KINDS
# A word like this anywhere in the message says it is happening now, whatever else it says.
_ALARM = re.compile(R.ALARM)
# Words that end the here and now: a clause is read as a whole, not past them.
_BREAK = re.compile(r"[,，。.!！?？;；~～…\n]")
# How far (in characters) from a match the words that set it aside may stand.
_NEAR = 10
# How sure the model must be of an emergency the rules did not find. High: the rules find
# nearly all; the model catches a new way of saying one, and must not cry wolf.
MODEL_THRESHOLD = 0.8
# Below this, the model overrules the rules on messages of VETO_LENGTH characters or more
# (shorter ones carry too few words for it to judge).
VETO = 0.1
VETO_LENGTH = 10


@dataclass(frozen=True)
class Urgency:
    """What kind of emergency a message reports, and the words that told it."""

    kind: str
    words: str = ""


@dataclass(frozen=True)
class _Rule:
    kind: str
    pattern: re.Pattern[str]
    unless: re.Pattern[str] | None
    # A strong rule's words cannot be a service question (着火了, 电梯困人): only words that
    # move it out of the present set it aside.
    strong: bool
    # Words anywhere in the message that make this rule's matches something else.
    wide: re.Pattern[str] | None


@cache
def _rules() -> tuple[_Rule, ...]:
    return tuple(
        _Rule(
            kind,
            re.compile(pattern),
            re.compile(unless) if unless else None,
            strong,
            re.compile(R.WIDE_UNLESS[kind]) if kind in R.WIDE_UNLESS else None,
        )
        for kind, pattern, unless, strong in R.RULES
    )


@cache
def _restorer() -> Restorer:
    frequencies = get_tokenizer().FREQ
    # A word seen a few times in the dictionary (出电 2, 小头 3) is no real rival.
    return Restorer(R.RESTORED, known=lambda w: frequencies.get(w, 0) >= 5, never=R.NEVER_RESTORED)


@cache
def _elsewhere() -> re.Pattern[str]:
    return re.compile(R.ELSEWHERE)


@cache
def _about() -> re.Pattern[str]:
    return re.compile(R.ABOUT)


@cache
def _severe() -> re.Pattern[str]:
    return re.compile(R.SEVERE)


@cache
def _story() -> re.Pattern[str]:
    return re.compile(R.STORY)


@cache
def _recent() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    return re.compile(R.RECENT), re.compile(R.STILL), re.compile(R.ASKING)


def prepare(text: str) -> str:
    """Return the text as it is matched: folded, spaces as commas, sound-alikes restored."""
    # A space often stands where a comma would ("电梯坏了好几天了 我妈被关在里面").
    folded = re.sub(r"\s+", ",", normalize(text))
    return _restorer().restore(R.rewrite_numbers(R.rewrite_dialect(folded)))


def detect(text: str) -> Urgency | None:
    """Return the emergency a message reports as happening now, if any.

    When in doubt it reports one: a needless 110/119/120 reminder costs little, a missed
    emergency a great deal. Of several, a strong rule's kind wins over a weak one's, then the
    most urgent kind (first in KINDS).
    """
    if not text or not text.strip():
        return None
    said = prepare(text)
    if _story().search(said):
        return None
    found = _scan(said)
    if found is None and "," in said:
        # Spoken messages stutter and pause ("我 我 说话 不对劲"): read them once more as one.
        found = _scan(said.replace(",", ""))
    if found is None:
        if _wordy(said) and probability(text) >= MODEL_THRESHOLD:
            found = Urgency(_likely_kind(said), "")
    elif len(compact(said)) >= VETO_LENGTH and probability(text) < VETO:
        # A long message whose words the rules matched, but which reads to the model like the
        # look-alikes it learned from (a story, a hazard to fix): no alarm.
        found = None
    return found


# Door numbers, dates, times, amounts: the words of an answer, never of an emergency.
_PLAIN = re.compile(
    r"[0-9a-z栋幢座号楼层单元室户门牌期区零〇一二两三四五六七八九十百点分份个人位]+"
)


def _wordy(said: str) -> bool:
    """Tell whether a message says enough in words for the model to judge it (6+ characters)."""
    return len(_PLAIN.sub("", compact(said))) >= 6


@cache
def model() -> LinearModel:
    """Return the shipped model that scores how likely a message is an emergency."""
    return LinearModel.load(model_path("urgent.json"))


def features(text: str) -> Features:
    """Return the model's features: characters 1–3 at a time and words, of the prepared text."""
    said = prepare(text)
    chars = compact(said)
    names = {"c:" + chars[i : i + n] for n in (1, 2, 3) for i in range(len(chars) - n + 1)}
    names.update("w:" + w for w in words(said))
    return Features(frozenset(names), (), ())


def probability(text: str) -> float:
    """Return how likely the model finds it that a message reports an emergency now."""
    found = model().predict(features(text).names)
    return found.confidence if found.label == "urgent" else 1.0 - found.confidence


def _likely_kind(said: str) -> str:
    """Return the kind whose words a message uses, though they were set aside; else help."""
    for rule in _rules():
        if rule.pattern.search(said):
            return rule.kind
    return "help"


def _scan(said: str) -> Urgency | None:
    """Return the most urgent kind whose rules match and are not set aside."""
    alarmed = bool(_ALARM.search(said))
    found: list[tuple[bool, int, Urgency]] = []
    for rule in _rules():
        if rule.wide is not None and rule.wide.search(said):
            continue
        position = 0
        # Overlapping search: a match set aside may hide a real one starting inside it.
        while (match := rule.pattern.search(said, position)) is not None:
            if not _set_aside(said, match, rule, alarmed):
                found.append(
                    (not rule.strong, KINDS.index(rule.kind), Urgency(rule.kind, match.group()))
                )
                break
            position = match.start() + 1
    return min(found, key=lambda f: f[:2])[2] if found else None


def _set_aside(said: str, match: re.Match[str], rule: _Rule, alarmed: bool) -> bool:
    """Tell whether words near a match take it out of the here and now."""
    start, end = _clause(said, match.start(), match.end())
    around = said[max(start, match.start() - _NEAR) : min(end, match.end() + _NEAR)]
    if _elsewhere().search(said[start:end]):
        return True
    recent, still, asking = _recent()
    clause = said[start:end]
    if recent.search(clause) and not still.search(clause):
        return True
    if not alarmed and asking.search(said if not rule.strong else around):
        return True
    # What a match is about may be said in the next clause ("有人在烧烤 冒烟"): these words
    # count across commas.
    near = said[max(0, match.start() - _NEAR) : match.end() + _NEAR]
    beside = near.replace(match.group(), ",", 1)  # the match's own words are no severity
    if rule.unless is not None and rule.unless.search(near) and not _severe().search(beside):
        return True
    if rule.strong or alarmed:
        return False
    return bool(_about().search(around))


def _clause(said: str, start: int, end: int) -> tuple[int, int]:
    """Return the bounds of the clause around a match (punctuation ends a clause)."""
    before = [m.end() for m in _BREAK.finditer(said, 0, start)]
    after = _BREAK.search(said, end)
    return (before[-1] if before else 0), (after.start() if after else len(said))
