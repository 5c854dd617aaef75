"""The declarative base every table of the core and of the plugins derives from."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from sqlalchemy import DateTime, ForeignKey, Integer, MetaData, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timestamps stored in UTC and always read back as aware datetimes (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value


class Model(DeclarativeBase):
    """Base class of all tables. Plugin tables are named ``<plugin>_<thing>``."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UTCDateTime()}


class TenantMixin:
    """Rows owned by one establishment. Query them through :func:`regie.db.tenancy.select_for`."""

    #: ``False`` on a table with a unique constraint or an index that starts with
    #: ``establishment_id``: that one serves the lookups, and a second would only cost writes.
    establishment_index: ClassVar[bool] = True

    @declared_attr
    def establishment_id(cls) -> Mapped[int]:
        return mapped_column(
            Integer, ForeignKey("establishment.id", ondelete="CASCADE"),
            index=cls.establishment_index,
        )
