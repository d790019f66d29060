"""inbound updates know their sender (so /forget deletes them at once)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_updates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sender", sa.String(length=128), nullable=True))
        batch_op.create_index("ix_inbound_updates_sender", ["channel", "sender"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("inbound_updates", schema=None) as batch_op:
        batch_op.drop_index("ix_inbound_updates_sender")
        batch_op.drop_column("sender")
