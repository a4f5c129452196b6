"""The form's numbers: written exactly and plainly (so a permalink reads back to the same value), read
leniently (`3,000,000`, `3M`, `2.5k`, `$2.50`, `30%`), and bounded before any arithmetic."""

from __future__ import annotations

import math
import re
from decimal import Context, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.web.form_fields import FieldSpec

_MULTIPLIERS = {"k": Decimal(10) ** 3, "m": Decimal(10) ** 6, "b": Decimal(10) ** 9, "bn": Decimal(10) ** 9}
_MULTIPLIERS["t"] = Decimal(10) ** 12
_NUMBER_NOISE = re.compile(r"[\s,_$%]")
_SUFFIX = re.compile(r"^(?P<number>.*?\d\.?)(?P<suffix>k|m|bn|b|t)$")


def format_number(value: float | int) -> str:
    """Shortest exact text for a number: integers without a decimal point, others as repr."""
    if isinstance(value, int):
        return str(value)
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def format_percent(fraction: float) -> str:
    """A fraction as an exact percentage: 0.3 → "30", 0.125 → "12.5"."""
    percent = Decimal(repr(float(fraction))) * 100
    text = format(percent.normalize(), "f")
    return "0" if text in ("-0", "0") else text


class InputError(ValueError):
    """A field whose text cannot be read as what the field holds."""


# Bounds on what a number field reads, checked on the text's exponent BEFORE any arithmetic: Python's
# Decimal parses "1e999999" in microseconds, but multiplying it by a suffix overflows the context and
# int() of it builds a million-digit integer (24 s holding the GIL; issue 12). No field holds more than
# ~1e16 (tokens per month), so 1e30 leaves room; a smaller magnitude than float's (5e-324) reads as 0.
MAX_MAGNITUDE_EXPONENT = 30
MIN_MAGNITUDE_EXPONENT = -330
# After the noise (",", "_", "$", "%", spaces) is removed. Any float written plainly fits (format_percent
# of 5e-324 is 326 characters); beyond, a digit string is an attack, not a number.
MAX_NUMBER_CHARS = 400
_NUMBER_CONTEXT = Context(prec=60, Emax=MAX_MAGNITUDE_EXPONENT + 30, Emin=MIN_MAGNITUDE_EXPONENT - 30)
_SUFFIX_EXPONENT = {"k": 3, "m": 6, "b": 9, "bn": 9, "t": 12}


def parse_decimal(text: str) -> Decimal:
    """A number's text read leniently; raises InputError naming the rule it breaks.

    Never does arithmetic on an unchecked exponent: the magnitude is bounded first (see
    MAX_MAGNITUDE_EXPONENT), so every value returned converts to a finite float and a small int."""
    cleaned = _NUMBER_NOISE.sub("", text).lower()
    if len(cleaned) > MAX_NUMBER_CHARS:
        raise InputError(f"must be a number of at most {MAX_NUMBER_CHARS} characters")
    suffix_exponent = 0
    match = _SUFFIX.match(cleaned)
    if match:
        cleaned, suffix_exponent = match["number"], _SUFFIX_EXPONENT[match["suffix"]]
    try:
        number = Decimal(cleaned)  # exact, whatever the exponent: no context, no rounding
    except (InvalidOperation, ValueError):
        raise InputError("must be a number, like 3,000,000 or 3M") from None
    if not number.is_finite():
        raise InputError("must be a finite number")
    if number.is_zero():
        return Decimal(0)  # "-0" and "0e-999999" are 0
    magnitude = number.adjusted() + suffix_exponent  # the power of ten of the leading digit
    if magnitude >= MAX_MAGNITUDE_EXPONENT:
        raise InputError(f"is too large: must be between -1e{MAX_MAGNITUDE_EXPONENT} and 1e{MAX_MAGNITUDE_EXPONENT}")
    if magnitude < MIN_MAGNITUDE_EXPONENT:
        return Decimal(0)  # below the smallest float: it reads as 0 anyway, and the field's rule speaks
    try:
        return _NUMBER_CONTEXT.multiply(number, _MULTIPLIERS[match["suffix"]]) if match else number
    except ArithmeticError:  # bounded above, so unreachable; a guard, not a path
        raise InputError("must be a number, like 3,000,000 or 3M") from None


def to_float(number: Decimal) -> float:
    try:
        value = float(number)
    except (ArithmeticError, ValueError):
        raise InputError("must be a finite number") from None
    if not math.isfinite(value):
        raise InputError("is too large")
    return value


def parse_value(spec: FieldSpec, text: str) -> Any:
    """The typed value of one field's text; raises InputError with the rule it breaks."""
    if spec.kind in ("text",):
        return text
    if spec.kind == "id":
        return text.strip()
    if spec.kind == "choice":
        value = text.strip()
        if spec.choices and value not in spec.choices:
            raise InputError(f"must be one of {', '.join(spec.choices)}")
        return value
    if spec.kind == "gpu_count" and text.strip().lower() == "auto":
        return "auto"
    number = parse_decimal(text)
    if spec.kind == "percent":
        return to_float(number / 100)
    if spec.kind in ("int", "gpu_count"):
        return to_int(number)
    return to_float(number)


def to_int(number: Decimal) -> int:
    """A whole number's int; the magnitude is bounded by parse_decimal, so int() is cheap."""
    if number != number.to_integral_value(context=_NUMBER_CONTEXT):
        raise InputError("must be a whole number")
    return int(number)
