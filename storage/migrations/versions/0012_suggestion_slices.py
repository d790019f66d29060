"""partial indexes: suggestions waiting for staff, and those not yet alerted

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

ACTIVE = sa.text("status IN ('open', 'replied', 'reopened')")
UNALERTED = sa.text("staff_alerted_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_suggestions_active",
        "suggestions",
        ["urgent", "id"],
        postgresql_where=ACTIVE,
        sqlite_where=ACTIVE,
    )
    op.create_index(
        "ix_suggestions_unalerted",
        "suggestions",
        ["id"],
        postgresql_where=UNALERTED,
        sqlite_where=UNALERTED,
    )


def downgrade() -> None:
    op.drop_index("ix_suggestions_unalerted", table_name="suggestions")
    op.drop_index("ix_suggestions_active", table_name="suggestions")
