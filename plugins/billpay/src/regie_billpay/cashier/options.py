"""The choices a cashier makes before each search (seed): city, services, period, and whether
amounts may be corrected; or, for a prepayment, the number of months. They travel in the
query string from the search to the account card."""

from __future__ import annotations

import attrs
from werkzeug.datastructures import MultiDict

from regie_billpay.accruals import ALL_PERIODS, PREVIOUS_MONTH
from regie_billpay.prepayment import MONTHS

ALL_SERVICES, CHOSEN_SERVICES = "all", "chosen"


@attrs.frozen
class Options:
    city_id: int
    services: str = ALL_SERVICES
    service_ids: frozenset[int] = frozenset()
    period: str = ALL_PERIODS
    correct: bool = False
    months: int = 1

    @classmethod
    def read(cls, args: MultiDict, *, default_city: int, cities: set[int]) -> Options:
        """The options in ``args``; unknown or missing values fall back to the defaults."""
        try:
            city_id = int(args.get("city", default_city))
        except ValueError:
            city_id = default_city
        service_ids = frozenset(int(value) for value in args.getlist("service")
                                if value.isdigit())
        services = CHOSEN_SERVICES if args.get("services") == CHOSEN_SERVICES else ALL_SERVICES
        months = int(args["months"]) if args.get("months") in {str(m) for m in MONTHS} else 1
        return cls(city_id=city_id if city_id in cities else default_city, services=services,
                   service_ids=service_ids,
                   period=PREVIOUS_MONTH if args.get("period") == PREVIOUS_MONTH
                   else ALL_PERIODS,
                   correct=args.get("correct") == "1", months=months)

    @property
    def chosen(self) -> set[int] | None:
        """The services to show, ``None`` for all of them."""
        return set(self.service_ids) if self.services == CHOSEN_SERVICES else None

    def args(self) -> dict[str, object]:
        """The options as query-string arguments for ``url_for``."""
        values: dict[str, object] = {"city": self.city_id, "services": self.services,
                                     "period": self.period, "months": self.months}
        if self.services == CHOSEN_SERVICES:
            values["service"] = sorted(self.service_ids)
        if self.correct:
            values["correct"] = "1"
        return values
