"""The family portal's pages."""

from flask import Blueprint


def blueprint() -> Blueprint:
    return Blueprint("plugin_reservation_portal", __name__, template_folder="../templates")
