"""canteen settings: a community's own subsidy tiers, set by its staff

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "canteen_settings",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("subsidies", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_canteen_settings_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("community_id", name=op.f("pk_canteen_settings")),
    )


def downgrade() -> None:
    op.drop_table("canteen_settings")
