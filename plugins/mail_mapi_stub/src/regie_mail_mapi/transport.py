"""Writing messages as ``.eml`` files (RFC 5322) into a folder.

A file is named after the message's Message-ID, so a message written again by a retry replaces
its file instead of making a second one. It is written under a temporary name and renamed, so a
mail client watching the folder never opens half a message. Drafts carry ``X-Unsent: 1``, which
Outlook and Thunderbird open as a new message to edit and send.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Any

from regie.api import CheckResult, DeliveryResult, OutgoingMail
from regie.api import gettext as _

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class EmlFolderTransport:
    """The ``mapi`` transport of one establishment (see :class:`regie.api.Transport`)."""

    def __init__(self, folder: str, *, drafts: bool = False) -> None:
        self.folder = Path(folder).expanduser() if folder else None
        self.drafts = drafts

    @classmethod
    def from_settings(cls, values: Mapping[str, Any]) -> EmlFolderTransport:
        return cls(str(values.get("folder") or "").strip(),
                   drafts=bool(values.get("show_before_sending")))

    def send(self, mails: Sequence[OutgoingMail]) -> list[DeliveryResult]:
        problem = self.folder_problem()
        if problem:
            return [DeliveryResult.failed(mail.key, problem) for mail in mails]
        results = []
        for mail in mails:
            try:
                self.write(mail)
            except OSError as exc:
                results.append(DeliveryResult.failed(mail.key, _(
                    "Cannot write the message into %(folder)s: %(error)s", folder=self.folder,
                    error=exc.strerror or str(exc))))
            else:
                results.append(DeliveryResult.sent(mail.key))
        return results

    def check(self, mail: OutgoingMail) -> CheckResult:
        problem = self.folder_problem()
        if problem:
            return CheckResult(False, "folder", problem)
        try:
            path = self.write(mail)
        except OSError as exc:
            return CheckResult(False, "folder", _(
                "Cannot write the message into %(folder)s: %(error)s", folder=self.folder,
                error=exc.strerror or str(exc)))
        return CheckResult(True, "delivered", _(
            "A test message was written to %(path)s: open it with the mail client.", path=path))

    def folder_problem(self) -> str | None:
        """Why messages cannot be written into the folder, or ``None``."""
        if self.folder is None:
            return _("No folder is set: enter the folder the mail client opens in the Desktop "
                     "mail client settings.")
        if not self.folder.exists():
            return _("The folder %(folder)s does not exist on the Régie server: create it or "
                     "choose another one.", folder=self.folder)
        if not self.folder.is_dir():
            return _("%(folder)s is a file, not a folder.", folder=self.folder)
        try:
            with tempfile.TemporaryFile(dir=self.folder):
                pass
        except OSError as exc:
            return _("Régie may not write into %(folder)s (%(error)s): give the account Régie "
                     "runs as the right to write there, or choose another folder.",
                     folder=self.folder, error=exc.strerror or str(exc))
        return None

    def write(self, mail: OutgoingMail) -> Path:
        message = self._prepared(mail.message)
        target = self.folder / self.filename(mail)
        handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".part")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(message.as_bytes(policy=SMTP))
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return target

    def filename(self, mail: OutgoingMail) -> str:
        identifier = _UNSAFE.sub("_", str(mail.message.get("Message-ID", mail.key)).strip("<>"))
        return f"{'draft' if self.drafts else 'mail'}-{identifier}.eml"

    def _prepared(self, message: EmailMessage) -> EmailMessage:
        if self.drafts and "X-Unsent" not in message:
            message["X-Unsent"] = "1"
        return message
