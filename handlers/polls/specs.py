"""A poll as written (a TOML file, or the answers of /newpoll), checked and turned into rows.

Both ways of creating a poll go through ``PollSpec``, so a file and the guided chat accept the
same things and refuse the same mistakes, each named with where it is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from handlers.broadcasts.staff import parse_audience
from handlers.polls.rules import OTHER_LABEL, check_skip_rule
from storage.models import Poll, PollQuestion, QuestionKind, ResultsShown

MAX_OPTIONS = 9  # numbers 1–9 answer every question with one keystroke each
RESULTS = {
    "publish": (ResultsShown.AFTER_CLOSE, True),  # sent to the audience at closing
    "after_close": (ResultsShown.AFTER_CLOSE, False),
    "live": (ResultsShown.LIVE, False),
    "staff_only": (ResultsShown.STAFF_ONLY, False),
}


class SkipRule(BaseModel):
    """Skip this question when question ``question`` was answered with option ``option``."""

    model_config = ConfigDict(extra="forbid")

    question: int = Field(ge=1)
    option: int = Field(ge=1)


class QuestionSpec(BaseModel):
    """One question as written."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: str = Field(min_length=1, max_length=300)
    kind: Literal["choice", "rating", "text"] = "choice"
    options: list[str] = Field(default_factory=list)
    max: int = Field(default=1, ge=1, le=MAX_OPTIONS)
    other: bool = False
    required: bool = True
    skip_if: SkipRule | None = None

    @field_validator("options")
    @classmethod
    def _options(cls, options: list[str]) -> list[str]:
        options = [o.strip() for o in options]
        if any(not o or len(o) > 40 for o in options):
            raise ValueError("每个选项 1–40 个字")
        if len(set(options)) != len(options):
            raise ValueError("有重复的选项")
        if any(o.isdigit() for o in options):
            # Residents answer with option numbers: an option "10" could not be told from 10.
            raise ValueError("选项不能只是数字,请写成“10 元”“20 分钟”这样")
        return options

    @model_validator(mode="after")
    def _shape(self) -> QuestionSpec:
        if self.kind != "choice":
            if self.options or self.other or self.max != 1:
                raise ValueError("只有选择题有选项(options/other/max)")
            return self
        if OTHER_LABEL in self.options:  # "其他" written as an option: it takes words
            self.options.remove(OTHER_LABEL)
            self.other = True
        count = len(self.options) + self.other
        if not 2 <= count <= MAX_OPTIONS:
            raise ValueError(f"选择题要有 2–{MAX_OPTIONS} 个选项(含“其他”),现在是 {count} 个")
        if self.max > count:
            raise ValueError(f"最多可选 {self.max} 项,但只有 {count} 个选项")
        return self


class PollSpec(BaseModel):
    """A poll or questionnaire as written."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=100)
    intro: str = Field(default="", max_length=1000)
    audience: str = "全体"
    per_household: bool = False
    anonymous: bool = False
    opens: datetime | None = None
    closes: datetime
    results: Literal["publish", "after_close", "live", "staff_only"] = "after_close"
    question: list[QuestionSpec] = Field(min_length=1, max_length=30)

    @field_validator("audience")
    @classmethod
    def _audience(cls, audience: str) -> str:
        if parse_audience(audience) is None:
            raise ValueError("看不懂的对象;可写 全体、3栋、标签 老人、60岁以上、60-79岁")
        return audience

    @model_validator(mode="after")
    def _rules(self) -> PollSpec:
        earlier: list[PollQuestion] = []
        for position, spec in enumerate(self.question, start=1):
            question = question_row(spec, position)
            if spec.skip_if is not None:
                problem = check_skip_rule(spec.skip_if.model_dump(), position, earlier)
                if problem:
                    raise ValueError(f"第 {position} 题:{problem}")
            earlier.append(question)
        return self


class SpecError(ValueError):
    """A poll definition that cannot be used; the message names each mistake and its place."""


def read_spec(raw: dict[str, Any]) -> PollSpec:
    """Check a poll definition; raise SpecError naming every mistake."""
    try:
        return PollSpec.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            where = ".".join(
                f"第 {p + 1} 题" if isinstance(p, int) else str(p)
                for p in error["loc"]
                if p != "question" or len(error["loc"]) == 1
            )
            message = str(error["msg"]).removeprefix("Value error, ")
            lines.append(f"{where or '问卷'}:{message}")
        raise SpecError("\n".join(lines)) from None


def question_row(spec: QuestionSpec, position: int) -> PollQuestion:
    """Return the row of one question (not yet added to a session)."""
    return PollQuestion(
        position=position,
        kind=QuestionKind(spec.kind),
        text=spec.text,
        options=list(spec.options),
        max_choices=spec.max,
        other=spec.other,
        required=spec.required,
        skip_if=spec.skip_if.model_dump() if spec.skip_if else None,
    )


def to_rows(
    spec: PollSpec, community_id: int, zone: ZoneInfo, now: datetime, created_by: str
) -> tuple[Poll, list[PollQuestion]]:
    """Turn a checked spec into a poll and its questions; raise SpecError if its times can't be.

    Times without an offset are the community's local time; no opening time means now.
    """

    def local(moment: datetime) -> datetime:
        return moment if moment.tzinfo else moment.replace(tzinfo=zone)

    opens = local(spec.opens) if spec.opens else now
    closes = local(spec.closes)
    if closes <= now:
        raise SpecError("closes:截止时间已经过去了")
    if closes <= opens:
        raise SpecError("closes:截止时间要在开始时间之后")
    shown, publish = RESULTS[spec.results]
    audience = parse_audience(spec.audience)
    assert audience is not None  # checked by the spec
    poll = Poll(
        community_id=community_id,
        title=spec.title,
        intro=spec.intro,
        audience=audience,
        per_household=spec.per_household,
        anonymous=spec.anonymous,
        results_shown=shown,
        publish_at_close=publish,
        opens_at=opens,
        closes_at=closes,
        created_by=created_by,
        created_at=now,
    )
    return poll, [question_row(q, i) for i, q in enumerate(spec.question, start=1)]
