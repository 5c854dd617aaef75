"""User-written texts (mail subjects and bodies, letters) rendered by a Jinja2 sandbox that sees
plain data only.

Templates read dict keys and list items, nothing else: no attribute, no method of any object
(``{{ ''.__class__ }}``, ``{{ name.upper() }}`` are refused), loops are bounded, and an unknown
placeholder is an error rather than an empty string. Every problem becomes a
:class:`TemplateProblem` naming the field and the line, for the editor to show.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, Undefined
from jinja2.exceptions import SecurityError, TemplateError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

from regie.i18n import gettext as _

#: Longest loop a template may run (``range``), to keep a preview from hanging a worker.
MAX_RANGE = 1000
TEMPLATE_FILENAME = "<template>"


class TemplateProblem(Exception):
    """A template that cannot be used: ``field`` (subject, text_body …), ``line`` (1-based,
    or ``None``) and a message for the person who wrote it."""

    def __init__(self, field: str, message: str, line: int | None = None) -> None:
        self.field = field
        self.line = line
        self.message = message
        super().__init__(self.describe())

    def describe(self) -> str:
        if self.line is None:
            return self.message
        return _("line %(line)d: %(problem)s", line=self.line, problem=self.message)


class _MissingPlaceholder(StrictUndefined):
    """An unknown placeholder, reported in words the template's author understands."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        if self._undefined_hint:
            return self._undefined_hint
        return _("'%(name)s' is not a placeholder of this document", name=self._undefined_name)


class PlainDataSandbox(SandboxedEnvironment):
    """A sandbox in which only mappings (by key) and sequences (by index) can be looked into."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Undefined):
            obj._fail_with_undefined_error()  # the error the first lookup deferred
        if isinstance(obj, Mapping):
            if attribute in obj:
                return obj[attribute]
            return self.undefined(obj=obj, name=attribute, hint=_(
                "'%(name)s' is not a placeholder of this document", name=attribute))
        return self._outside(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, Undefined):
            obj._fail_with_undefined_error()
        if isinstance(obj, Mapping):
            return self.getattr(obj, argument)
        if isinstance(obj, Sequence) and not isinstance(obj, str) and isinstance(argument, int):
            try:
                return obj[argument]
            except IndexError:
                return self.undefined(obj=obj, name=argument)
        return self._outside(obj, argument)

    def _outside(self, obj: Any, name: Any) -> Undefined:
        return self.undefined(
            _("'%(name)s' of a %(type)s is outside the template's data: templates read "
              "placeholders only", name=name, type=type(obj).__name__),
            obj=obj, name=name, exc=SecurityError)


def _bounded_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise SecurityError(_("a loop of more than %(max)d turns is not allowed", max=MAX_RANGE))
    return numbers


def _environment(autoescape: bool) -> PlainDataSandbox:
    environment = PlainDataSandbox(autoescape=autoescape, undefined=_MissingPlaceholder,
                                   keep_trailing_newline=True)
    environment.globals = {"range": _bounded_range}
    return environment


TEXT = _environment(autoescape=False)
HTML = _environment(autoescape=True)


@functools.lru_cache(maxsize=512)
def _compile(source: str, html: bool):
    return (HTML if html else TEXT).from_string(source)


def compile_template(field: str, source: str, *, html: bool = False):
    """The compiled template; :class:`TemplateProblem` with the line of a syntax error."""
    try:
        return _compile(source, html)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(field, _("syntax error: %(problem)s", problem=exc.message),
                              exc.lineno) from None


def render_text(field: str, source: str, data: Mapping[str, Any], *, html: bool = False) -> str:
    """``source`` rendered over ``data`` (plain dicts, lists, strings, numbers)."""
    template = compile_template(field, source, html=html)
    try:
        return template.render(data)
    except SecurityError as exc:
        raise TemplateProblem(field, str(exc), _template_line(exc)) from None
    except UndefinedError as exc:
        raise TemplateProblem(field, str(exc), _template_line(exc)) from None
    except TemplateError as exc:
        raise TemplateProblem(field, str(exc), _template_line(exc)) from None
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise TemplateProblem(field, _("cannot be computed: %(reason)s", reason=str(exc)),
                              _template_line(exc)) from None


def _template_line(exc: BaseException) -> int | None:
    """The template line the error was raised at (Jinja maps its frames to template lines)."""
    line = None
    traceback = exc.__traceback__
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == TEMPLATE_FILENAME:
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line
