"""Create the co-op tables.

Revision ID: a54818d7d755
Revises:
Create Date: 2026-11-22 11:15:28.915705
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a54818d7d755"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("coop",)
depends_on: str | Sequence[str] | None = "b288969044e7"


def upgrade() -> None:
    op.create_table(
        "coop_distribution",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("place", sa.String(length=100), nullable=False),
        sa.Column("orders_open_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("orders_close_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opening_float", sa.Integer(), nullable=False),
        sa.Column("validated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("validated_by", sa.String(length=150), nullable=False),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishment.id"],
            name=op.f("fk_coop_distribution_establishment_id_establishment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coop_distribution")),
    )
    with op.batch_alter_table("coop_distribution", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coop_distribution_date"), ["date"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_coop_distribution_establishment_id"), ["establishment_id"], unique=False
        )

    op.create_table(
        "coop_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("balance", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishment.id"],
            name=op.f("fk_coop_member_establishment_id_establishment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_coop_member_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coop_member")),
        sa.UniqueConstraint(
            "establishment_id", "user_id", name=op.f("uq_coop_member_establishment_id_user_id")
        ),
    )
    with op.batch_alter_table("coop_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coop_member_balance"), ["balance"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_coop_member_establishment_id"), ["establishment_id"], unique=False
        )

    op.create_table(
        "coop_product",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("unit_price", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishment.id"],
            name=op.f("fk_coop_product_establishment_id_establishment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coop_product")),
    )
    with op.batch_alter_table("coop_product", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coop_product_establishment_id"), ["establishment_id"], unique=False
        )

    op.create_table(
        "coop_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("distribution_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("paid", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["distribution_id"],
            ["coop_distribution.id"],
            name=op.f("fk_coop_order_distribution_id_coop_distribution"),
        ),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishment.id"],
            name=op.f("fk_coop_order_establishment_id_establishment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["coop_member.id"], name=op.f("fk_coop_order_member_id_coop_member")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coop_order")),
        sa.UniqueConstraint(
            "distribution_id", "member_id", name=op.f("uq_coop_order_distribution_id_member_id")
        ),
    )
    with op.batch_alter_table("coop_order", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coop_order_distribution_id"), ["distribution_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_coop_order_establishment_id"), ["establishment_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_coop_order_member_id"), ["member_id"], unique=False)

    op.create_table(
        "coop_operation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("distribution_id", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("payment_type", sa.String(length=30), nullable=False),
        sa.Column("pending", sa.Boolean(), nullable=False),
        sa.Column("reference", sa.String(length=120), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=150), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["distribution_id"],
            ["coop_distribution.id"],
            name=op.f("fk_coop_operation_distribution_id_coop_distribution"),
        ),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishment.id"],
            name=op.f("fk_coop_operation_establishment_id_establishment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["coop_member.id"], name=op.f("fk_coop_operation_member_id_coop_member")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["coop_order.id"], name=op.f("fk_coop_operation_order_id_coop_order")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coop_operation")),
    )
    with op.batch_alter_table("coop_operation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coop_operation_distribution_id"), ["distribution_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_coop_operation_establishment_id"), ["establishment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_coop_operation_member_id"), ["member_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_coop_operation_order_id"), ["order_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_coop_operation_payment_id"), ["payment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_coop_operation_request_id"), ["request_id"], unique=False
        )

    op.create_table(
        "coop_order_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("quantity_milli", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishment.id"],
            name=op.f("fk_coop_order_line_establishment_id_establishment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["coop_order.id"], name=op.f("fk_coop_order_line_order_id_coop_order")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["coop_product.id"],
            name=op.f("fk_coop_order_line_product_id_coop_product"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coop_order_line")),
        sa.UniqueConstraint(
            "order_id", "product_id", name=op.f("uq_coop_order_line_order_id_product_id")
        ),
    )
    with op.batch_alter_table("coop_order_line", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coop_order_line_establishment_id"), ["establishment_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_coop_order_line_order_id"), ["order_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("coop_order_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coop_order_line_order_id"))
        batch_op.drop_index(batch_op.f("ix_coop_order_line_establishment_id"))

    op.drop_table("coop_order_line")
    with op.batch_alter_table("coop_operation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coop_operation_request_id"))
        batch_op.drop_index(batch_op.f("ix_coop_operation_payment_id"))
        batch_op.drop_index(batch_op.f("ix_coop_operation_order_id"))
        batch_op.drop_index(batch_op.f("ix_coop_operation_member_id"))
        batch_op.drop_index(batch_op.f("ix_coop_operation_establishment_id"))
        batch_op.drop_index(batch_op.f("ix_coop_operation_distribution_id"))

    op.drop_table("coop_operation")
    with op.batch_alter_table("coop_order", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coop_order_member_id"))
        batch_op.drop_index(batch_op.f("ix_coop_order_establishment_id"))
        batch_op.drop_index(batch_op.f("ix_coop_order_distribution_id"))

    op.drop_table("coop_order")
    with op.batch_alter_table("coop_product", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coop_product_establishment_id"))

    op.drop_table("coop_product")
    with op.batch_alter_table("coop_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coop_member_establishment_id"))
        batch_op.drop_index(batch_op.f("ix_coop_member_balance"))

    op.drop_table("coop_member")
    with op.batch_alter_table("coop_distribution", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coop_distribution_establishment_id"))
        batch_op.drop_index(batch_op.f("ix_coop_distribution_date"))

    op.drop_table("coop_distribution")
