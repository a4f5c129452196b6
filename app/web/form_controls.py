"""The form's controls as HTML: a labelled text field, a labelled menu and a field's message, written in
Python because a page view draws about sixty of them.

They were Jinja macros (templates/_macros.html, which now calls these), and a macro call costs Jinja's
argument binding and a sub-render each time: the RAG preset's template took ~4.4 ms with them and ~2.7 ms
with these (docs/performance.md, 2026-11-26). The HTML is byte for byte what the macros wrote, their whitespace
included (bench/profile_page_view.py --snapshot compares pages across a change). Every control's id is
"f-<query key>" and its message "e-<query key>", so the page's script and the error summary find them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from markupsafe import Markup, escape

from app.render.menus import Menu
from app.web.form_fields import field_spec
from app.web.forms import FormState


@dataclass(frozen=True)
class _FieldText:
    """A field's fixed words, escaped once: its label, unit, help line and default (app/web/form_fields.py)."""

    label: str
    unit: str
    help: str
    default: str


@functools.lru_cache(maxsize=4096)  # one entry per control key: ~60 a row kind, a few rows a form
def _field_text(key: str) -> _FieldText:
    spec = field_spec(key)
    return _FieldText(escape(spec.form_label), escape(spec.unit), escape(spec.help), escape(spec.display_default))


@functools.lru_cache(maxsize=4096)
def _default_of(key: str) -> str:
    """The escaped default a control resets to (`data-default`); "" for a key outside the field tables."""
    try:
        return _field_text(key).default
    except KeyError:
        return ""


def message(state: FormState, key: str) -> Markup:
    """The line under a control that says which rule its value breaks (empty while it breaks none)."""
    k = escape(key)
    return Markup(f'<p class="error" id="e-{k}" data-error="{k}">{escape(state.error(key) or "")}</p>')  # noqa: S704


@dataclass(frozen=True)
class _Frame:
    """A control's HTML, fixed for its key, words and attributes, around what a view fills in: " has-error"
    after `opening` where its value breaks a rule, the typed value after `labelled`, ' aria-invalid="true"'
    after `valued`, a <select>'s options after `opened`, the message after `described`."""

    opening: str
    labelled: str
    valued: str
    opened: str
    described: str
    closing: str

    def fill(self, state: FormState, key: str, value: str = "", options: str = "") -> Markup:
        """`value` and `options`: escaped HTML."""
        error = state.error(key)
        # Safe: the frame's parts are escaped where they are built, the caller escapes `value` and `options`.
        if not error:
            return Markup(  # noqa: S704
                f"{self.opening}{self.labelled}{value}{self.valued}{self.opened}{options}{self.described}{self.closing}"
            )
        return Markup(  # noqa: S704
            f'{self.opening} has-error{self.labelled}{value}{self.valued} aria-invalid="true"{self.opened}{options}'
            f"{self.described}{escape(error)}{self.closing}"
        )


@functools.lru_cache(maxsize=4096)  # a control's shape: its key, words and attributes (a few hundred a catalog)
def _input_frame(
    key: str,
    label: str,
    unit: str,
    help_text: str,
    placeholder: str | None,
    inputmode: str | None,
    cls: str,
    datalist: str | None,
    required: bool,
) -> _Frame:
    """The text field's HTML, as the old `input` macro wrote it (its whitespace included); the words
    (`label`, `unit`, `help_text`) come escaped."""
    k = escape(key)
    unit_html = f' <span class="unit">{unit}</span>' if unit else ""
    star = ' <span class="req" aria-hidden="true">*</span>' if required else ""
    attributes = "".join(
        (
            f' inputmode="{escape(inputmode)}"' if inputmode else "",
            f' placeholder="{escape(placeholder)}"' if placeholder else "",
            f' list="{escape(datalist)}"' if datalist else "",
            ' aria-required="true"' if required else "",
        )
    )
    help_html = f'<p class="help" id="h-{k}">{help_text}</p>' if help_text else ""
    return _Frame(
        opening=f'<div class="field {escape(cls)}',
        labelled=f'">\n  <label for="f-{k}">{label}{unit_html}{star}</label>\n'
        f'  <input id="f-{k}" name="{k}" type="text" value="',
        valued=f'"{attributes}\n    data-default="{_default_of(key)}" autocomplete="off" spellcheck="false" '
        f'aria-describedby="{f"h-{k} " if help_text else ""}e-{k}"',
        opened=f">\n  {help_html}\n  ",
        described=f'<p class="error" id="e-{k}" data-error="{k}">',
        closing="</p>\n  \n</div>",
    )


def text_input(
    state: FormState,
    key: str,
    label: str,
    unit: str = "",
    help_text: str = "",
    placeholder: str | None = "",
    inputmode: str | None = "decimal",
    cls: str = "",
    datalist: str | None = None,
    required: bool = False,
) -> Markup:
    """A labelled text field (the old `input` macro): `unit` after the label, `help_text` under it,
    `datalist` the id of the <datalist> it suggests from."""
    frame = _input_frame(
        key, escape(label), escape(unit), escape(help_text), placeholder, inputmode, cls, datalist, required
    )
    return frame.fill(state, key, escape(state.value(key)))


def field(
    state: FormState,
    key: str,
    placeholder: str | None = "",
    inputmode: str | None = "decimal",
    cls: str = "",
    datalist: str | None = None,
    required: bool = False,
) -> Markup:
    """A text field labelled from the field table (app/web/form_fields.py): label, unit and help written there once."""
    text = _field_text(key)
    frame = _input_frame(key, text.label, text.unit, text.help, placeholder, inputmode, cls, datalist, required)
    return frame.fill(state, key, escape(state.value(key)))


@functools.lru_cache(maxsize=4096)
def _select_frame(key: str, label: str, help_text: str, cls: str, reset: str) -> _Frame:
    """The <select>'s HTML, as the old `select` macro wrote it (its whitespace included); `label`,
    `help_text` and `reset` (the value it resets to) come escaped."""
    k = escape(key)
    help_html = f'<p class="help" id="h-{k}">{help_text}</p>' if help_text else ""
    return _Frame(
        opening=f'\n<div class="field {escape(cls)}',
        labelled=f'">\n  <label for="f-{k}">{label}</label>\n'
        f'  <select id="f-{k}" name="{k}" data-default="{reset}" '
        f'aria-describedby="{f"h-{k} " if help_text else ""}e-{k}"',
        valued="",
        opened=">\n    ",
        described=f'\n  {help_html}\n  <p class="error" id="e-{k}" data-error="{k}">',
        closing="</p>\n</div>",
    )


def _options(menu: Menu, current: str, blank: str | None) -> str:
    """The <select>'s options: `blank` first (selected while nothing is chosen), the menu's, and a
    `current` value the menu lacks apart, as "not in the catalog"."""
    blank_html = "" if blank is None else f'<option value=""{"" if current else " selected"}>{escape(blank)}</option>'
    options = menu.options_selecting(current)
    missing = (
        ""
        if options.found
        else f'<option value="{escape(current)}" selected>{escape(current)} (not in the catalog)</option>'
    )
    return f"{blank_html}\n    \n    {options.html}\n    {missing}\n  </select>"


def choice(
    state: FormState, key: str, menu: Menu, blank: str | None = None, cls: str = "", default: str | None = None
) -> Markup:
    """A <select> labelled from the field table, as `field` is."""
    text = _field_text(key)
    reset = escape(default) if default is not None else _default_of(key)
    return _select(_select_frame(key, text.label, text.help, cls, reset), state, key, menu, blank)


def _select(frame: _Frame, state: FormState, key: str, menu: Menu, blank: str | None) -> Markup:
    return frame.fill(state, key, options=_options(menu, state.value(key), blank))
