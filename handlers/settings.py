"""The settings handlers need: the bot's config maps onto these (bot/app.py).

Each feature's own settings (the canteen's rules, broadcasts' quiet hours) are gathered here,
so the conversation core (context, dispatcher) never imports a feature.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from handlers.broadcasts.rules import QuietHours
from handlers.canteen.rules import CanteenRules
from handlers.charts import DrawChart


@dataclass(frozen=True)
class Settings:
    """The settings handlers need (the bot's config maps onto these)."""

    operators: tuple[str, ...] = ()
    default_duty_phone: str | None = None
    similar_days: int = 30
    staff_alerts: str = "each"  # "each" | "digest" | "off"
    conversation_minutes: int = 30
    rating_days: int = 7
    max_text_chars: int = 2000
    timezone: str = "Asia/Shanghai"
    canteen: CanteenRules = field(default_factory=CanteenRules)
    quiet_hours: QuietHours = field(default_factory=QuietHours)
    # Draws a results chart (bot.files.charts); None: results go as text only.
    draw_chart: DrawChart | None = None
    # Deletes kept copies of pictures residents sent (their media refs), when they are forgotten.
    forget_media: Callable[[list[str]], Awaitable[None]] | None = None
    # A picture a resident sent, as something a reply can carry (a kept file, a platform id),
    # by the channel it came on and its ref; None where it cannot be shown.
    picture: Callable[[str, str], str | None] = lambda _channel, _ref: None
