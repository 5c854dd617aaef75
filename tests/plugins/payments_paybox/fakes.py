"""Local stand-ins for Paybox services, served over real HTTP on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qsl, urlencode

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from regie_paybox.protocol import hmac_sign


@contextmanager
def serve(wsgi_app) -> Iterator[str]:
    """Serve ``wsgi_app`` on a free loopback port; yields its base URL."""
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


class FakePPPS:
    """Paybox Direct as far as refunds and inquiries go.

    ``transactions`` maps NUMTRANS → {"reference", "amount", "numappel", "status",
    "refunded"}. Questions with a wrong HMAC, a reused NUMQUESTION or too large a refund are
    answered with an error code, as the real platform does.
    """

    def __init__(self, hmac_key: str, site: str = "1999888", rang: str = "32") -> None:
        self.hmac_key = hmac_key
        self.site, self.rang = site, rang
        self.transactions: dict[str, dict] = {}
        self.questions: list[list[tuple[str, str]]] = []
        self.numbers: set[str] = set()

    def add(self, numtrans: str, reference: str, amount: int, numappel: str = "",
            status: str = "Capturé") -> None:
        self.transactions[numtrans] = {"reference": reference, "amount": amount,
                                       "numappel": numappel or f"9{numtrans}",
                                       "status": status, "refunded": 0}

    def answer(self, code: str, comment: str, **fields: str) -> Response:
        body = urlencode({"CODEREPONSE": code, "COMMENTAIRE": comment, **fields},
                         encoding="latin-1")
        return Response(body, content_type="application/x-www-form-urlencoded")

    def __call__(self, environ, start_response):
        request = Request(environ)
        fields = parse_qsl(request.get_data(as_text=True), keep_blank_values=True)
        self.questions.append(fields)
        return self.respond(dict(fields), fields)(environ, start_response)

    def find(self, values: dict[str, str]) -> tuple[str, dict] | None:
        if values.get("NUMTRANS") in self.transactions:
            return values["NUMTRANS"], self.transactions[values["NUMTRANS"]]
        for numtrans, transaction in self.transactions.items():
            if transaction["reference"] == values.get("REFERENCE"):
                return numtrans, transaction
        return None

    def respond(self, values: dict[str, str], fields: list[tuple[str, str]]) -> Response:
        if (values.get("SITE"), values.get("RANG")) != (self.site, self.rang):
            return self.answer("00006", "Acces refuse")
        if values.get("HMAC") != hmac_sign(fields[:-1], self.hmac_key, values.get("HASH", "")):
            return self.answer("00006", "HMAC invalide")
        if values["NUMQUESTION"] in self.numbers or len(values["NUMQUESTION"]) != 10:
            return self.answer("00023", "NUMQUESTION deja utilise")
        self.numbers.add(values["NUMQUESTION"])
        found = self.find(values)
        if found is None:
            return self.answer("00012", "Transaction introuvable")
        numtrans, transaction = found
        common = {"NUMTRANS": numtrans, "NUMAPPEL": transaction["numappel"],
                  "NUMQUESTION": values["NUMQUESTION"]}
        if values["TYPE"] == "00017":
            return self.answer("00000", "Demande traitee avec succes",
                               STATUS=transaction["status"], **common)
        if values["TYPE"] == "00014":
            amount = int(values["MONTANT"])
            if transaction["refunded"] + amount > transaction["amount"]:
                return self.answer("00011", "Montant incorrect")
            transaction["refunded"] += amount
            transaction["status"] = "Remboursé"
            return self.answer("00000", "Demande traitee avec succes",
                               **{**common, "NUMTRANS": f"R{numtrans}{len(self.questions)}"})
        return self.answer("00099", "TYPE non supporte")
