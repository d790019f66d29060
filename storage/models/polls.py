"""Polls and questionnaires (决策共谋, 效果共评): the questions, and what residents answered."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.types import utcnow


class QuestionKind(enum.StrEnum):
    """What a question asks for."""

    CHOICE = "choice"  # one option, or several up to max_choices
    RATING = "rating"  # 1–5
    TEXT = "text"  # a few words


class ResultsShown(enum.StrEnum):
    """When residents may see the results."""

    AFTER_CLOSE = "after_close"
    LIVE = "live"
    STAFF_ONLY = "staff_only"


class Poll(Base):
    """A poll (one question) or a questionnaire (several), open to an audience for a time."""

    __tablename__ = "polls"
    __table_args__ = (Index("ix_polls_open", "community_id", "closes_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(100))
    intro: Mapped[str] = mapped_column(Text, default="")
    # The same audience as an announcement's (storage.audience).
    audience: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # One response per household (building, unit, room), as the seed's questionnaire counted.
    per_household: Mapped[bool] = mapped_column(Boolean, default=False)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    results_shown: Mapped[str] = mapped_column(String(20), default=ResultsShown.AFTER_CLOSE)
    # Send the results to the audience when it closes.
    publish_at_close: Mapped[bool] = mapped_column(Boolean, default=False)
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    # Set when staff closed it before its time (closes_at then holds that moment).
    closed_early: Mapped[bool] = mapped_column(Boolean, default=False)
    # What was done, each once: the invitation, the reminder, the results sent out.
    invited_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    # When staff were told it closed (with its results).
    reported_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(160), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PollQuestion(Base):
    """One question of a poll, in its place (1, 2, …)."""

    __tablename__ = "poll_questions"
    __table_args__ = (UniqueConstraint("poll_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10), default=QuestionKind.CHOICE)
    text: Mapped[str] = mapped_column(Text)
    options: Mapped[list[Any]] = mapped_column(default=list)
    max_choices: Mapped[int] = mapped_column(Integer, default=1)
    # An extra last option "其他" with the resident's own words.
    other: Mapped[bool] = mapped_column(Boolean, default=False)
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    # Skipped when an earlier question's answer includes an option:
    # {"question": 1, "option": 2} (positions and option numbers from 1).
    skip_if: Mapped[dict[str, Any] | None]


class PollResponse(Base):
    """One resident's (or household's) answers to one poll."""

    __tablename__ = "poll_responses"
    __table_args__ = (
        UniqueConstraint("poll_id", "resident_id"),
        # "r<resident id>", or "h<building>-<unit>-<room>" when a household answers once.
        UniqueConstraint("poll_id", "respondent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"))
    # None once the resident's data was deleted: the answers still count, anonymously.
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id", ondelete="SET NULL"))
    respondent: Mapped[str] = mapped_column(String(80))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when the last question was answered: only complete responses are counted.
    completed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PollAnswer(Base):
    """The answer to one question in a response."""

    __tablename__ = "poll_answers"
    __table_args__ = (
        UniqueConstraint("response_id", "question_id"),
        Index("ix_poll_answers_question", "question_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("poll_responses.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("poll_questions.id", ondelete="CASCADE"))
    # Option numbers from 1; the "其他" option is len(options) + 1.
    choices: Mapped[list[Any]] = mapped_column(default=list)
    rating: Mapped[int | None] = mapped_column(Integer)
    # Free text, or the words written for "其他"; "" when an optional question was skipped.
    text: Mapped[str] = mapped_column(Text, default="")
    skipped: Mapped[bool] = mapped_column(Boolean, default=False)
