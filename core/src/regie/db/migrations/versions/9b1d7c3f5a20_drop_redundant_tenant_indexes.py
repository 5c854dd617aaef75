"""Drop the single-column establishment indexes of the money tables: each of those tables has
a unique constraint that starts with ``establishment_id``, which serves the same lookups, and
the second index only cost every write (a confirmed payment writes four of those tables).

Revision ID: 9b1d7c3f5a20
Revises: c4f2a9d17e35
Create Date: 2026-11-22 18:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "9b1d7c3f5a20"
down_revision: str | Sequence[str] | None = "c4f2a9d17e35"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("ledger_account", "ledger_entry", "money_counter", "payment", "payment_notification")


def upgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_establishment_id", table_name=table)


def downgrade() -> None:
    for table in TABLES:
        op.create_index(f"ix_{table}_establishment_id", table, ["establishment_id"])
