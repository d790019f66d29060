"""broadcasts: announcements, their delivery rows in the outbox, tags, opt-outs, workers

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("image", sa.String(length=500), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("send_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=160), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=True),
        sa.Column("fanned_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_broadcasts_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcasts")),
    )
    op.create_index("ix_broadcasts_due", "broadcasts", ["status", "send_at"])
    op.create_index(op.f("ix_broadcasts_community_id"), "broadcasts", ["community_id"])
    op.create_table(
        "resident_tags",
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=30), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_resident_tags_resident_id_residents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("resident_id", "tag", name=op.f("pk_resident_tags")),
    )
    op.create_index("ix_resident_tags_tag", "resident_tags", ["tag"])
    op.create_table(
        "resident_opt_outs",
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_resident_opt_outs_resident_id_residents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("resident_id", "kind", name=op.f("pk_resident_opt_outs")),
    )
    op.create_table(
        "workers",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("host", sa.String(length=100), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workers")),
    )
    op.create_table(
        "send_pauses",
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("channel", name=op.f("pk_send_pauses")),
    )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("broadcast_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("resident_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_outbox_broadcast_id_broadcasts"),
            "broadcasts",
            ["broadcast_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_unique_constraint(
            op.f("uq_outbox_broadcast_id_resident_id_channel"), ["broadcast_id", "resident_id", "channel"]
        )
    # Tags move from a JSON list on the resident to rows an audience query can use.
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, tags FROM residents")).fetchall()
    for resident_id, tags in rows:
        listed = json.loads(tags) if isinstance(tags, str) else tags or []
        for tag in sorted({str(t)[:30] for t in listed if str(t).strip()}):
            bind.execute(
                sa.text("INSERT INTO resident_tags (resident_id, tag) VALUES (:r, :t)"),
                {"r": resident_id, "t": tag},
            )
    # Never by copying the table on SQLite: dropping the old residents table would cascade to
    # every row that points at a resident (accounts, orders, sign-ups).
    with op.batch_alter_table("residents", recreate="never") as batch:
        batch.drop_column("tags")


def downgrade() -> None:
    with op.batch_alter_table("residents", recreate="never") as batch:
        batch.add_column(sa.Column("tags", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("outbox") as batch:
        batch.drop_constraint(op.f("uq_outbox_broadcast_id_resident_id_channel"), type_="unique")
        batch.drop_constraint(op.f("fk_outbox_broadcast_id_broadcasts"), type_="foreignkey")
        batch.drop_column("resident_id")
        batch.drop_column("broadcast_id")
        batch.drop_column("claimed_by")
    op.drop_table("send_pauses")
    op.drop_table("workers")
    op.drop_table("resident_opt_outs")
    op.drop_index("ix_resident_tags_tag", table_name="resident_tags")
    op.drop_table("resident_tags")
    op.drop_index(op.f("ix_broadcasts_community_id"), table_name="broadcasts")
    op.drop_index("ix_broadcasts_due", table_name="broadcasts")
    op.drop_table("broadcasts")
