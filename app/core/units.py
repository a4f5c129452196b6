"""Unit conventions shared by the whole model.

Money is USD. A month is 730 hours (8,760 h / 12). Prices are displayed per million tokens
("Mtok") and used per token inside the model. Memory is in GiB (an "80 GB" H100 has 80 GiB),
bandwidth in decimal TB/s and compute in dense (not 2:4-sparse) FLOP/s.
"""

from __future__ import annotations

from typing import Literal

HOURS_PER_MONTH = 730.0
SECONDS_PER_HOUR = 3600.0
SECONDS_PER_MONTH = HOURS_PER_MONTH * SECONDS_PER_HOUR
MONTHS_PER_YEAR = 12
TOKENS_PER_MTOK = 1_000_000.0
GIB = 1024**3
GB = 1e9
TERA = 1e12

Precision = Literal["fp32", "bf16", "fp16", "fp8", "int8", "fp4", "int4"]
PRECISIONS: tuple[Precision, ...] = ("fp32", "bf16", "fp16", "fp8", "int8", "fp4", "int4")

# Bytes per stored element. FP4/INT4 carry block scales (MXFP4: one 8-bit scale per 32 values),
# so they cost slightly more than half a byte.
BYTES_PER_ELEMENT: dict[Precision, float] = {
    "fp32": 4.0,
    "bf16": 2.0,
    "fp16": 2.0,
    "fp8": 1.0,
    "int8": 1.0,
    "fp4": 0.5 + 1 / 32,
    "int4": 0.5 + 1 / 32,
}
