"""one confirmed order per resident, day and meal (a standing order and a typed one raced)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

CONFIRMED = sa.text("status = 'confirmed'")


def upgrade() -> None:
    # Any pair stored before the rule: the first order stands, the later one is cancelled.
    op.execute(
        "UPDATE meal_orders SET status = 'cancelled' WHERE status = 'confirmed' AND id NOT IN "
        "(SELECT MIN(id) FROM meal_orders WHERE status = 'confirmed' "
        "GROUP BY resident_id, day, meal)"
    )
    op.create_index(
        "uq_meal_orders_one_per_meal",
        "meal_orders",
        ["resident_id", "day", "meal"],
        unique=True,
        postgresql_where=CONFIRMED,
        sqlite_where=CONFIRMED,
    )


def downgrade() -> None:
    op.drop_index("uq_meal_orders_one_per_meal", table_name="meal_orders")
