"""meal orders outlive a deleted resident (anonymised for the kitchen); a secret for
pseudonyms; the (timestamp, nonce) pairs of callbacks seen, against replays

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("meal_orders", schema=None) as batch_op:
        batch_op.alter_column("resident_id", existing_type=sa.Integer(), nullable=True)
        batch_op.drop_constraint("fk_meal_orders_resident_id_residents", type_="foreignkey")
        batch_op.create_foreign_key(
            "fk_meal_orders_resident_id_residents",
            "residents",
            ["resident_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "app_secrets",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_app_secrets")),
    )
    op.create_table(
        "callback_nonces",
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("timestamp", sa.String(length=20), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("message_key", sa.String(length=200), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", "timestamp", "nonce", name=op.f("pk_callback_nonces")),
    )
    op.create_index("ix_callback_nonces_seen_at", "callback_nonces", ["seen_at"])


def downgrade() -> None:
    op.drop_index("ix_callback_nonces_seen_at", table_name="callback_nonces")
    op.drop_table("callback_nonces")
    op.drop_table("app_secrets")
    with op.batch_alter_table("meal_orders", schema=None) as batch_op:
        batch_op.drop_constraint("fk_meal_orders_resident_id_residents", type_="foreignkey")
        batch_op.create_foreign_key(
            "fk_meal_orders_resident_id_residents",
            "residents",
            ["resident_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.alter_column("resident_id", existing_type=sa.Integer(), nullable=False)
