"""Emergencies in residents' words: advice and numbers first, staff alerted at once."""

from handlers.emergencies import alert
from handlers.router import Router

router = Router("emergencies").include(
    alert.router,
)
