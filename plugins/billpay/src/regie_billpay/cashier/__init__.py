"""The cashier's pages: main screen, new bill, prepayment, paid bills."""

from pathlib import Path

from flask import Blueprint

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def blueprint() -> Blueprint:
    from regie_billpay.cashier import views

    bp = Blueprint("plugin_billpay", __name__, template_folder=str(TEMPLATES),
                   static_folder=str(TEMPLATES.parent / "static"),
                   static_url_path="/billpay-static")
    views.register(bp)
    return bp
