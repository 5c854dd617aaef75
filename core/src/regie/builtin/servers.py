"""The web servers ``regie serve`` can run: gunicorn (default), waitress, the Werkzeug dev server.

Each ``run(app_factory, config, bind)`` gets a factory rather than an app so that pre-forking
servers build one app, with its own database pool, per worker process.
"""

from __future__ import annotations

from regie.api import WebServer, hookimpl


def _split(bind: str) -> tuple[str, int]:
    host, _, port = bind.rpartition(":")
    return host.strip("[]") or "127.0.0.1", int(port)


def gunicorn_options(config, bind: str) -> dict:
    """gunicorn's settings from the ``server.*`` keys; TLS only when a certificate is set."""
    options = {
        "bind": bind,
        "workers": config["server.workers"],
        "threads": config["server.threads"],
        "timeout": config["server.timeout"],
        "worker_class": "gthread" if config["server.threads"] > 1 else "sync",
        "accesslog": "-",
        "forwarded_allow_ips": config["server.forwarded_allow_ips"],
    }
    if config["server.certfile"]:
        options.update(certfile=config["server.certfile"],
                       keyfile=config["server.keyfile"] or None,
                       ca_certs=config["server.ca_certs"] or None,
                       cert_reqs=config["server.cert_reqs"])
    return options


def run_gunicorn(app_factory, config, bind: str) -> None:
    from gunicorn.app.base import BaseApplication

    class RegieGunicorn(BaseApplication):
        def load_config(self):
            for key, value in gunicorn_options(config, bind).items():
                self.cfg.set(key, value)

        def load(self):
            return app_factory()

    RegieGunicorn().run()


def run_waitress(app_factory, config, bind: str) -> None:
    import waitress

    waitress.serve(app_factory(), listen=bind, threads=config["server.threads"])


def run_dev(app_factory, config, bind: str) -> None:
    host, port = _split(bind)
    app_factory().run(host=host, port=port, debug=False, use_reloader=False, threaded=True)


@hookimpl
def regie_web_servers():
    return [
        WebServer("gunicorn", "gunicorn (pre-forking, Linux and macOS)", run_gunicorn),
        WebServer("waitress", "waitress (pure Python, Windows hosts)", run_waitress),
        WebServer("dev", "Werkzeug development server", run_dev),
    ]
