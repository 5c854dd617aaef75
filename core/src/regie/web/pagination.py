"""Pages of query results, with the links to their neighbours."""

from __future__ import annotations

import math
from typing import Any

import attrs
from flask import request, url_for
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session


@attrs.frozen
class Page:
    items: list[Any]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    def url(self, number: int) -> str:
        """This page's URL with its query string kept and ``page`` set to ``number``."""
        args = request.args.to_dict()
        args["page"] = str(number)
        return url_for(request.endpoint, **(request.view_args or {}), **args)


def paginate(session: Session, query: Select, *, per_page: int = 50) -> Page:
    """The page of ``query`` named by the ``page`` query argument (out of range: the last)."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    number = request.args.get("page", 1, type=int) or 1
    pages = max(1, math.ceil(total / per_page))
    number = min(max(number, 1), pages)
    items = session.scalars(query.limit(per_page).offset((number - 1) * per_page)).all()
    return Page(items=list(items), number=number, per_page=per_page, total=total)
