"""``regie serve`` (and ``regie demo``) really serving, in a separate process, and refusing to
serve a database that migrations have not caught up with."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from regie.cli.main import cli

REGIE = str(Path(sys.executable).parent / "regie")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in list(os.environ):
        if name.startswith("REGIE_"):
            monkeypatch.delenv(name)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    folder = tmp_path_factory.mktemp("served") / "instance"
    unset = {name: None for name in os.environ if name.startswith("REGIE_")}
    result = CliRunner().invoke(cli, ["--instance", str(folder), "init", "--plugins", "markets"],
                                env=unset)
    assert result.exit_code == 0, result.output
    return folder


def get(url: str, timeout: float = 2.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def wait_until_serving(process: subprocess.Popen, url: str, seconds: float = 60) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{process.stdout.read()}")
        try:
            return get(url)[0]
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"nothing answered on {url} within {seconds} s")


def interrupt(process: subprocess.Popen) -> str:
    """Ctrl+C, as a terminal sends it to the server's whole process group (gunicorn's workers
    included); return what it printed. A server still running 30 s later is killed with its
    workers, so a failed test leaves nothing listening behind it."""
    with contextlib.suppress(ProcessLookupError):  # it has exited already
        os.killpg(process.pid, signal.SIGINT)
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        pytest.fail(f"still running 30 s after Ctrl+C:\n{output}")
    return output


def _default_ctrl_c() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(*args: str) -> subprocess.Popen:
    """``regie ARGS`` as a terminal starts a command: in a process group of its own, with
    Ctrl+C's default action (a test run started in the background by a script inherits it
    ignored, and Python then never raises KeyboardInterrupt)."""
    return subprocess.Popen([REGIE, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
                            start_new_session=True, preexec_fn=_default_ctrl_c)


@pytest.mark.parametrize("server", ["gunicorn", "waitress", "dev"])
def test_serve_answers_healthz_and_stops_cleanly_on_ctrl_c(instance, server):
    port = free_port()
    process = start("--instance", str(instance), "serve", "--bind", f"127.0.0.1:{port}",
                    "--server", server)
    try:
        assert wait_until_serving(process, f"http://127.0.0.1:{port}/healthz") == 200
        status, page = get(f"http://127.0.0.1:{port}/login")
        assert status == 200 and "<form" in page
    finally:
        output = interrupt(process)
    assert process.returncode == 0, output
    assert f"Serving http://127.0.0.1:{port}/ with {server}" in output


def test_serve_refuses_pending_migrations_and_names_the_command(tmp_path):
    folder = tmp_path / "instance"
    folder.mkdir()
    (folder / "regie.toml").write_text('secret_key = "not-migrated"\nplugins = ["markets"]\n')

    for command in ("serve", "worker"):
        result = CliRunner().invoke(cli, ["--instance", str(folder), command])
        assert result.exit_code != 0, command
        assert "regie db upgrade" in result.stderr
        assert "Serving" not in result.stdout and "Traceback" not in result.output


def test_serve_refuses_an_unknown_server(instance):
    result = CliRunner().invoke(cli, ["--instance", str(instance), "serve", "--server", "iis"])
    assert result.exit_code == 1
    assert "unknown web server 'iis' (available: gunicorn, waitress, dev)" in result.stderr


def test_demo_from_nothing_serves_until_ctrl_c(tmp_path):
    port = free_port()
    folder = tmp_path / "instance"
    process = start("--instance", str(folder), "demo", "--bind", f"127.0.0.1:{port}")
    try:
        assert wait_until_serving(process, f"http://127.0.0.1:{port}/healthz", 120) == 200
        status, _page = get(f"http://127.0.0.1:{port}/login")
        assert status == 200
    finally:
        output = interrupt(process)
    assert process.returncode == 0, output
    assert f"http://127.0.0.1:{port}/" in output
    assert "Password of 'admin': " in output


def test_gunicorn_terminates_tls_and_asks_client_certificates_only_when_configured(tmp_path):
    from regie.builtin.servers import gunicorn_options
    from regie.config import load_config

    plain = gunicorn_options(load_config(tmp_path, environ={}), "127.0.0.1:8000")
    desks = gunicorn_options(load_config(tmp_path, environ={
        "REGIE_SERVER_CERTFILE": "/etc/regie/server.pem", "REGIE_SERVER_KEYFILE": "/etc/k.pem",
        "REGIE_SERVER_CA_CERTS": "/etc/regie/desks-ca.pem", "REGIE_SERVER_CERT_REQS": "2",
        "REGIE_SERVER_FORWARDED_ALLOW_IPS": "10.0.0.5"}), "0.0.0.0:8443")

    assert "certfile" not in plain and plain["forwarded_allow_ips"] == "127.0.0.1,::1"
    assert {key: desks[key] for key in ("certfile", "keyfile", "ca_certs", "cert_reqs",
                                        "forwarded_allow_ips", "bind")} == {
        "certfile": "/etc/regie/server.pem", "keyfile": "/etc/k.pem",
        "ca_certs": "/etc/regie/desks-ca.pem", "cert_reqs": 2, "forwarded_allow_ips": "10.0.0.5",
        "bind": "0.0.0.0:8443"}
