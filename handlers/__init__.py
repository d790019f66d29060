"""Conversation logic: pure functions from an Incoming message to a list of Replies.

The conversation core lives here (dispatcher, router, context, types, texts, yes_no, settings)
with the help menu and staff accounts; each feature is a package exposing one router.
Features may import ``residents`` (the profile) and each other without a circle; ``consent``
reaches into every feature, and nothing imports it. ``routers()`` is every router the app's
dispatcher serves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from handlers.router import Router


def routers() -> tuple[Router, ...]:
    """Return every feature's router, in the order set phrasings are tried.

    Imported here, when the app is assembled, rather than with the package: a command that
    reads one feature's rules (``linli polls import``) need not load every feature.
    Registering the same entry point twice is an error.
    """
    from handlers import (
        activities,
        broadcasts,
        canteen,
        consent,
        emergencies,
        help,
        polls,
        residents,
        staff,
        suggestions,
    )

    return (
        emergencies.router,
        residents.router,
        help.router,
        staff.router,
        suggestions.router,
        activities.router,
        canteen.router,
        broadcasts.router,
        consent.router,
        polls.router,
    )
