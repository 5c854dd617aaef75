"""Create the document table: stored receipts, letters and attachments.

Revision ID: 5d0c3e7a9b21
Revises: b288969044e7
Create Date: 2026-11-22 10:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5d0c3e7a9b21"
down_revision: str | Sequence[str] | None = "b288969044e7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=63), nullable=False),
        sa.Column("renderer", sa.String(length=63), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("record_type", sa.String(length=63), nullable=False),
        sa.Column("record_id", sa.String(length=63), nullable=False),
        sa.Column("permission", sa.String(length=100), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["user_account.id"],
                                name=op.f("fk_document_created_by_id_user_account"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["establishment_id"], ["establishment.id"],
                                name=op.f("fk_document_establishment_id_establishment"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document")),
    )
    op.create_index(op.f("ix_document_establishment_id"), "document", ["establishment_id"],
                    unique=False)
    op.create_index("ix_document_record", "document",
                    ["establishment_id", "record_type", "record_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_document_record", table_name="document")
    op.drop_index(op.f("ix_document_establishment_id"), table_name="document")
    op.drop_table("document")
