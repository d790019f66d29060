"""broadcasts: the WeChat mass send by tag (its state, message id and time, for the quota)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("broadcasts", recreate="never") as batch:
        batch.add_column(sa.Column("wechat_mass", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("wechat_mass_msg_id", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("wechat_mass_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("broadcasts", recreate="never") as batch:
        batch.drop_column("wechat_mass_at")
        batch.drop_column("wechat_mass_msg_id")
        batch.drop_column("wechat_mass")
