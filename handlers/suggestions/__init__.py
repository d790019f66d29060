"""Residents' suggestions: filed, followed, answered by staff, rated; talking to staff on duty."""

from handlers.router import Router
from handlers.suggestions import desk, filing, handoff, staff

router = Router("suggestions").include(
    filing.router,
    desk.router,
    staff.router,
    handoff.router,
)
