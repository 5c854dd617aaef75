"""Add establishment.settings_version, bumped by every change of the establishment's plugins
or settings, so web processes know when what they keep about it is stale.

Revision ID: c4f2a9d17e35
Revises: 07def398e2d8
Create Date: 2026-11-22 15:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c4f2a9d17e35"
down_revision: str | Sequence[str] | None = "07def398e2d8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("establishment") as batch:
        batch.add_column(sa.Column("settings_version", sa.Integer(), server_default="0",
                                   nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("establishment") as batch:
        batch.drop_column("settings_version")
