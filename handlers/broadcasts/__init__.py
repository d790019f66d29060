"""Announcements to many residents: staff write, choose who, and send now or later."""

from handlers.broadcasts import staff
from handlers.router import Router

router = Router("broadcasts").include(
    staff.router,
)
