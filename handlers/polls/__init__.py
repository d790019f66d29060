"""Polls and questionnaires: residents answer in chat, staff create, close and count."""

from handlers.polls import answering, create, staff
from handlers.router import Router

router = Router("polls").include(
    answering.router,
    staff.router,
    create.router,
)
