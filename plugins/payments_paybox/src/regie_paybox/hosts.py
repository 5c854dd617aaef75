"""Which Paybox host to send the payer to: the primary when its ``load.html`` says ``OK``,
otherwise the first backup that does.

The probe is a short HTTP GET; the answer is remembered for a minute so a busy payment page
does not probe every time. ``fetch`` is injectable for tests.
"""

from __future__ import annotations

import logging
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from html.parser import HTMLParser

log = logging.getLogger("regie_paybox.hosts")

#: Hosted payment page hosts per environment, primary first.
PAGE_HOSTS = {
    "test": ("https://preprod-tpeweb.paybox.com",),
    "production": ("https://tpeweb.paybox.com", "https://tpeweb1.paybox.com"),
}
#: Paybox Direct (PPPS) endpoints per environment, primary first.
PPPS_URLS = {
    "test": ("https://preprod-ppps.paybox.com/PPPS.php",),
    "production": ("https://ppps.paybox.com/PPPS.php", "https://ppps1.paybox.com/PPPS.php"),
}
PAYMENT_PATH = "/cgi/MYchoix_pagepaiement.cgi"
PROBE_PATH = "/load.html"
PROBE_TIMEOUT = 3.0
REMEMBER_SECONDS = 60.0

Fetch = Callable[[str, float], str]


class _StatusParser(HTMLParser):
    """Reads the text of the element whose id is ``server_status``."""

    def __init__(self) -> None:
        super().__init__()
        self._depth = 0
        self.status = ""

    def handle_starttag(self, tag, attrs):
        if self._depth:
            self._depth += 1
        elif dict(attrs).get("id") == "server_status":
            self._depth = 1

    def handle_endtag(self, tag):
        if self._depth:
            self._depth -= 1

    def handle_data(self, data):
        if self._depth:
            self.status += data


def server_status(html: str) -> str:
    """The text of ``id="server_status"`` in a ``load.html`` page (``OK`` when up)."""
    parser = _StatusParser()
    parser.feed(html)
    return parser.status.strip()


def http_fetch(url: str, timeout: float) -> str:
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an HTTP URL: {url}")
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - checked above
        return response.read(65536).decode("utf-8", "replace")


def parse_hosts(text: str) -> tuple[str, ...]:
    """Base URLs from a setting: separated by commas, spaces or new lines; a bare host name
    gets ``https://``; trailing slashes go."""
    hosts = []
    for item in text.replace(",", " ").split():
        base = item if item.startswith(("http://", "https://")) else f"https://{item}"
        hosts.append(base.rstrip("/"))
    return tuple(hosts)


class HostChooser:
    """Chooses among hosts by probing them; one chooser is shared by the whole process."""

    def __init__(self, fetch: Fetch = http_fetch, *, timeout: float = PROBE_TIMEOUT,
                 remember: float = REMEMBER_SECONDS, clock: Callable[[], float] = time.monotonic):
        self.fetch = fetch
        self.timeout = timeout
        self.remember = remember
        self.clock = clock
        self._lock = threading.Lock()
        self._known: dict[tuple[str, ...], tuple[float, str]] = {}

    def is_up(self, host: str) -> bool:
        try:
            return server_status(self.fetch(host + PROBE_PATH, self.timeout)) == "OK"
        except Exception as exc:  # any network or parsing trouble means "not usable now"
            log.warning("Paybox host %s did not answer its probe: %s", host, exc)
            return False

    def choose(self, hosts: Sequence[str]) -> str:
        """The first host that answers ``OK``; the primary when none does (the payer then sees
        Paybox's own error page rather than ours)."""
        if not hosts:
            raise ValueError("no Paybox host configured")
        if len(hosts) == 1:
            return hosts[0]
        key = tuple(hosts)
        with self._lock:
            known = self._known.get(key)
            if known and self.clock() - known[0] < self.remember:
                return known[1]
        chosen = next((host for host in hosts if self.is_up(host)), None)
        if chosen is None:
            log.error("no Paybox host answered OK (%s); using %s", ", ".join(hosts), hosts[0])
            chosen = hosts[0]
        with self._lock:
            self._known[key] = (self.clock(), chosen)
        return chosen


default_chooser = HostChooser()
