"""Domain errors: specific classes with the fields a caller needs to explain them."""

from __future__ import annotations


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


class UnknownId(DomainError):
    """A catalog id that does not exist; carries close matches to suggest."""

    def __init__(self, kind: str, given: str, suggestions: list[str], *, field: tuple[str | int, ...] = ()) -> None:
        hint = f"; did you mean {', '.join(repr(s) for s in suggestions)}?" if suggestions else ""
        super().__init__(f"unknown {kind} id {given!r}{hint}", field=field)
        self.kind = kind
        self.given = given
        self.suggestions = suggestions
