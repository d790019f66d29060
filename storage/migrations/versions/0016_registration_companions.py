"""registrations: a family member's own time slot, held with the sign-up that brought them

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("companion_of_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_registrations_companion_of_id_registrations",
            "registrations",
            ["companion_of_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_constraint(
            "fk_registrations_companion_of_id_registrations", type_="foreignkey"
        )
        batch_op.drop_column("companion_of_id")
