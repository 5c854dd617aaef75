"""Create the field tables of Markets.

Revision ID: markets_0001
Revises:
Create Date: 2026-11-22 12:55:13.286118
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "markets_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("markets",)
depends_on: str | Sequence[str] | None = "b288969044e7"


def upgrade() -> None:
    op.create_table(
        "markets_document_type",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishment.id"],
            name=op.f("fk_markets_document_type_establishment_id_establishment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_markets_document_type")),
    )
    with op.batch_alter_table("markets_document_type", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_markets_document_type_establishment_id"),
            ["establishment_id"],
            unique=False,
        )

    op.create_table(
        "markets_market",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("weekdays", sa.String(length=7), nullable=False),
        sa.Column("tariff_standard", sa.Integer(), nullable=False),
        sa.Column("tariff_demonstrator", sa.Integer(), nullable=False),
        sa.Column("tariff_surcharge", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishment.id"],
            name=op.f("fk_markets_market_establishment_id_establishment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_markets_market")),
    )
    with op.batch_alter_table("markets_market", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_markets_market_establishment_id"), ["establishment_id"], unique=False
        )

    op.create_table(
        "markets_sales_nature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishment.id"],
            name=op.f("fk_markets_sales_nature_establishment_id_establishment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_markets_sales_nature")),
    )
    with op.batch_alter_table("markets_sales_nature", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_markets_sales_nature_establishment_id"),
            ["establishment_id"],
            unique=False,
        )

    op.create_table(
        "markets_ticket_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishment.id"],
            name=op.f("fk_markets_ticket_change_establishment_id_establishment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_markets_ticket_change")),
    )
    with op.batch_alter_table("markets_ticket_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_markets_ticket_change_establishment_id"),
            ["establishment_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_markets_ticket_change_ticket_id"), ["ticket_id"], unique=False
        )

    op.create_table(
        "markets_trader",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("legal_name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("postcode", sa.String(length=10), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("mobile", sa.String(length=30), nullable=False),
        sa.Column("siret", sa.String(length=14), nullable=False),
        sa.Column("third_party_number", sa.String(length=50), nullable=False),
        sa.Column("sales_nature_id", sa.Integer(), nullable=True),
        sa.Column("kbis_checked_on", sa.Date(), nullable=True),
        sa.Column("insurance_until", sa.Date(), nullable=True),
        sa.Column("badge_serial", sa.String(length=64), nullable=True),
        sa.Column("badge_associated", sa.Boolean(), nullable=False),
        sa.Column("badge_token", sa.String(length=64), nullable=False),
        sa.Column("photo_document_id", sa.Integer(), nullable=True),
        sa.Column("blocked", sa.Boolean(), nullable=False),
        sa.Column("blocked_reason", sa.String(length=200), nullable=False),
        sa.Column("blocked_details", sa.Text(), nullable=False),
        sa.Column("access_code_hash", sa.String(length=200), nullable=False),
        sa.Column("access_code_failures", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishment.id"],
            name=op.f("fk_markets_trader_establishment_id_establishment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sales_nature_id"],
            ["markets_sales_nature.id"],
            name=op.f("fk_markets_trader_sales_nature_id_markets_sales_nature"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_markets_trader")),
        sa.UniqueConstraint("badge_token", name=op.f("uq_markets_trader_badge_token")),
        sa.UniqueConstraint(
            "establishment_id",
            "badge_serial",
            name=op.f("uq_markets_trader_establishment_id_badge_serial"),
        ),
        sa.UniqueConstraint(
            "establishment_id", "number", name=op.f("uq_markets_trader_establishment_id_number")
        ),
    )
    with op.batch_alter_table("markets_trader", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_markets_trader_establishment_id"), ["establishment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_markets_trader_legal_name"), ["legal_name"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_markets_trader_siret"), ["siret"], unique=False)

    op.create_table(
        "markets_authorisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trader_id", sa.Integer(), nullable=False),
        sa.Column("market_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishment.id"],
            name=op.f("fk_markets_authorisation_establishment_id_establishment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["market_id"],
            ["markets_market.id"],
            name=op.f("fk_markets_authorisation_market_id_markets_market"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["trader_id"],
            ["markets_trader.id"],
            name=op.f("fk_markets_authorisation_trader_id_markets_trader"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_markets_authorisation")),
        sa.UniqueConstraint(
            "trader_id",
            "market_id",
            "weekday",
            name=op.f("uq_markets_authorisation_trader_id_market_id_weekday"),
        ),
    )
    with op.batch_alter_table("markets_authorisation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_markets_authorisation_establishment_id"),
            ["establishment_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_markets_authorisation_trader_id"), ["trader_id"], unique=False
        )

    op.create_table(
        "markets_employee",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trader_id", sa.Integer(), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=100), nullable=False),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishment.id"],
            name=op.f("fk_markets_employee_establishment_id_establishment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["trader_id"],
            ["markets_trader.id"],
            name=op.f("fk_markets_employee_trader_id_markets_trader"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_markets_employee")),
    )
    with op.batch_alter_table("markets_employee", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_markets_employee_establishment_id"), ["establishment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_markets_employee_last_name"), ["last_name"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_markets_employee_trader_id"), ["trader_id"], unique=False
        )

    op.create_table(
        "markets_enrolment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("market_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("trader_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("placed", sa.Boolean(), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attendance", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishment.id"],
            name=op.f("fk_markets_enrolment_establishment_id_establishment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["market_id"],
            ["markets_market.id"],
            name=op.f("fk_markets_enrolment_market_id_markets_market"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["trader_id"],
            ["markets_trader.id"],
            name=op.f("fk_markets_enrolment_trader_id_markets_trader"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_markets_enrolment")),
        sa.UniqueConstraint(
            "market_id",
            "day",
            "trader_id",
            name=op.f("uq_markets_enrolment_market_id_day_trader_id"),
        ),
    )
    with op.batch_alter_table("markets_enrolment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_markets_enrolment_day"), ["day"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_markets_enrolment_establishment_id"), ["establishment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_markets_enrolment_trader_id"), ["trader_id"], unique=False
        )

    op.create_table(
        "markets_ticket",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trader_id", sa.Integer(), nullable=False),
        sa.Column("market_id", sa.Integer(), nullable=False),
        sa.Column("placier_id", sa.Integer(), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("metres", sa.Integer(), nullable=False),
        sa.Column("demonstrator", sa.Boolean(), nullable=False),
        sa.Column("badge_surcharge", sa.Boolean(), nullable=False),
        sa.Column("blocking_surcharge", sa.Boolean(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishment.id"],
            name=op.f("fk_markets_ticket_establishment_id_establishment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["market_id"],
            ["markets_market.id"],
            name=op.f("fk_markets_ticket_market_id_markets_market"),
        ),
        sa.ForeignKeyConstraint(
            ["placier_id"],
            ["user_account.id"],
            name=op.f("fk_markets_ticket_placier_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["trader_id"],
            ["markets_trader.id"],
            name=op.f("fk_markets_ticket_trader_id_markets_trader"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_markets_ticket")),
        sa.UniqueConstraint(
            "trader_id", "market_id", "day", name=op.f("uq_markets_ticket_trader_id_market_id_day")
        ),
    )
    with op.batch_alter_table("markets_ticket", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_markets_ticket_day"), ["day"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_markets_ticket_establishment_id"), ["establishment_id"], unique=False
        )
        batch_op.create_index("ix_markets_ticket_market_day", ["market_id", "day"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_markets_ticket_trader_id"), ["trader_id"], unique=False
        )

    op.create_table(
        "markets_trader_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trader_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("document_type_id", sa.Integer(), nullable=True),
        sa.Column("document_date", sa.Date(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_type_id"],
            ["markets_document_type.id"],
            name=op.f("fk_markets_trader_document_document_type_id_markets_document_type"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishment.id"],
            name=op.f("fk_markets_trader_document_establishment_id_establishment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["trader_id"],
            ["markets_trader.id"],
            name=op.f("fk_markets_trader_document_trader_id_markets_trader"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_markets_trader_document")),
    )
    with op.batch_alter_table("markets_trader_document", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_markets_trader_document_establishment_id"),
            ["establishment_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_markets_trader_document_trader_id"), ["trader_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("markets_trader_document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_markets_trader_document_trader_id"))
        batch_op.drop_index(batch_op.f("ix_markets_trader_document_establishment_id"))

    op.drop_table("markets_trader_document")
    with op.batch_alter_table("markets_ticket", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_markets_ticket_trader_id"))
        batch_op.drop_index("ix_markets_ticket_market_day")
        batch_op.drop_index(batch_op.f("ix_markets_ticket_establishment_id"))
        batch_op.drop_index(batch_op.f("ix_markets_ticket_day"))

    op.drop_table("markets_ticket")
    with op.batch_alter_table("markets_enrolment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_markets_enrolment_trader_id"))
        batch_op.drop_index(batch_op.f("ix_markets_enrolment_establishment_id"))
        batch_op.drop_index(batch_op.f("ix_markets_enrolment_day"))

    op.drop_table("markets_enrolment")
    with op.batch_alter_table("markets_employee", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_markets_employee_trader_id"))
        batch_op.drop_index(batch_op.f("ix_markets_employee_last_name"))
        batch_op.drop_index(batch_op.f("ix_markets_employee_establishment_id"))

    op.drop_table("markets_employee")
    with op.batch_alter_table("markets_authorisation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_markets_authorisation_trader_id"))
        batch_op.drop_index(batch_op.f("ix_markets_authorisation_establishment_id"))

    op.drop_table("markets_authorisation")
    with op.batch_alter_table("markets_trader", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_markets_trader_siret"))
        batch_op.drop_index(batch_op.f("ix_markets_trader_legal_name"))
        batch_op.drop_index(batch_op.f("ix_markets_trader_establishment_id"))

    op.drop_table("markets_trader")
    with op.batch_alter_table("markets_ticket_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_markets_ticket_change_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_markets_ticket_change_establishment_id"))

    op.drop_table("markets_ticket_change")
    with op.batch_alter_table("markets_sales_nature", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_markets_sales_nature_establishment_id"))

    op.drop_table("markets_sales_nature")
    with op.batch_alter_table("markets_market", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_markets_market_establishment_id"))

    op.drop_table("markets_market")
    with op.batch_alter_table("markets_document_type", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_markets_document_type_establishment_id"))

    op.drop_table("markets_document_type")
