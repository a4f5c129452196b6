"""The one set of display formatters: every figure a person reads (the page, its sentences, the JSON's
`explanation`, the charts' labels) goes through these, so the same amount reads the same everywhere.

Rounded for display only; never scientific notation (a finance lead reads "$0.0000941", not
"$9.41e-05"). A missing or non-finite figure reads "–". Negative amounts and volumes take a real
minus sign ("−$5.00"), which is what the page has always shown for a negative saving; `number`
keeps the hyphen of the figures in formulas.

Not here: app/web/forms.py's `format_number`, which writes form values exactly for permalinks.
"""

from __future__ import annotations

import math

MISSING = "–"
MINUS = "−"

# Compact suffixes, largest first. Above the largest the count of trillions takes thousands
# separators ("1,000T", "25,000T") rather than growing a suffix nobody reads at a glance.
_UNITS = ((1.0, ""), (1e3, "k"), (1e6, "M"), (1e9, "B"), (1e12, "T"))


def _fixed(value: float, significant: int) -> str:
    """A positive value below 1 to `significant` figures in plain decimals (no exponent)."""
    decimals = significant - 1 - math.floor(math.log10(value))
    return f"{value:.{decimals}f}"


def money(value: float | None) -> str:
    """US dollars: whole dollars at $100 and above ("$1,460"), cents from $1 ("$12.34"), three
    significant figures below a dollar, with at least two decimals ("$0.25", "$0.0123",
    "$0.0000941"); zero is "$0.00". The cost table, the sentences and the charts all use it, so a
    per-request cost reads the same in each."""
    if value is None or not math.isfinite(value):
        return MISSING
    sign = MINUS if value < 0 else ""
    value = abs(value)
    if value >= 99.995:  # what would round to "$100.00" reads "$100"
        return f"{sign}${value:,.0f}"
    if value >= 0.9995 or value == 0:  # what would round to "$1.00" reads with cents
        return f"{sign}${value:,.2f}"
    text = _fixed(value, 3)
    # Not "$0.250" for a quarter, but not "$0.5" for half a dollar either.
    text = text.rstrip("0").ljust(4, "0")
    return f"{sign}${text}"


def money_per_request(value: float | None) -> str:
    """A cost per request in a sentence: `money`'s rule, then " per request" ("$0.0000941 per request")."""
    return f"{money(value)} per request"


def entered_price(value: float) -> str:
    """A price as the user or the catalog gave it, to the cent or finer, not rounded to `money`'s
    whole dollars: "$2.95", "$1.2345", "$194.95", "$38,750"; below a dollar, `money` ("$0.0929")."""
    if value >= 1 and float(round(value, 2)) == value:
        text = f"{value:,.2f}"
        return "$" + (text[:-3] if text.endswith(".00") and value >= 100 else text)
    if value >= 1:
        return f"${value:,.4f}".rstrip("0")
    return money(value)


def price_per_mtok(value: float | None) -> str:
    """A price or cost per million tokens: `money`'s rule, then "/Mtok" ("$2.50/Mtok", "$0.0929/Mtok")."""
    return MISSING if value is None else f"{money(value)}/Mtok"


def volume(value: float | None) -> str:
    """A count at a glance (requests or tokens per month): two or three significant figures with a
    suffix, "591k", "1.6M", "25M", "2.5B", "1.2T"; a value that rounds up takes the next suffix
    ("1M", not "1000k"); beyond a thousand trillion, trillions with separators ("1,000T", "25,000T").
    Below 1000 the value itself ("750", "12.5"), below 1 two significant figures ("0.25")."""
    if value is None or not math.isfinite(value):
        return MISSING
    sign = MINUS if value < 0 else ""
    value = abs(value)
    if 0 < value < 1:
        return sign + _fixed(value, 2).rstrip("0").rstrip(".")  # "0.25"; 0.996 rounds to "1"
    index = max(i for i, (threshold, _) in enumerate(_UNITS) if value >= threshold or i == 0)
    while True:
        threshold, suffix = _UNITS[index]
        scaled = value / threshold
        if suffix:  # 1 decimal below 10 ("1.6M"), none above ("25M")
            text = f"{scaled:.1f}" if scaled < 10 else f"{scaled:,.0f}"
        else:
            text = f"{scaled:.0f}" if float(scaled).is_integer() else f"{scaled:.1f}"
        # What rounds to a thousand of one unit reads as one of the next: "1M", not "1000k".
        if float(text.replace(",", "")) >= 1000 and index + 1 < len(_UNITS):
            index += 1
            continue
        return sign + text.removesuffix(".0") + suffix


def money_compact(value: float | None) -> str:
    """US dollars at a glance, for an axis's labels: `volume`'s rule after the dollar sign ("$10", "$1k",
    "$2.5M", "$0.05")."""
    if value is None or not math.isfinite(value):
        return MISSING
    text = volume(value)
    return f"{MINUS}${text[1:]}" if text.startswith(MINUS) else f"${text}"


def tokens(value: float | None) -> str:
    """A token count at a glance: `volume`'s rule, then " tokens" ("1.5B tokens")."""
    return f"{volume(value)} tokens"


def number(value: float | None, decimals: int = 0) -> str:
    """A figure in a formula or a table, with thousands separators, to `decimals` decimals
    ("1,460,000", "0.62" with 2); a fraction below 10 shown with 0 decimals keeps three significant
    figures instead of rounding to a misleading whole number ("2.5", not "2")."""
    if value is None or not math.isfinite(value):
        return MISSING
    if decimals == 0 and abs(value) < 10 and not float(value).is_integer():
        if abs(value) < 1e-4:  # where "g" would turn to "1e-05"
            return ("-" if value < 0 else "") + _fixed(abs(value), 3).rstrip("0")
        return f"{value:,.3g}"
    return f"{value:,.{decimals}f}"


def percent(fraction: float | None) -> str:
    """A fraction as a percentage to at most two decimals, trailing zeros dropped: 0.25 → "25%",
    0.125 → "12.5%", 0.001234 → "0.12%"."""
    if fraction is None or not math.isfinite(fraction):
        return MISSING
    text = f"{fraction * 100:.2f}".rstrip("0").rstrip(".")
    return f"{text}%"


def plural(count: int, word: str) -> str:
    """A count and its noun, with an "s" unless it is one: "1 replica", "3 GPUs", "1,200 replicas"."""
    return f"{count:,} {word}{'' if count == 1 else 's'}"
