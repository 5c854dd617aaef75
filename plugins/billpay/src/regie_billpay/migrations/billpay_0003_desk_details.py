"""Give desks hours per weekday and the bank's IBAN and BIC.

Revision ID: billpay_0003
Revises: billpay_0002
Create Date: 2026-11-22 16:25:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "billpay_0003"
down_revision: str | Sequence[str] | None = "billpay_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("billpay_desk", schema=None) as batch_op:
        batch_op.add_column(sa.Column("week_hours", sa.JSON(), nullable=False,
                                      server_default="{}"))
        batch_op.add_column(sa.Column("iban", sa.String(length=34), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("bic", sa.String(length=11), nullable=False,
                                      server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("billpay_desk", schema=None) as batch_op:
        batch_op.drop_column("bic")
        batch_op.drop_column("iban")
        batch_op.drop_column("week_hours")
