"""Baseline of the ``home`` workload: a minimal Flask app that serves an establishment's home
page to a signed-in member.

It reads the user id from Régie's own session cookie (same secret key, same cookie), runs two
queries (the user by id; the establishment by slug with its enabled plugins, for a member of
it) and renders the same page as Régie (same markup, plain strings) from a template file,
with the CSRF token of its forms. Configured by ``BENCH_DATABASE_URL`` and ``BENCH_SECRET_KEY``.
"""

from __future__ import annotations

import os

from flask import Flask, abort, redirect, render_template, session
from flask_wtf.csrf import generate_csrf
from sqlalchemy import create_engine, text

#: What Régie's plugins declare about themselves: menu label, description, icon.
MODULES = {
    "reservation": ("School canteen", "Family portal, meal accounts, meal reservations.",
                    "utensils"),
    "markets": ("Markets", "Traders, placiers, tickets and invoicing of municipal markets.",
                "store"),
    "billpay": ("Utility bills", "Cashier desks taking utility bill payments.", "receipt"),
    "coop": ("Co-op", "Member accounts, orders and distributions of a producers' co-op.",
             "sprout"),
}
LANGUAGES = (("fr", "Français"), ("en", "English"), ("uk", "Українська"))

USER = text("SELECT id, username, full_name FROM user_account WHERE id = :id AND active")
ESTABLISHMENT = text("""
    SELECT e.id, e.slug, e.name, p.plugin
    FROM establishment e
    LEFT JOIN establishment_plugin p ON p.establishment_id = e.id AND p.enabled
    WHERE e.slug = :slug AND EXISTS (
        SELECT 1 FROM membership m WHERE m.establishment_id = e.id AND m.user_id = :user_id)
    ORDER BY p.id
""")


def create_app() -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY=os.environ["BENCH_SECRET_KEY"],
                      SESSION_COOKIE_NAME="regie_session")
    engine = create_engine(os.environ["BENCH_DATABASE_URL"])

    @app.get("/healthz")
    def healthz():
        return "ok\n"

    @app.get("/<slug>/")
    def home(slug: str):
        user_id = session.get("_user_id")
        if user_id is None:
            return redirect("/login")
        with engine.connect() as connection:
            user = connection.execute(USER, {"id": int(user_id)}).one_or_none()
            if user is None:
                return redirect("/login")
            rows = connection.execute(ESTABLISHMENT, {"slug": slug, "user_id": user.id}).all()
        if not rows:
            abort(404)
        modules = [{"plugin": row.plugin, "label": MODULES[row.plugin][0],
                    "description": MODULES[row.plugin][1], "icon": MODULES[row.plugin][2]}
                   for row in rows if row.plugin in MODULES]
        return render_template("home.html", establishment=rows[0], user=user, modules=modules,
                               languages=LANGUAGES, csrf_token=generate_csrf())

    return app
