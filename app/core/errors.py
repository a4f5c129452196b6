"""Domain errors: specific classes with the fields a caller needs to explain them."""

from __future__ import annotations

import re


class DomainError(ValueError):
    """A scenario the model cannot evaluate; `field` names the input that caused it."""

    def __init__(self, message: str, *, field: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message


class DoesNotFit(DomainError):
    """The model's weights (plus minimal KV cache) exceed the GPUs' usable memory."""

    def __init__(
        self, *, required_gib: float, available_gib: float, detail: str, field: tuple[str | int, ...] = ()
    ) -> None:
        super().__init__(detail, field=field)
        self.required_gib = required_gib
        self.available_gib = available_gib


def _same_id(a: str, b: str) -> bool:
    """Ids a reader cannot tell apart: equal but for case, spaces, "_" and "-" (as the catalog matches them)."""
    return re.sub(r"[-_\s]+", "-", a.strip().casefold()) == re.sub(r"[-_\s]+", "-", b.strip().casefold())


class UnknownId(DomainError):
    """A catalog id that does not exist; carries close matches to suggest, never the id itself (issue 16:
    "did you mean 'llama-3.3-70b'?" for 'llama-3.3-70b' tells the reader nothing)."""

    def __init__(self, kind: str, given: str, suggestions: list[str], *, field: tuple[str | int, ...] = ()) -> None:
        suggestions = [s for s in suggestions if not _same_id(s, given)]
        hint = f"; did you mean {', '.join(repr(s) for s in suggestions)}?" if suggestions else ""
        super().__init__(f"unknown {kind} id {given!r}{hint}", field=field)
        self.kind = kind
        self.given = given
        self.suggestions = suggestions
