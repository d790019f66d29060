"""Channel-neutral message types: what a channel hands in and what a handler hands back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from handlers import texts
from storage.types import utcnow


@dataclass(frozen=True)
class Media:
    """A picture, voice note or file attached to a message, by the platform's reference."""

    kind: str  # "photo" | "voice" | "audio" | "file"
    ref: str  # the platform's file id / media id
    mime: str | None = None


@dataclass(frozen=True)
class Incoming:
    """One message from a resident or staff member, whichever platform it came from."""

    channel: str
    user_id: str
    text: str = ""
    message_id: str | None = None
    button: str | None = None
    display_name: str | None = None
    media: tuple[Media, ...] = ()
    location: tuple[float, float] | None = None
    contact_phone: str | None = None
    # False when the shared contact card is someone else's, not the sender's own.
    contact_is_own: bool = True
    # A deep-link or QR-scene payload (a community invite, a staff invite code).
    start_payload: str | None = None
    received_at: datetime = field(default_factory=utcnow)
    # False when the platform cannot prove who sent it (WeChat's plain mode signs the query but
    # not the body): such a message may not act as staff nor delete anyone's data.
    sender_verified: bool = True


@dataclass(frozen=True)
class Button:
    """A choice under a reply. ``kind`` lets channels offer contact/location requests."""

    label: str
    data: str = ""
    kind: str = "callback"  # "callback" | "request_contact" | "request_location" | "url"
    url: str | None = None


@dataclass(frozen=True)
class Reply:
    """One message back to the user. Channels render buttons their own way."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    image: str | None = None  # a path or URL of a picture to send
    # The platform id of an earlier prompt to edit in place instead of sending anew.
    edit_message_id: str | None = None
    # True when this answers a button that no longer means anything (stale or forged): the
    # channel leaves the prompt the button was under as it was.
    refuses_button: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe form (for the outbox and the replay record)."""
        raw: dict[str, Any] = {
            "text": self.text,
            "buttons": [[b.__dict__ for b in row] for row in self.buttons],
            "image": self.image,
            "edit_message_id": self.edit_message_id,
        }
        if self.refuses_button:
            raw["refuses_button"] = True
        return raw

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Reply:
        """Rebuild a Reply written by ``to_dict``."""
        return cls(
            text=raw["text"],
            buttons=tuple(tuple(Button(**b) for b in row) for row in raw.get("buttons", [])),
            image=raw.get("image"),
            edit_message_id=raw.get("edit_message_id"),
            refuses_button=raw.get("refuses_button", False),
        )


def expired_button() -> Reply:
    """Answer a button that no longer means anything, telling the channel it was refused."""
    return Reply(texts.BUTTON_EXPIRED, refuses_button=True)


def record_number(text: str) -> int | None:
    """Read a record number typed or pressed ("12"); None for anything else or absurdly large."""
    text = text.strip()
    # Nine digits keep it inside every database's integer range.
    return int(text) if text.isdigit() and len(text) <= 9 else None


def buttons(*choices: tuple[str, str], per_row: int = 2) -> tuple[tuple[Button, ...], ...]:
    """Lay (label, data) choices out in rows of ``per_row``."""
    items = [Button(label, data) for label, data in choices]
    return tuple(tuple(items[i : i + per_row]) for i in range(0, len(items), per_row))
