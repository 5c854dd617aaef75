"""Keep the revoked badges, so that scanning one says it was revoked rather than unknown.

Revision ID: markets_0004
Revises: markets_0003
Create Date: 2026-11-22 18:00:23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "markets_0004"
down_revision: str | Sequence[str] | None = "markets_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "markets_revoked_badge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trader_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=True),
        sa.Column("serial", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_by", sa.String(length=150), nullable=False),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishment.id"],
            name=op.f("fk_markets_revoked_badge_establishment_id_establishment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["trader_id"],
            ["markets_trader.id"],
            name=op.f("fk_markets_revoked_badge_trader_id_markets_trader"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_markets_revoked_badge")),
        sa.UniqueConstraint("token", name=op.f("uq_markets_revoked_badge_token")),
    )
    with op.batch_alter_table("markets_revoked_badge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_markets_revoked_badge_establishment_id"),
                              ["establishment_id"], unique=False)
        batch_op.create_index("ix_markets_revoked_badge_serial", ["establishment_id", "serial"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_markets_revoked_badge_trader_id"), ["trader_id"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("markets_revoked_badge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_markets_revoked_badge_trader_id"))
        batch_op.drop_index("ix_markets_revoked_badge_serial")
        batch_op.drop_index(batch_op.f("ix_markets_revoked_badge_establishment_id"))
    op.drop_table("markets_revoked_badge")
