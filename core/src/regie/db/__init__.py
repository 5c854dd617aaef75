"""Database access: the declarative base, the core models and the per-instance engine."""

from regie.db.base import Model, TenantMixin, utcnow
from regie.db.database import Database, DatabaseUnavailable

__all__ = ["Database", "DatabaseUnavailable", "Model", "TenantMixin", "utcnow"]
