"""Network loss between the agent and the hosted side: a proxy on the way cuts connections
in the middle of a run, or swallows the answer of a request the server has already applied.
The next run (or the retry) catches up with nothing lost and nothing twice."""

from __future__ import annotations

import datetime as dt
import decimal
import socket
import threading

import pytest
from sqlalchemy import func, select

from regie.api import account_by_id, record_payment
from regie.db.money import LedgerEntry
from regie_reservation import individuals
from regie_reservation.agent import config as agent_config
from regie_reservation.agent import streams as agent_streams
from regie_reservation.agent.cli import open_streams
from regie_reservation.agent.client import ServerUnreachable
from regie_reservation.models import Individual, Passage

TODAY = dt.date.today()
PUPILS = 7


class CuttingProxy:
    """A TCP proxy to the live server, one request per connection (the agent sends
    ``Connection: close``). ``down`` (or ``down_after`` requests) refuses every connection by
    closing it at once;
    ``swallow`` forwards the next requests whose first line contains it, then closes the
    connection instead of answering."""

    def __init__(self, upstream: str) -> None:
        host, port = upstream.removeprefix("http://").split(":")
        self.upstream = (host, int(port))
        self.down = False
        self.down_after: int | None = None
        self.swallow: list[str] = []
        self.forwarded: list[str] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _address = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(connection,), daemon=True).start()

    def _handle(self, connection: socket.socket) -> None:
        with connection:
            if self.down_after is not None and len(self.forwarded) >= self.down_after:
                self.down = True
            if self.down:
                return
            request = self._request(connection)
            first_line = request.split(b"\r\n", 1)[0].decode()
            with socket.create_connection(self.upstream) as upstream:
                upstream.sendall(request)
                response = b""
                while chunk := upstream.recv(65536):
                    response += chunk
            self.forwarded.append(first_line)
            lost = next((part for part in self.swallow if part in first_line), None)
            if lost is not None:
                self.swallow.remove(lost)
                return
            connection.sendall(response)

    @staticmethod
    def _request(connection: socket.socket) -> bytes:
        data = b""
        while b"\r\n\r\n" not in data:
            data += connection.recv(65536)
        head, _sep, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _colon, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(body) < length:
            body += connection.recv(65536)
        return head + b"\r\n\r\n" + body

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def proxy(live_server):
    made = CuttingProxy(live_server)
    yield made
    made.close()


@pytest.fixture
def office(tmp_path):
    from tests.plugins.reservation.conftest import BackOfficeDb

    made = BackOfficeDb(f"sqlite:///{tmp_path / 'orcadia.db'}")
    made.insert(made.eleves, *[
        {"id": 2000 + n, "nom": f"Eleve{n}", "prenom": "A", "classe": "4C",
         "regime": "demi-pension", "login": f"eleve{n}", "passe": "pass-word-1",
         "nom_resp": "", "mail_resp": "", "solde": decimal.Decimal("10.00")}
        for n in range(PUPILS)])
    made.insert(made.passages, *[
        {"id": 100 * n + k, "id_eleve": 2000 + n, "date_passage": TODAY - dt.timedelta(days=k),
         "repas": "midi", "prix": decimal.Decimal("3.30")} for n in range(PUPILS)
        for k in range(1, 4)])
    yield made
    made.engine.dispose()


def run(path, name):
    with open_streams(agent_config.load(path)) as opened:
        return getattr(opened, name)()


def entries(session) -> int:
    return session.scalar(select(func.count()).select_from(LedgerEntry))


def test_a_run_cut_by_a_network_loss_is_completed_by_the_next_one_without_duplicates(
        office, proxy, sync_token, tmp_path, session, school, monkeypatch):
    monkeypatch.setattr(agent_streams, "PAGE", 2)
    path = office.config(tmp_path, proxy.url, sync_token)
    proxy.down_after = 2

    with pytest.raises(ServerUnreachable, match="next run catches up"):
        run(path, "individuals")
    assert session.scalar(select(func.count()).select_from(Individual)) == 4
    session.rollback()

    proxy.down, proxy.down_after = False, None
    outcome = run(path, "individuals")

    assert outcome.counts["created"] == PUPILS - 4
    assert session.scalar(select(func.count()).select_from(Individual)) == PUPILS
    assert session.scalar(select(func.count()).select_from(Passage)) == 3 * PUPILS
    for person in session.scalars(select(Individual)):
        assert account_by_id(session, school, person.account_id).balance == 1000
    assert entries(session) == 2 * PUPILS  # the meals' entry and an adjustment each
    assert dict(run(path, "individuals").counts) == {}


def test_an_answer_lost_on_the_way_back_is_asked_again_and_applied_once(
        office, proxy, sync_token, tmp_path, session, school, regie_runtime, transaction):
    path = office.config(tmp_path, proxy.url, sync_token)
    proxy.swallow.append("POST /callbacks")

    outcome = run(path, "individuals")

    assert [line.split()[0] for line in proxy.forwarded] == ["POST", "POST"]
    assert outcome.counts["unchanged"] == PUPILS
    assert session.scalar(select(func.count()).select_from(Passage)) == 3 * PUPILS
    assert entries(session) == 2 * PUPILS

    with transaction() as (writing, place):
        person = individuals.by_external_id(writing, place, "2000")
        record_payment(writing, regie_runtime, place, method="cash", amount=2000,
                       reference="97", account=account_by_id(writing, place,
                                                             person.account_id))
    proxy.swallow.append("GET /callbacks")
    paid = run(path, "payments")

    assert paid.counts["recorded"] == 1
    assert [row["reference"] for row in office.rows(office.encaissements)] == ["97"]
    assert dict(run(path, "payments").counts) == {}
