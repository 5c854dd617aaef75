"""Views of the cashier's pages."""

from flask import Blueprint, render_template

from regie.api import require_permission


def register(bp: Blueprint) -> None:
    @bp.route("/")
    @require_permission("billpay.cashier")
    def index():
        return render_template("billpay/index.html")
