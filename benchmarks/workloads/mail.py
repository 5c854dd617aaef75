"""mail: receipts rendered to PDF and mailed to a local SMTP server (aiosmtpd, its own process).

Régie does what a batch of receipts by mail does in production: render each 80 mm receipt,
store it as a document, fill in the establishment's receipt template (sandboxed Jinja2), queue
the mail in the outbox (address checks, size limit, the test-mail rule), then the outbox sender
claims the messages, composes them and delivers them in batches over one SMTP connection each,
recording every result. The baseline renders the same PDFs with the same reportlab drawing
code (the renderer's own speed against a bare canvas is the receipt-pdf workload), formats the
same text with ``str.format``, gives each message the headers every mail needs (From, To,
Subject, Date, Message-ID) and sends it with smtplib over one connection, storing nothing. The
ratio is the baseline's time ÷ Régie's (target ≥ 0.7): the cost of keeping every mail durable,
templated and accounted for.
"""

from __future__ import annotations

import multiprocessing
import smtplib
import time
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import attrs

from benchmarks.instance import Instance
from benchmarks.workloads import BatchWorkload, receipt_pdf
from regie.documents import ReceiptData, render_roll_receipt
from regie.services import documents, establishments
from regie.services.mail import checks, outbox, placeholders, receipts, templates
from regie.testing.smtp import free_port

RECEIPTS = 1000
#: Receipts queued per transaction (an end-of-day batch commits as it goes).
CHUNK = 100
SENDER = "caisse@brico.example"


class CountingServer:
    """aiosmtpd in its own process (as a local relay is), counting the messages it accepts."""

    def __init__(self) -> None:
        self.host, self.port = "127.0.0.1", free_port()
        self._count = multiprocessing.Value("i", 0)
        ready = multiprocessing.Event()
        self._process = multiprocessing.Process(
            target=_serve, args=(self.host, self.port, self._count, ready), daemon=True)
        self._process.start()
        if not ready.wait(30):
            raise RuntimeError("the benchmark's SMTP server did not start")

    def clear(self) -> None:
        with self._count.get_lock():
            self._count.value = 0

    def wait_for(self, count: int, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while self._count.value < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self._count.value


def _serve(host: str, port: int, count, ready) -> None:
    from aiosmtpd.controller import Controller

    class Counter:
        async def handle_DATA(self, _server, _session, _envelope):
            with count.get_lock():
                count.value += 1
            return "250 Message accepted for delivery"

    controller = Controller(Counter(), hostname=host, port=port)
    controller.start()
    ready.set()
    while True:
        time.sleep(3600)


@attrs.frozen
class Prepared:
    receipts: list[ReceiptData]
    server: CountingServer


def prepare(instance: Instance) -> Prepared:
    """A shop whose mail goes to a local SMTP server (no TLS, as a relay on the same host),
    its test mail passed, and ``RECEIPTS`` receipts (the receipt-pdf ones, repeated)."""
    server = CountingServer()
    base = receipt_pdf.prepare(instance)
    runtime = instance.runtime
    with runtime.db.transaction() as session:
        shop = establishments.by_slug(session, "brico")
        establishments.enable_plugin(session, runtime.engine, shop, "mail_smtp", {
            "host": server.host, "port": server.port, "security": "none",
            "sender_name": "BRICO", "sender_address": SENDER})
    with runtime.db.session() as session:
        shop = establishments.by_slug(session, "brico")
    result = checks.send_test(runtime, shop, "owner@brico.example")
    if not result.ok:
        raise RuntimeError(f"the benchmark's SMTP server refused the test mail: {result.message}")
    chosen = [attrs.evolve(base[index % len(base)], receipt_number=index + 1)
              for index in range(RECEIPTS)]
    return Prepared(chosen, server)


def _address(data: ReceiptData) -> str:
    return f"client{data.receipt_number}@example.org"


def regie(instance: Instance, prepared: Prepared) -> None:
    runtime = instance.runtime
    prepared.server.clear()
    with runtime.db.session() as session:
        shop = establishments.by_slug(session, "brico")
        kind = placeholders.document_type(runtime.engine, "receipt")
        fields = templates.current_fields(session, shop, kind)
    for start in range(0, len(prepared.receipts), CHUNK):
        with runtime.db.transaction() as session:
            for data in prepared.receipts[start:start + CHUNK]:
                filename, content_type, content = render_roll_receipt(data)
                document = documents.store(
                    session, shop, kind="receipt", filename=filename,
                    content_type=content_type, content=content, record_type="receipt",
                    record_id=data.receipt_number, permission="payments.view")
                rendered = templates.render(fields, receipts.template_data(data, shop),
                                            label=str(kind.label))
                outbox.queue(session, runtime, shop, to=_address(data),
                             subject=rendered.subject, text=rendered.text,
                             attachments=[document], document_type="receipt",
                             record=f"receipt:{data.receipt_number}")
    report = outbox.send_due(runtime)
    _check(prepared, report.sent)


def baseline(instance: Instance, prepared: Prepared) -> None:
    prepared.server.clear()
    text = ("Hello,\n\nPlease find attached your receipt no. {number} of {date}, for {total}."
            "\n\nBest regards,\n{name}\n")
    with smtplib.SMTP(prepared.server.host, prepared.server.port) as connection:
        for data in prepared.receipts:
            message = EmailMessage()
            message["From"] = f"BRICO <{SENDER}>"
            message["To"] = _address(data)
            message["Subject"] = f"{data.establishment_name} - Receipt"
            message["Date"] = formatdate()
            message["Message-ID"] = make_msgid(domain="brico.example")
            message.set_content(text.format(number=data.number_text, date=data.date_text,
                                            total=data.money(data.total),
                                            name=data.establishment_name))
            filename, _content_type, content = render_roll_receipt(data)
            message.add_attachment(content, maintype="application", subtype="pdf",
                                   filename=filename)
            connection.send_message(message)
    _check(prepared, len(prepared.receipts))


def _check(prepared: Prepared, sent: int) -> None:
    received = prepared.server.wait_for(len(prepared.receipts), timeout=60)
    if sent != len(prepared.receipts) or received != len(prepared.receipts):
        raise RuntimeError(f"{sent} sent, {received} received of {len(prepared.receipts)}")


WORKLOAD = BatchWorkload(
    description=f"{RECEIPTS} receipts rendered to PDF, stored, templated, queued in the outbox "
                "and sent to a local SMTP server, against the same PDFs sent by smtplib on one "
                "connection",
    prepare=prepare,
    regie=regie,
    baseline=baseline,
)
