"""Create the mail tables: outbox, attachments, templates, settings, letters.

The outbox and its attachments (stored documents), templates per establishment and document
type, mail settings per establishment and per user, letters sent in batches.

Revision ID: 3e47354b118b
Revises: 5d0c3e7a9b21
Create Date: 2026-11-22 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3e47354b118b"
down_revision: str | Sequence[str] | None = "5d0c3e7a9b21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mail_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("document_type", sa.String(length=100), nullable=False),
        sa.Column("record", sa.String(length=100), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("forget_recipients", sa.Boolean(), nullable=False),
        sa.Column("recipients_forgotten", sa.Boolean(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("refused", sa.JSON(), nullable=False),
        sa.Column("transport", sa.String(length=63), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("resent_from_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishment.id"],
            name=op.f("fk_mail_message_establishment_id_establishment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resent_from_id"],
            ["mail_message.id"],
            name=op.f("fk_mail_message_resent_from_id_mail_message"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_mail_message_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_message")),
        sa.UniqueConstraint("message_id", name=op.f("uq_mail_message_message_id")),
    )
    op.create_index(
        op.f("ix_mail_message_establishment_id"), "mail_message", ["establishment_id"], unique=False
    )
    op.create_index(op.f("ix_mail_message_record"), "mail_message", ["record"], unique=False)
    op.create_index(
        "ix_mail_message_state_next_attempt_at",
        "mail_message",
        ["state", "next_attempt_at"],
        unique=False,
    )
    op.create_table(
        "mail_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transport", sa.String(length=63), nullable=False),
        sa.Column("receipt_by_mail", sa.Boolean(), nullable=False),
        sa.Column("archive_letters", sa.Boolean(), nullable=False),
        sa.Column("max_attachment_kb", sa.Integer(), nullable=False),
        sa.Column("verified_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_by_id", sa.Integer(), nullable=True),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishment.id"],
            name=op.f("fk_mail_settings_establishment_id_establishment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["verified_by_id"],
            ["user_account.id"],
            name=op.f("fk_mail_settings_verified_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_settings")),
        sa.UniqueConstraint("establishment_id", name=op.f("uq_mail_settings_establishment_id")),
    )
    op.create_index(
        op.f("ix_mail_settings_establishment_id"),
        "mail_settings",
        ["establishment_id"],
        unique=False,
    )
    op.create_table(
        "mail_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_type", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=False),
        sa.Column("document_body", sa.Text(), nullable=False),
        sa.Column("attach_pdf", sa.Boolean(), nullable=False),
        sa.Column("to_payer", sa.Boolean(), nullable=False),
        sa.Column("to_main_contact", sa.Boolean(), nullable=False),
        sa.Column("fixed_recipients", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishment.id"],
            name=op.f("fk_mail_template_establishment_id_establishment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user_account.id"],
            name=op.f("fk_mail_template_updated_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_template")),
        sa.UniqueConstraint(
            "establishment_id",
            "document_type",
            "name",
            name=op.f("uq_mail_template_establishment_id_document_type_name"),
        ),
    )
    op.create_index(
        op.f("ix_mail_template_establishment_id"),
        "mail_template",
        ["establishment_id"],
        unique=False,
    )
    op.create_table(
        "mail_user_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("transport", sa.String(length=63), nullable=False),
        sa.Column("sender_name", sa.String(length=200), nullable=False),
        sa.Column("sender_address", sa.String(length=254), nullable=False),
        sa.Column("verified_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishment.id"],
            name=op.f("fk_mail_user_settings_establishment_id_establishment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_mail_user_settings_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_user_settings")),
        sa.UniqueConstraint(
            "establishment_id",
            "user_id",
            name=op.f("uq_mail_user_settings_establishment_id_user_id"),
        ),
    )
    op.create_index(
        op.f("ix_mail_user_settings_establishment_id"),
        "mail_user_settings",
        ["establishment_id"],
        unique=False,
    )
    op.create_table(
        "mail_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["document.id"], name=op.f("fk_mail_attachment_document_id_document")
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["mail_message.id"],
            name=op.f("fk_mail_attachment_message_id_mail_message"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_attachment")),
        sa.UniqueConstraint(
            "message_id", "document_id", name=op.f("uq_mail_attachment_message_id_document_id")
        ),
    )
    op.create_index(
        op.f("ix_mail_attachment_document_id"), "mail_attachment", ["document_id"], unique=False
    )
    op.create_index(
        op.f("ix_mail_attachment_message_id"), "mail_attachment", ["message_id"], unique=False
    )
    op.create_table(
        "mail_letter_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("document_type", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=True),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("save_address", sa.String(length=200), nullable=False),
        sa.Column("return_url", sa.String(length=500), nullable=False),
        sa.Column("by_mail", sa.Boolean(), nullable=False),
        sa.Column("by_print", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("print_document_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishment.id"],
            name=op.f("fk_mail_letter_batch_establishment_id_establishment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["job.id"],
            name=op.f("fk_mail_letter_batch_job_id_job"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["print_document_id"],
            ["document.id"],
            name=op.f("fk_mail_letter_batch_print_document_id_document"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["mail_template.id"],
            name=op.f("fk_mail_letter_batch_template_id_mail_template"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_mail_letter_batch_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_letter_batch")),
    )
    op.create_index(
        op.f("ix_mail_letter_batch_establishment_id"),
        "mail_letter_batch",
        ["establishment_id"],
        unique=False,
    )
    op.create_table(
        "mail_letter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("recipient_key", sa.String(length=100), nullable=False),
        sa.Column("recipient_name", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("mail_message_id", sa.Integer(), nullable=True),
        sa.Column("printed", sa.Boolean(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["mail_letter_batch.id"],
            name=op.f("fk_mail_letter_batch_id_mail_letter_batch"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["document.id"],
            name=op.f("fk_mail_letter_document_id_document"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishment.id"],
            name=op.f("fk_mail_letter_establishment_id_establishment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["mail_message_id"],
            ["mail_message.id"],
            name=op.f("fk_mail_letter_mail_message_id_mail_message"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_letter")),
    )
    op.create_index(op.f("ix_mail_letter_batch_id"), "mail_letter", ["batch_id"], unique=False)
    op.create_index(
        op.f("ix_mail_letter_establishment_id"), "mail_letter", ["establishment_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_mail_letter_establishment_id"), table_name="mail_letter")
    op.drop_index(op.f("ix_mail_letter_batch_id"), table_name="mail_letter")
    op.drop_table("mail_letter")
    op.drop_index(op.f("ix_mail_letter_batch_establishment_id"), table_name="mail_letter_batch")
    op.drop_table("mail_letter_batch")
    op.drop_index(op.f("ix_mail_attachment_message_id"), table_name="mail_attachment")
    op.drop_index(op.f("ix_mail_attachment_document_id"), table_name="mail_attachment")
    op.drop_table("mail_attachment")
    op.drop_index(op.f("ix_mail_user_settings_establishment_id"), table_name="mail_user_settings")
    op.drop_table("mail_user_settings")
    op.drop_index(op.f("ix_mail_template_establishment_id"), table_name="mail_template")
    op.drop_table("mail_template")
    op.drop_index(op.f("ix_mail_settings_establishment_id"), table_name="mail_settings")
    op.drop_table("mail_settings")
    op.drop_index("ix_mail_message_state_next_attempt_at", table_name="mail_message")
    op.drop_index(op.f("ix_mail_message_record"), table_name="mail_message")
    op.drop_index(op.f("ix_mail_message_establishment_id"), table_name="mail_message")
    op.drop_table("mail_message")
