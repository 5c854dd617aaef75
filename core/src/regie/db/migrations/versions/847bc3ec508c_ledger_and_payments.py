"""Create the money tables: ledger accounts and entries, payments, refunds, notifications.

Ledger accounts and their hash-chained entries, the per-establishment counters (entry
sequence, receipt numbers, references), payment requests, payments, refunds, and the raw
notifications of payment providers.

Revision ID: 847bc3ec508c
Revises: 3e47354b118b
Create Date: 2026-11-22 10:54:04.320054
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "847bc3ec508c"
down_revision: str | Sequence[str] | None = "3e47354b118b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ledger_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=100), nullable=False),
        sa.Column("owner_key", sa.String(length=200), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishment.id"],
            name=op.f("fk_ledger_account_establishment_id_establishment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_account")),
        sa.UniqueConstraint(
            "establishment_id",
            "kind",
            "owner_key",
            name=op.f("uq_ledger_account_establishment_id_kind_owner_key"),
        ),
    )
    with op.batch_alter_table("ledger_account", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ledger_account_establishment_id"), ["establishment_id"], unique=False
        )

    op.create_table(
        "money_counter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=30), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("head", sa.String(length=64), nullable=False),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishment.id"],
            name=op.f("fk_money_counter_establishment_id_establishment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_money_counter")),
        sa.UniqueConstraint(
            "establishment_id", "name", name=op.f("uq_money_counter_establishment_id_name")
        ),
    )
    with op.batch_alter_table("money_counter", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_money_counter_establishment_id"), ["establishment_id"], unique=False
        )

    op.create_table(
        "payment_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("description", sa.String(length=250), nullable=False),
        sa.Column("payer_email", sa.String(length=254), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.String(length=150), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["ledger_account.id"],
            name=op.f("fk_payment_request_account_id_ledger_account"),
        ),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishment.id"],
            name=op.f("fk_payment_request_establishment_id_establishment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_request")),
        sa.UniqueConstraint("token", name=op.f("uq_payment_request_token")),
    )
    with op.batch_alter_table("payment_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_request_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_payment_request_establishment_id"), ["establishment_id"], unique=False
        )

    op.create_table(
        "payment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("method", sa.String(length=63), nullable=False),
        sa.Column("reference", sa.String(length=250), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("refunded_amount", sa.BigInteger(), nullable=False),
        sa.Column("description", sa.String(length=250), nullable=False),
        sa.Column("payer_name", sa.String(length=200), nullable=False),
        sa.Column("payer_email", sa.String(length=254), nullable=False),
        sa.Column("payer_address", sa.JSON(), nullable=False),
        sa.Column("provider_data", sa.JSON(), nullable=False),
        sa.Column("provider_reference", sa.String(length=250), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("receipt_number", sa.BigInteger(), nullable=True),
        sa.Column("review_reason", sa.Text(), nullable=False),
        sa.Column("review_evidence", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=150), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("succeeded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["ledger_account.id"],
            name=op.f("fk_payment_account_id_ledger_account"),
        ),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishment.id"],
            name=op.f("fk_payment_establishment_id_establishment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["payment_request.id"],
            name=op.f("fk_payment_request_id_payment_request"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment")),
        sa.UniqueConstraint(
            "establishment_id",
            "method",
            "reference",
            name=op.f("uq_payment_establishment_id_method_reference"),
        ),
        sa.UniqueConstraint(
            "establishment_id",
            "receipt_number",
            name=op.f("uq_payment_establishment_id_receipt_number"),
        ),
        sa.UniqueConstraint("token", name=op.f("uq_payment_token")),
    )
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_account_id"), ["account_id"], unique=False)
        batch_op.create_index(
            "ix_payment_establishment_created", ["establishment_id", "created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_payment_establishment_id"), ["establishment_id"], unique=False
        )
        batch_op.create_index(
            "ix_payment_establishment_state", ["establishment_id", "state"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_payment_request_id"), ["request_id"], unique=False)

    op.create_table(
        "ledger_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("balance_after", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("reverses_entry_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=150), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("previous_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["ledger_account.id"],
            name=op.f("fk_ledger_entry_account_id_ledger_account"),
        ),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishment.id"],
            name=op.f("fk_ledger_entry_establishment_id_establishment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payment.id"],
            name=op.f("fk_ledger_entry_payment_id_payment"),
        ),
        sa.ForeignKeyConstraint(
            ["reverses_entry_id"],
            ["ledger_entry.id"],
            name=op.f("fk_ledger_entry_reverses_entry_id_ledger_entry"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entry")),
        sa.UniqueConstraint(
            "establishment_id", "sequence", name=op.f("uq_ledger_entry_establishment_id_sequence")
        ),
        sa.UniqueConstraint("reverses_entry_id", name=op.f("uq_ledger_entry_reverses_entry_id")),
    )
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ledger_entry_account_sequence", ["account_id", "sequence"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ledger_entry_establishment_id"), ["establishment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ledger_entry_payment_id"), ["payment_id"], unique=False
        )

    op.create_table(
        "payment_notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=63), nullable=False),
        sa.Column("event_key", sa.String(length=250), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("http_method", sa.String(length=10), nullable=False),
        sa.Column("query_string", sa.LargeBinary(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("remote_addr", sa.String(length=45), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("reference", sa.String(length=250), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("merchant", sa.String(length=100), nullable=True),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("provider_reference", sa.String(length=250), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishment.id"],
            name=op.f("fk_payment_notification_establishment_id_establishment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payment.id"],
            name=op.f("fk_payment_notification_payment_id_payment"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_notification")),
        sa.UniqueConstraint(
            "establishment_id",
            "method",
            "event_key",
            name=op.f("uq_payment_notification_establishment_id_method_event_key"),
        ),
    )
    with op.batch_alter_table("payment_notification", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_notification_establishment_id"),
            ["establishment_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_payment_notification_establishment_status",
            ["establishment_id", "status"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_payment_notification_payment_id"), ["payment_id"], unique=False
        )

    op.create_table(
        "payment_refund",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("through_provider", sa.Boolean(), nullable=False),
        sa.Column("provider_reference", sa.String(length=250), nullable=False),
        sa.Column("provider_message", sa.Text(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=150), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["ledger_entry.id"],
            name=op.f("fk_payment_refund_entry_id_ledger_entry"),
        ),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishment.id"],
            name=op.f("fk_payment_refund_establishment_id_establishment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payment.id"],
            name=op.f("fk_payment_refund_payment_id_payment"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_refund")),
    )
    with op.batch_alter_table("payment_refund", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_refund_establishment_id"), ["establishment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_payment_refund_payment_id"), ["payment_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("payment_refund", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_refund_payment_id"))
        batch_op.drop_index(batch_op.f("ix_payment_refund_establishment_id"))

    op.drop_table("payment_refund")
    with op.batch_alter_table("payment_notification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_notification_payment_id"))
        batch_op.drop_index("ix_payment_notification_establishment_status")
        batch_op.drop_index(batch_op.f("ix_payment_notification_establishment_id"))

    op.drop_table("payment_notification")
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_entry_payment_id"))
        batch_op.drop_index(batch_op.f("ix_ledger_entry_establishment_id"))
        batch_op.drop_index("ix_ledger_entry_account_sequence")

    op.drop_table("ledger_entry")
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_request_id"))
        batch_op.drop_index("ix_payment_establishment_state")
        batch_op.drop_index(batch_op.f("ix_payment_establishment_id"))
        batch_op.drop_index("ix_payment_establishment_created")
        batch_op.drop_index(batch_op.f("ix_payment_account_id"))

    op.drop_table("payment")
    with op.batch_alter_table("payment_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_request_establishment_id"))
        batch_op.drop_index(batch_op.f("ix_payment_request_account_id"))

    op.drop_table("payment_request")
    with op.batch_alter_table("money_counter", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_money_counter_establishment_id"))

    op.drop_table("money_counter")
    with op.batch_alter_table("ledger_account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_account_establishment_id"))

    op.drop_table("ledger_account")
