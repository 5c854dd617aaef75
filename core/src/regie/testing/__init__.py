"""Test helpers for Régie and its plugins, also installed as the pytest plugin ``regie``.

Plugin authors get the fixtures the project itself uses (see :mod:`regie.testing.plugin`):
``regie_runtime``, ``app``, ``client``, ``session``, ``make_establishment``, ``make_user``,
``enable_plugin``, ``signed_in``, and the services ``postgres_url`` and ``redis_url``.
"""

from regie.testing.database import TestDatabase
from regie.testing.services import require_service
from regie.testing.web import WebClient, form_fields

__all__ = ["TestDatabase", "WebClient", "form_fields", "require_service"]
