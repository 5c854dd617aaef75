"""The hosted web: the Flask app factory, core pages and the mounting of plugin blueprints."""

from regie.web.app import create_app

__all__ = ["create_app"]
