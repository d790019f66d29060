"""Activities: residents sign up (alone or with family), staff publish and run them."""

from handlers.activities import signup, staff
from handlers.router import Router

router = Router("activities").include(
    signup.router,
    staff.router,
)
