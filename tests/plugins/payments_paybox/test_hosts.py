"""Choosing the hosted payment page host through the load.html probe."""

from __future__ import annotations

import pytest

from regie_paybox.hosts import HostChooser, parse_hosts, server_status

UP = '<html><body><div id="server_status">OK</div></body></html>'
DOWN = '<html><body><div id="server_status">KO</div></body></html>'
PRIMARY, BACKUP = "https://tpeweb.paybox.com", "https://tpeweb1.paybox.com"


class FakeNetwork:
    def __init__(self, pages: dict[str, str | Exception]) -> None:
        self.pages = pages
        self.calls: list[tuple[str, float]] = []

    def __call__(self, url: str, timeout: float) -> str:
        self.calls.append((url, timeout))
        page = self.pages[url]
        if isinstance(page, Exception):
            raise page
        return page


def test_server_status_reads_the_element_text():
    assert server_status(UP) == "OK"
    assert server_status('<p id="server_status"> <b>OK</b> </p><p>KO</p>') == "OK"
    assert server_status("<html>maintenance</html>") == ""


def test_primary_is_used_when_up_with_a_short_timeout():
    network = FakeNetwork({PRIMARY + "/load.html": UP})
    assert HostChooser(network, timeout=2).choose([PRIMARY, BACKUP]) == PRIMARY
    assert network.calls == [(PRIMARY + "/load.html", 2)]


@pytest.mark.parametrize("primary", [DOWN, TimeoutError("timed out"), "<html></html>"])
def test_backup_is_used_when_primary_is_not_ok(primary):
    network = FakeNetwork({PRIMARY + "/load.html": primary, BACKUP + "/load.html": UP})
    assert HostChooser(network).choose([PRIMARY, BACKUP]) == BACKUP


def test_primary_when_nothing_answers(caplog):
    network = FakeNetwork({PRIMARY + "/load.html": OSError("refused"),
                           BACKUP + "/load.html": DOWN})
    assert HostChooser(network).choose([PRIMARY, BACKUP]) == PRIMARY
    assert "no Paybox host answered OK" in caplog.text


def test_choice_is_remembered_for_a_while():
    now = [0.0]
    network = FakeNetwork({PRIMARY + "/load.html": DOWN, BACKUP + "/load.html": UP})
    chooser = HostChooser(network, remember=60, clock=lambda: now[0])
    assert chooser.choose([PRIMARY, BACKUP]) == BACKUP
    network.pages[PRIMARY + "/load.html"] = UP
    now[0] = 30
    assert chooser.choose([PRIMARY, BACKUP]) == BACKUP
    now[0] = 61
    assert chooser.choose([PRIMARY, BACKUP]) == PRIMARY


def test_a_single_host_is_not_probed():
    network = FakeNetwork({})
    assert HostChooser(network).choose(["http://127.0.0.1:8089"]) == "http://127.0.0.1:8089"
    assert network.calls == []


def test_parse_hosts_setting():
    assert parse_hosts("tpeweb.paybox.com, http://127.0.0.1:8089/\n") == (
        "https://tpeweb.paybox.com", "http://127.0.0.1:8089")
    assert parse_hosts("  ") == ()
