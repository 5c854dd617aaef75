"""Create the core tables.

Establishments and their plugins, users and memberships, audit events, jobs, task runs.

Revision ID: b288969044e7
Revises:
Create Date: 2026-11-22 10:15:20.154140
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b288969044e7"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("regie",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "establishment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("locale", sa.String(length=10), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("logo", sa.LargeBinary(), nullable=True),
        sa.Column("logo_type", sa.String(length=50), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_establishment")),
        sa.UniqueConstraint("slug", name=op.f("uq_establishment_slug")),
    )
    op.create_table(
        "user_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=150), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("is_superuser", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("locale", sa.String(length=10), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_account")),
        sa.UniqueConstraint("username", name=op.f("uq_user_account_username")),
    )
    op.create_table(
        "establishment_plugin",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plugin", sa.String(length=63), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["establishment_id"], ["establishment.id"], ondelete="CASCADE",
            name=op.f("fk_establishment_plugin_establishment_id_establishment")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_establishment_plugin")),
        sa.UniqueConstraint("establishment_id", "plugin",
                            name=op.f("uq_establishment_plugin_establishment_id_plugin")),
    )
    op.create_index(op.f("ix_establishment_plugin_establishment_id"), "establishment_plugin",
                    ["establishment_id"])
    op.create_table(
        "membership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["establishment_id"], ["establishment.id"], ondelete="CASCADE",
            name=op.f("fk_membership_establishment_id_establishment")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], ondelete="CASCADE",
                                name=op.f("fk_membership_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_membership")),
        sa.UniqueConstraint("user_id", "establishment_id", "role",
                            name=op.f("uq_membership_user_id_establishment_id_role")),
    )
    op.create_index(op.f("ix_membership_establishment_id"), "membership", ["establishment_id"])
    op.create_index(op.f("ix_membership_user_id"), "membership", ["user_id"])
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("establishment_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=150), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["establishment_id"], ["establishment.id"], ondelete="CASCADE",
                                name=op.f("fk_audit_event_establishment_id_establishment")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], ondelete="SET NULL",
                                name=op.f("fk_audit_event_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    op.create_index("ix_audit_event_establishment_created", "audit_event",
                    ["establishment_id", "created_at"])
    op.create_table(
        "job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("establishment_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=150), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["establishment_id"], ["establishment.id"], ondelete="CASCADE",
                                name=op.f("fk_job_establishment_id_establishment")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], ondelete="SET NULL",
                                name=op.f("fk_job_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job")),
    )
    op.create_index(op.f("ix_job_establishment_id"), "job", ["establishment_id"])
    op.create_table(
        "task_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task", sa.String(length=150), nullable=False),
        sa.Column("scope", sa.String(length=63), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_run")),
        sa.UniqueConstraint("task", "scope", name=op.f("uq_task_run_task_scope")),
    )


def downgrade() -> None:
    for table in ("task_run", "job", "audit_event", "membership", "establishment_plugin",
                  "user_account", "establishment"):
        op.drop_table(table)
