"""The core's message catalogs (``<locale>/LC_MESSAGES/messages.po`` and the compiled ``.mo``,
both committed: the ``.mo`` files are package data). Source strings are English; French is the
default language and must stay complete, and so must Ukrainian; English needs no translation.

After changing user-visible strings, from the repository root::

    uv run pybabel extract -F core/src/regie/translations/babel.cfg -k _l -k lazy_gettext \\
        --no-location --sort-output --omit-header \\
        -o core/src/regie/translations/messages.pot core/src/regie
    uv run pybabel update -i core/src/regie/translations/messages.pot \\
        -d core/src/regie/translations --no-fuzzy-matching --ignore-obsolete
    # translate the new entries of fr/ and uk/ (msgstr ""), then:
    uv run pybabel compile -d core/src/regie/translations --statistics

``tests/core/test_i18n.py`` fails when a message lacks its French or Ukrainian translation or
when a ``.mo`` file is older than its ``.po``. A plugin ships its own catalogs in a
``translations`` folder of its package, with the same layout; the web app loads them too.
"""

from __future__ import annotations

from pathlib import Path

DIRECTORY = Path(__file__).resolve().parent
#: The core package, whose Python modules and templates hold the messages.
SOURCES = DIRECTORY.parent
METHOD_MAP_FILE = DIRECTORY / "babel.cfg"
KEYWORDS = ("_l", "lazy_gettext")
