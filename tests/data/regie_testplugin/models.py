"""The plugin's table, prefixed with the plugin's name."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from regie.api import Model, TenantMixin, utcnow


class Note(TenantMixin, Model):
    __tablename__ = "testplugin_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
