"""A local stand-in for Paybox's hosted payment page, for the demo, training and tests.

It receives the signed form of PROTOCOL §1, shows the amount and reference, and lets the
person choose what Paybox would answer: pay, refuse, cancel, or any response code. It then
sends the IPN server to server to ``PBX_REPONDRE_A`` and redirects the browser to the matching
return URL, both signed with the published TEST key (TestK004), which Régie accepts in test
mode only. It also answers Paybox Direct refunds and inquiries about the payments it served.

The HMAC of the form is checked when the simulator is given the establishment's key
(``--hmac-key``); without it the page says, in a banner, that the form was not checked.

Like the developer tool it is, the simulator speaks English only: its words are not in the
plugin's catalogs.
"""

from __future__ import annotations

import html
import itertools
import logging
import secrets
import threading
import time
import urllib.request
from collections.abc import Callable
from urllib.parse import parse_qsl, quote, urlencode

import attrs
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from regie_paybox import protocol

log = logging.getLogger("regie_paybox.simulator")

PAGE_PATHS = ("/cgi/MYchoix_pagepaiement.cgi", "/cgi/FramepagepaiementRWD.cgi",
              "/php/")
REQUIRED = ("PBX_SITE", "PBX_RANG", "PBX_IDENTIFIANT", "PBX_TOTAL", "PBX_DEVISE", "PBX_CMD",
            "PBX_PORTEUR", "PBX_RETOUR", "PBX_HASH", "PBX_TIME", "PBX_HMAC")
CURRENCIES = {number: code for code, number in protocol.CURRENCY_NUMBERS.items()}
#: The codes offered in the "other answer" list, besides pay, refuse and cancel.
OTHER_CODES = ("99999", "00003", "00004", "00006", "00008", "00011", "00015", "00021", "00030",
               "00040", "00105", "00159")

Send = Callable[[str, str, bytes | None], int]


def http_send(url: str, method: str, body: bytes | None) -> int:
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an HTTP URL: {url}")
    request = urllib.request.Request(url, data=body, method=method)  # noqa: S310 - checked
    if body is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
        response.read()
        return response.status


@attrs.define
class Order:
    token: str
    fields: list[tuple[str, str]]
    checked: bool | None
    numappel: str
    numtrans: str
    answers: list[dict] = attrs.Factory(list)
    refunded: int = 0

    @property
    def values(self) -> dict[str, str]:
        return dict(self.fields)


def answer_query(order: Order, code: str, private_key: bytes) -> str:
    """The signed variables of ``PBX_RETOUR`` for answer ``code``, as Paybox appends them."""
    values = order.values
    known = {"M": values.get("PBX_TOTAL", ""), "R": values.get("PBX_CMD", ""),
             "E": code, "S": order.numtrans, "T": order.numappel,
             "A": "XXXXXX" if code == "00000" else "", "W": time.strftime("%d%m%Y"),
             "Q": time.strftime("%H:%M:%S"), "C": "CB", "J": "44", "N": "111122"}
    pairs, signature_name = [], ""
    for item in values.get("PBX_RETOUR", "").split(";"):
        name, _sep, letter = item.partition(":")
        if letter == "K":
            signature_name = name
        elif known.get(letter):
            pairs.append(f"{name}={quote(known[letter], safe='')}")
    signed = "&".join(pairs)
    if not signature_name:
        return signed
    return f"{signed}&{signature_name}={protocol.sign_response(signed, private_key)}"


def return_url(order: Order, code: str) -> str:
    outcome = protocol.describe_code(code).outcome
    field = {"succeeded": "PBX_EFFECTUE", "pending": "PBX_ATTENTE",
             "cancelled": "PBX_ANNULE"}.get(outcome, "PBX_REFUSE")
    return order.values.get(field, "")


def _join(url: str, query: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{query}"


class Simulator:
    """The WSGI application. ``send`` delivers IPNs (injectable for tests); ``hmac_key``
    checks the forms it receives."""

    def __init__(self, *, hmac_key: str | None = None, send: Send = http_send,
                 private_key: bytes | None = None) -> None:
        self.hmac_key = hmac_key or None
        self.send = send
        self.private_key = private_key or protocol.key_file("TestK004.prv.pem")
        self.orders: dict[str, Order] = {}
        self._numbers = itertools.count(int(time.time()) % 10_000_000 * 10, 2)
        self._lock = threading.Lock()
        self.url_map = Map([
            Rule("/load.html", endpoint="load"),
            *(Rule(path, endpoint="page", methods=["GET", "POST"]) for path in PAGE_PATHS),
            Rule("/answer/<token>", endpoint="answer", methods=["POST"]),
            Rule("/PPPS.php", endpoint="ppps", methods=["POST"]),
            Rule("/", endpoint="home"),
        ])

    def __call__(self, environ, start_response):
        request = Request(environ)
        adapter = self.url_map.bind_to_environ(environ)
        try:
            endpoint, arguments = adapter.match()
            response = getattr(self, f"on_{endpoint}")(request, **arguments)
        except HTTPException as exc:
            response = exc
        return response(environ, start_response)

    # --- pages ------------------------------------------------------------------------------

    def on_load(self, request: Request) -> Response:
        return Response('<html><body><div id="server_status">OK</div></body></html>',
                        content_type="text/html")

    def on_home(self, request: Request) -> Response:
        return self.page("Paybox simulator", "<p>Point the Paybox plugin of a test "
                         "establishment at this address (setting “Payment page hosts”) and "
                         "pay from Régie.</p>")

    def on_page(self, request: Request) -> Response:
        raw = request.get_data(cache=False) if request.method == "POST" else (
            request.query_string)
        fields = parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)
        values = dict(fields)
        missing = [name for name in REQUIRED if not values.get(name)]
        if missing:
            return self.page("Payment refused", "<p>Missing fields: {}</p>".format(
                html.escape(", ".join(missing))), status=400)
        checked = None
        if self.hmac_key:
            expected = protocol.hmac_sign(fields, self.hmac_key, values["PBX_HASH"])
            checked = expected == values["PBX_HMAC"].upper()
            if not checked:
                return self.page("Payment refused", "<p>The form's HMAC does not match the "
                                 "key given to the simulator: the platform would refuse this "
                                 "request.</p>", status=400)
        with self._lock:
            number = next(self._numbers)
        order = Order(secrets.token_urlsafe(12), fields, checked, numappel=f"{number:010d}",
                      numtrans=f"{number + 1:010d}")
        self.orders[order.token] = order
        return self.page("Card payment", self.order_form(order))

    def on_answer(self, request: Request, token: str) -> Response:
        order = self.orders.get(token)
        if order is None:
            raise NotFound()
        code = request.form.get("code", "")
        if not code.isdigit() or len(code) != 5:
            return self.page("Card payment", self.order_form(order), status=400)
        query = answer_query(order, code, self.private_key)
        order.answers.append({"code": code, "ipn_status": None})
        if not request.form.get("lose_ipn"):
            self.notify(order, code, query)
        target = return_url(order, code)
        if not target:
            return self.page("Payment finished", "<p>{}</p>".format(html.escape(
                protocol.describe_code(code).label)))
        return redirect(_join(target, query), code=303)

    def notify(self, order: Order, code: str, query: str) -> None:
        """Send the IPN to ``PBX_REPONDRE_A`` (POST when ``PBX_RUF1=POST``)."""
        values = order.values
        url = values.get("PBX_REPONDRE_A", "")
        if not url:
            return
        post = values.get("PBX_RUF1", "").upper() == "POST"
        try:
            status = self.send(url if post else _join(url, query), "POST" if post else "GET",
                               query.encode("ascii") if post else None)
        except Exception as exc:
            log.warning("IPN to %s failed: %s", url, exc)
            status = None
        order.answers[-1]["ipn_status"] = status
        log.info("IPN %s for %s sent to %s: HTTP %s", code, values.get("PBX_CMD"), url, status)

    # --- Paybox Direct ---------------------------------------------------------------------

    def on_ppps(self, request: Request) -> Response:
        """Refunds (``00014``) and inquiries (``00017``) on the payments made here, so the
        demo's refunds and the weekly recovery have someone to talk to."""
        fields = parse_qsl(request.get_data(as_text=True), keep_blank_values=True)
        values = dict(fields)
        if self.hmac_key and "HMAC" in values and values["HMAC"] != protocol.hmac_sign(
                fields[:-1], self.hmac_key, values.get("HASH", "SHA512")):
            return self.ppps_answer("00006", "HMAC invalide")
        order = self.find_order(values.get("NUMTRANS", ""), values.get("REFERENCE", ""))
        if order is None:
            return self.ppps_answer("00012", "Transaction introuvable")
        paid = any(answer["code"] == "00000" for answer in order.answers)
        common = {"NUMTRANS": order.numtrans, "NUMAPPEL": order.numappel,
                  "NUMQUESTION": values.get("NUMQUESTION", "")}
        if values.get("TYPE") == "00017":
            status = ("Remboursé" if order.refunded else "Capturé") if paid else (
                "Refusé" if order.answers else "Inconnu")
            return self.ppps_answer("00000", "Demande traitee avec succes", STATUS=status,
                                    **common)
        if values.get("TYPE") == "00014":
            amount = int(values.get("MONTANT") or 0)
            if not paid or amount <= 0 or order.refunded + amount > int(
                    order.values["PBX_TOTAL"]):
                return self.ppps_answer("00011", "Montant incorrect")
            order.refunded += amount
            with self._lock:
                number = next(self._numbers)
            return self.ppps_answer("00000", "Demande traitee avec succes",
                                    **{**common, "NUMTRANS": f"{number:010d}"})
        return self.ppps_answer("00099", "TYPE non supporte par le simulateur")

    def find_order(self, numtrans: str, reference: str) -> Order | None:
        for order in reversed(list(self.orders.values())):
            if numtrans and order.numtrans == numtrans:
                return order
            if not numtrans and reference and order.values.get("PBX_CMD") == reference:
                return order
        return None

    @staticmethod
    def ppps_answer(code: str, comment: str, **fields: str) -> Response:
        body = urlencode({"CODEREPONSE": code, "COMMENTAIRE": comment, **fields},
                         encoding="latin-1")
        return Response(body, content_type="application/x-www-form-urlencoded")

    # --- HTML -------------------------------------------------------------------------------

    def order_form(self, order: Order) -> str:
        values = order.values
        currency = CURRENCIES.get(values["PBX_DEVISE"], values["PBX_DEVISE"])
        amount = int(values["PBX_TOTAL"])
        shown = f"{amount // 100},{amount % 100:02d} {currency}"
        banner = "" if order.checked else (
            '<p class="warning">The form\'s HMAC was not checked: start the simulator with '
            "--hmac-key to check it as Paybox does.</p>")
        options = "".join(
            f'<option value="{code}">{code} — {html.escape(protocol.describe_code(code).label)}'
            "</option>" for code in OTHER_CODES)
        esc = html.escape
        return f"""{banner}
<dl>
  <dt>Amount</dt><dd id="amount">{esc(shown)}</dd>
  <dt>Reference</dt><dd id="reference">{esc(values["PBX_CMD"])}</dd>
  <dt>E-mail</dt><dd>{esc(values["PBX_PORTEUR"])}</dd>
  <dt>Merchant</dt><dd>{esc(values["PBX_SITE"])} / {esc(values["PBX_RANG"])}</dd>
</dl>
<form method="post" action="/answer/{esc(order.token)}">
  <p><label><input type="checkbox" name="lose_ipn" value="1">
    Lose the server notification (to train reconciliation)</label></p>
  <p>
    <button type="submit" name="code" value="00000" id="pay">Pay</button>
    <button type="submit" name="code" value="00151" id="refuse">
      Refuse (insufficient funds)</button>
    <button type="submit" name="code" value="00001" id="cancel">Cancel</button>
  </p>
</form>
<form method="post" action="/answer/{esc(order.token)}">
  <p><label>Other answer <select name="code" id="other">{options}</select></label>
  <button type="submit" id="send-other">Send</button></p>
</form>"""

    @staticmethod
    def page(title: str, body: str, status: int = 200) -> Response:
        document = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>
body {{ font-family: sans-serif; max-width: 32rem; margin: 2rem auto; padding: 0 1rem; }}
.warning {{ background: #fff3cd; border: 1px solid #e0b000; padding: .5rem; }}
dt {{ font-weight: bold; }} button {{ margin: .25rem; padding: .5rem 1rem; }}
header {{ color: #555; border-bottom: 1px solid #ccc; margin-bottom: 1rem; }}
</style></head>
<body><header>Paybox simulator — no real money</header>
<h1>{html.escape(title)}</h1>
{body}
</body></html>"""
        return Response(document, status=status, content_type="text/html; charset=utf-8")
