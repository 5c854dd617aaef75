"""Index the subscriber search per city, by house before the street prefix, with the surname.

A search by street prefix and house read the street index over the whole prefix range and
checked the house of every entry in it (thousands for "Зарічна"); with the house first, the
range holds only that house. The surname key in the address indexes lets the index, not the
table, refuse the other surnames. The city is in every index, as every search names one.

Revision ID: billpay_0002
Revises: billpay_0001
Create Date: 2026-11-22 15:50:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "billpay_0002"
down_revision: str | Sequence[str] | None = "billpay_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXES = {
    "ix_billpay_subscriber_street": ["establishment_id", "city_id", "street_key", "house",
                                     "apartment", "surname_key"],
    "ix_billpay_subscriber_house": ["establishment_id", "city_id", "house", "street_key",
                                    "apartment", "surname_key"],
    "ix_billpay_subscriber_surname": ["establishment_id", "city_id", "surname_key"],
}
_PREVIOUS = {
    "ix_billpay_subscriber_street": ["establishment_id", "street_key", "house", "apartment"],
    "ix_billpay_subscriber_surname": ["establishment_id", "surname_key"],
}


def upgrade() -> None:
    with op.batch_alter_table("billpay_subscriber", schema=None) as batch_op:
        for name in _PREVIOUS:
            batch_op.drop_index(name)
        for name, columns in _INDEXES.items():
            batch_op.create_index(name, columns, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("billpay_subscriber", schema=None) as batch_op:
        for name in _INDEXES:
            batch_op.drop_index(name)
        for name, columns in _PREVIOUS.items():
            batch_op.create_index(name, columns, unique=False)
