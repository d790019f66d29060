"""What a resident consents to: which notices they hear, and whether linli keeps them at all."""

from handlers.consent import forget, subscriptions
from handlers.router import Router

router = Router("consent").include(forget.router, subscriptions.router)
