"""Text for printers that know one 8-bit code page (cp866 on Ukrainian dot-matrix printers,
cp858 on many receipt printers): every character is printed as itself, as a look-alike, or
transliterated — never as mojibake, never lost silently as ``?`` when a reading exists."""

from __future__ import annotations

import codecs
import functools

from anyascii import anyascii

#: Replacements tried before ASCII transliteration: they keep the text in its own script
#: (Ukrainian і and ї are missing from cp866, Latin i prints the same glyph).
LOOKALIKES = {
    "і": "i", "І": "I", "ґ": "г", "Ґ": "Г",
    "₴": "грн", "€": "EUR", "№": "No",
    "\u202f": " ", "\u2009": " ", "\u00a0": " ",
    "‘": "'", "’": "'", "ʼ": "'", "“": '"', "”": '"', "«": '"', "»": '"',
    "–": "-", "—": "-", "…": "...", "×": "x",
}


class CodePage:
    """``printable(text)`` keeps only characters ``encoding`` has; ``encode(text)`` gives the
    printer's bytes. Unknown encodings are refused at construction with a clear message."""

    def __init__(self, encoding: str) -> None:
        try:
            self.encoding = codecs.lookup(encoding).name
        except LookupError:
            raise ValueError(f"unknown code page {encoding!r} (try cp866, cp1125, cp858, "
                             "cp437, utf-8)") from None
        self._cache: dict[str, str] = {}

    def printable(self, text: str) -> str:
        return "".join(self._char(char) for char in text)

    def encode(self, text: str) -> bytes:
        return self.printable(text).encode(self.encoding)

    def _char(self, char: str) -> str:
        cached = self._cache.get(char)
        if cached is None:
            cached = self._cache[char] = self._convert(char)
        return cached

    def _convert(self, char: str, depth: int = 0) -> str:
        if self._encodable(char):
            return char
        if char in LOOKALIKES and depth < 2:
            return "".join(self._convert(part, depth + 1) for part in LOOKALIKES[char])
        ascii_text = anyascii(char)
        if ascii_text and all(self._encodable(part) for part in ascii_text):
            return ascii_text
        return "?" if self._encodable("?") else ""

    def _encodable(self, char: str) -> bool:
        try:
            char.encode(self.encoding)
        except UnicodeEncodeError:
            return False
        return True


@functools.lru_cache(maxsize=16)
def code_page(encoding: str) -> CodePage:
    return CodePage(encoding)
