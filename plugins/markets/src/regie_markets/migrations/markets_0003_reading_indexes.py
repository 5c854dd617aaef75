"""Keep only the unique (batch, trader) index on the imported readings.

Every query on the readings names their batch, which the unique index serves; the index on
the batch alone repeated it, and the index on the establishment served no query, slowed the
import of a file and led SQLite to read all of an establishment's readings to find one batch's.

Revision ID: markets_0003
Revises: markets_0002
Create Date: 2026-11-22 16:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "markets_0003"
down_revision: str | Sequence[str] | None = "markets_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DROPPED = {
    "ix_markets_imported_reading_batch_id": ["batch_id"],
    "ix_markets_imported_reading_establishment_id": ["establishment_id"],
}


def upgrade() -> None:
    with op.batch_alter_table("markets_imported_reading", schema=None) as batch_op:
        for name in _DROPPED:
            batch_op.drop_index(name)


def downgrade() -> None:
    with op.batch_alter_table("markets_imported_reading", schema=None) as batch_op:
        for name, columns in _DROPPED.items():
            batch_op.create_index(name, columns, unique=False)
