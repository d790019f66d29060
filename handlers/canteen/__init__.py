"""The canteen: orders in words with a read-back, changes, standing orders, the staff side."""

from handlers.canteen import change, ordering, orders, setup, staff, standing
from handlers.router import Router

router = Router("canteen").include(
    ordering.router,
    orders.router,
    change.router,
    staff.router,
    setup.router,
    standing.router,
)
