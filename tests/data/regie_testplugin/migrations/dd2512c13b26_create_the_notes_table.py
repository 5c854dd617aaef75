"""Create the notes table.

Revision ID: dd2512c13b26
Revises:
Create Date: 2026-11-22 10:34:10.305406
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "dd2512c13b26"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("testplugin",)
depends_on: str | Sequence[str] | None = "b288969044e7"


def upgrade() -> None:
    op.create_table(
        "testplugin_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["establishment_id"], ["establishment.id"], ondelete="CASCADE",
                                name=op.f("fk_testplugin_note_establishment_id_establishment")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_testplugin_note")),
    )
    op.create_index(op.f("ix_testplugin_note_establishment_id"), "testplugin_note",
                    ["establishment_id"])


def downgrade() -> None:
    op.drop_table("testplugin_note")
