"""Conversation logic: pure functions from an Incoming message to a list of Replies.

The conversation core lives here (dispatcher, router, context, types, texts, yes_no, settings)
with the help menu and staff accounts; each feature is a package exposing one router.
Features may import ``residents`` (the profile) and each other without a circle; ``consent``
reaches into every feature, and nothing imports it.
``ROUTERS`` is every router the app's dispatcher serves.
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

# Registering the same entry point twice is an error; the order is only that of phrases
# (set phrasings are tried in it) and of reading.
ROUTERS = (
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
