"""A resident's place in linli: joining a community, the profile every feature uses, the phone."""

from handlers.residents import onboarding, phone, profile
from handlers.router import Router

router = Router("residents").include(onboarding.router, profile.router, phone.router)
