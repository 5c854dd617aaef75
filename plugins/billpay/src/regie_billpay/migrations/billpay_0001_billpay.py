"""Create the utility cashier's tables.

Revision ID: billpay_0001
Revises:
Create Date: 2026-11-22 12:54:17.271074
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "billpay_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("billpay",)
depends_on: str | Sequence[str] | None = "b288969044e7"


def upgrade() -> None:
    op.create_table(
        "billpay_city",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishment.id"],
            name=op.f("fk_billpay_city_establishment_id_establishment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billpay_city")),
        sa.UniqueConstraint(
            "establishment_id", "code", name=op.f("uq_billpay_city_establishment_id_code")
        ),
    )
    with op.batch_alter_table("billpay_city", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_billpay_city_establishment_id"), ["establishment_id"], unique=False
        )

    op.create_table(
        "billpay_payee",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("edrpou", sa.String(length=10), nullable=False),
        sa.Column("iban", sa.String(length=34), nullable=False),
        sa.Column("dbf_encoding", sa.String(length=20), nullable=False),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishment.id"],
            name=op.f("fk_billpay_payee_establishment_id_establishment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billpay_payee")),
        sa.UniqueConstraint(
            "establishment_id", "code", name=op.f("uq_billpay_payee_establishment_id_code")
        ),
    )
    with op.batch_alter_table("billpay_payee", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_billpay_payee_establishment_id"), ["establishment_id"], unique=False
        )

    op.create_table(
        "billpay_desk",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("bank", sa.String(length=200), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("inter_city", sa.Boolean(), nullable=False),
        sa.Column("opens_at", sa.Time(), nullable=False),
        sa.Column("closes_at", sa.Time(), nullable=False),
        sa.Column("certificate_serial", sa.String(length=64), nullable=True),
        sa.Column("certificate_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"], ["billpay_city.id"], name=op.f("fk_billpay_desk_city_id_billpay_city")
        ),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishment.id"],
            name=op.f("fk_billpay_desk_establishment_id_establishment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billpay_desk")),
        sa.UniqueConstraint(
            "establishment_id", "code", name=op.f("uq_billpay_desk_establishment_id_code")
        ),
    )
    with op.batch_alter_table("billpay_desk", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_billpay_desk_establishment_id"), ["establishment_id"], unique=False
        )

    op.create_table(
        "billpay_service",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("payee_id", sa.Integer(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishment.id"],
            name=op.f("fk_billpay_service_establishment_id_establishment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["payee_id"],
            ["billpay_payee.id"],
            name=op.f("fk_billpay_service_payee_id_billpay_payee"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billpay_service")),
        sa.UniqueConstraint(
            "establishment_id", "code", name=op.f("uq_billpay_service_establishment_id_code")
        ),
    )
    with op.batch_alter_table("billpay_service", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_billpay_service_establishment_id"), ["establishment_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_billpay_service_payee_id"), ["payee_id"], unique=False)

    op.create_table(
        "billpay_subscriber",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("account_number", sa.String(length=30), nullable=False),
        sa.Column("surname", sa.String(length=100), nullable=False),
        sa.Column("street", sa.String(length=200), nullable=False),
        sa.Column("house", sa.String(length=20), nullable=False),
        sa.Column("apartment", sa.String(length=20), nullable=False),
        sa.Column(
            "street_key",
            sa.String(length=200).with_variant(sa.String(length=200, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "surname_key",
            sa.String(length=200).with_variant(sa.String(length=200, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"],
            ["billpay_city.id"],
            name=op.f("fk_billpay_subscriber_city_id_billpay_city"),
        ),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishment.id"],
            name=op.f("fk_billpay_subscriber_establishment_id_establishment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billpay_subscriber")),
        sa.UniqueConstraint(
            "establishment_id",
            "city_id",
            "account_number",
            name=op.f("uq_billpay_subscriber_establishment_id_city_id_account_number"),
        ),
    )
    with op.batch_alter_table("billpay_subscriber", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_billpay_subscriber_establishment_id"), ["establishment_id"], unique=False
        )
        batch_op.create_index(
            "ix_billpay_subscriber_street",
            ["establishment_id", "street_key", "house", "apartment"],
            unique=False,
        )
        batch_op.create_index(
            "ix_billpay_subscriber_surname", ["establishment_id", "surname_key"], unique=False
        )

    op.create_table(
        "billpay_accrual",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishment.id"],
            name=op.f("fk_billpay_accrual_establishment_id_establishment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["billpay_service.id"],
            name=op.f("fk_billpay_accrual_service_id_billpay_service"),
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["billpay_subscriber.id"],
            name=op.f("fk_billpay_accrual_subscriber_id_billpay_subscriber"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billpay_accrual")),
        sa.UniqueConstraint(
            "subscriber_id",
            "service_id",
            "period",
            name=op.f("uq_billpay_accrual_subscriber_id_service_id_period"),
        ),
    )
    with op.batch_alter_table("billpay_accrual", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_billpay_accrual_establishment_id"), ["establishment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_billpay_accrual_service_id"), ["service_id"], unique=False
        )

    op.create_table(
        "billpay_bill",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("desk_id", sa.Integer(), nullable=False),
        sa.Column("cashier_id", sa.Integer(), nullable=True),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("request_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.String(length=500), nullable=False),
        sa.Column("cancel_document", sa.String(length=30), nullable=False),
        sa.Column("cancelled_by_id", sa.Integer(), nullable=True),
        sa.Column("printed_count", sa.Integer(), nullable=False),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cancelled_by_id"],
            ["user_account.id"],
            name=op.f("fk_billpay_bill_cancelled_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["cashier_id"],
            ["user_account.id"],
            name=op.f("fk_billpay_bill_cashier_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["desk_id"], ["billpay_desk.id"], name=op.f("fk_billpay_bill_desk_id_billpay_desk")
        ),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishment.id"],
            name=op.f("fk_billpay_bill_establishment_id_establishment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["billpay_subscriber.id"],
            name=op.f("fk_billpay_bill_subscriber_id_billpay_subscriber"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billpay_bill")),
        sa.UniqueConstraint(
            "establishment_id",
            "request_key",
            name=op.f("uq_billpay_bill_establishment_id_request_key"),
        ),
    )
    with op.batch_alter_table("billpay_bill", schema=None) as batch_op:
        batch_op.create_index("ix_billpay_bill_desk_day", ["desk_id", "day"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_billpay_bill_establishment_id"), ["establishment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_billpay_bill_payment_id"), ["payment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_billpay_bill_subscriber_id"), ["subscriber_id"], unique=False
        )

    op.create_table(
        "billpay_desk_cashier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("desk_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["desk_id"],
            ["billpay_desk.id"],
            name=op.f("fk_billpay_desk_cashier_desk_id_billpay_desk"),
        ),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishment.id"],
            name=op.f("fk_billpay_desk_cashier_establishment_id_establishment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_billpay_desk_cashier_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billpay_desk_cashier")),
        sa.UniqueConstraint(
            "desk_id", "user_id", name=op.f("uq_billpay_desk_cashier_desk_id_user_id")
        ),
    )
    with op.batch_alter_table("billpay_desk_cashier", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_billpay_desk_cashier_establishment_id"),
            ["establishment_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_billpay_desk_cashier_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "billpay_desk_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("desk_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["closed_by_id"],
            ["user_account.id"],
            name=op.f("fk_billpay_desk_day_closed_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["desk_id"], ["billpay_desk.id"], name=op.f("fk_billpay_desk_day_desk_id_billpay_desk")
        ),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishment.id"],
            name=op.f("fk_billpay_desk_day_establishment_id_establishment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billpay_desk_day")),
        sa.UniqueConstraint("desk_id", "day", name=op.f("uq_billpay_desk_day_desk_id_day")),
    )
    with op.batch_alter_table("billpay_desk_day", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_billpay_desk_day_establishment_id"), ["establishment_id"], unique=False
        )

    op.create_table(
        "billpay_bill_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bill_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bill_id"], ["billpay_bill.id"], name=op.f("fk_billpay_bill_line_bill_id_billpay_bill")
        ),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishment.id"],
            name=op.f("fk_billpay_bill_line_establishment_id_establishment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["billpay_service.id"],
            name=op.f("fk_billpay_bill_line_service_id_billpay_service"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billpay_bill_line")),
    )
    with op.batch_alter_table("billpay_bill_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_billpay_bill_line_bill_id"), ["bill_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_billpay_bill_line_establishment_id"), ["establishment_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("billpay_bill_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_billpay_bill_line_establishment_id"))
        batch_op.drop_index(batch_op.f("ix_billpay_bill_line_bill_id"))

    op.drop_table("billpay_bill_line")
    with op.batch_alter_table("billpay_desk_day", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_billpay_desk_day_establishment_id"))

    op.drop_table("billpay_desk_day")
    with op.batch_alter_table("billpay_desk_cashier", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_billpay_desk_cashier_user_id"))
        batch_op.drop_index(batch_op.f("ix_billpay_desk_cashier_establishment_id"))

    op.drop_table("billpay_desk_cashier")
    with op.batch_alter_table("billpay_bill", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_billpay_bill_subscriber_id"))
        batch_op.drop_index(batch_op.f("ix_billpay_bill_payment_id"))
        batch_op.drop_index(batch_op.f("ix_billpay_bill_establishment_id"))
        batch_op.drop_index("ix_billpay_bill_desk_day")

    op.drop_table("billpay_bill")
    with op.batch_alter_table("billpay_accrual", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_billpay_accrual_service_id"))
        batch_op.drop_index(batch_op.f("ix_billpay_accrual_establishment_id"))

    op.drop_table("billpay_accrual")
    with op.batch_alter_table("billpay_subscriber", schema=None) as batch_op:
        batch_op.drop_index("ix_billpay_subscriber_surname")
        batch_op.drop_index("ix_billpay_subscriber_street")
        batch_op.drop_index(batch_op.f("ix_billpay_subscriber_establishment_id"))

    op.drop_table("billpay_subscriber")
    with op.batch_alter_table("billpay_service", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_billpay_service_payee_id"))
        batch_op.drop_index(batch_op.f("ix_billpay_service_establishment_id"))

    op.drop_table("billpay_service")
    with op.batch_alter_table("billpay_desk", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_billpay_desk_establishment_id"))

    op.drop_table("billpay_desk")
    with op.batch_alter_table("billpay_payee", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_billpay_payee_establishment_id"))

    op.drop_table("billpay_payee")
    with op.batch_alter_table("billpay_city", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_billpay_city_establishment_id"))

    op.drop_table("billpay_city")
