"""Errors services raise for the web and the CLI to show; their message is for the user."""


class Veto(Exception):
    """Raised by a service or a precommit hook to refuse an operation; nothing is changed."""


class NotFound(Exception):
    """The named record does not exist (in this establishment)."""


class Invalid(Exception):
    """Input that cannot be accepted; ``errors`` maps each field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
