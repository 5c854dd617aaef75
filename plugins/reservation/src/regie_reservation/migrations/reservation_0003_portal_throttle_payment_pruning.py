"""Failed sign-ins to the family portal (its throttling); when the back office acknowledged
each web payment (their pruning).

Revision ID: reservation_0003
Revises: reservation_0002
Create Date: 2026-11-22 15:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "reservation_0003"
down_revision: str | Sequence[str] | None = "reservation_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reservation_signin_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=45), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishment.id"],
            name=op.f("fk_reservation_signin_failures_establishment_id_establishment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservation_signin_failures")),
        sa.UniqueConstraint(
            "establishment_id",
            "login",
            "address",
            name=op.f("uq_reservation_signin_failures_establishment_id_login_address"),
        ),
    )
    with op.batch_alter_table("reservation_signin_failures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reservation_signin_failures_establishment_id"),
            ["establishment_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_reservation_signin_failures_last",
            ["establishment_id", "last_failed_at"],
            unique=False,
        )
    with op.batch_alter_table("reservation_sync_payment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            "ix_reservation_sync_payment_acknowledged",
            ["establishment_id", "acknowledged_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("reservation_sync_payment", schema=None) as batch_op:
        batch_op.drop_index("ix_reservation_sync_payment_acknowledged")
        batch_op.drop_column("acknowledged_at")

    with op.batch_alter_table("reservation_signin_failures", schema=None) as batch_op:
        batch_op.drop_index("ix_reservation_signin_failures_last")
        batch_op.drop_index(batch_op.f("ix_reservation_signin_failures_establishment_id"))

    op.drop_table("reservation_signin_failures")
