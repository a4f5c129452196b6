"""Usage exports → workload: the fixtures' figures worked by hand, streaming in any chunking, bad rows counted."""

from __future__ import annotations

import math
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.errors import DomainError
from app.scenario.inputs import WorkloadIn
from app.scenario.usage_formats import detect_format, normalize_column, parse_timestamp
from app.scenario.usage_import import (
    MAX_MODELS_TRACKED,
    MAX_RECORD_CHARS,
    OTHER_MODELS,
    ImportFailed,
    UsageImporter,
    UsageSummary,
)

FIXTURES = Path(__file__).parent / "fixtures" / "usage"


def load(name: str, chunk: int = 1 << 16, **options: object) -> UsageSummary:
    importer = UsageImporter(**options)  # type: ignore[arg-type]
    data = (FIXTURES / name).read_bytes()
    for start in range(0, len(data), chunk):
        importer.feed(data[start : start + chunk])
    return importer.finish()


def test_openai_hourly_buckets() -> None:
    # 2 days × 24 one-hour buckets: 100 requests/hour 00–07 UTC, 400 08–19, 200 20–23 → 6,400 a day.
    # Every request: 1,000 input tokens (400 cached) and 250 output tokens. 48 hours → × 730/48 per month.
    summary = load("openai_usage_1h.csv")
    assert summary.format == "openai"
    assert (summary.rows_total, summary.rows_used, summary.rows_rejected) == (48, 48, 0)
    assert summary.window_hours == pytest.approx(48)
    assert summary.requests_per_month == pytest.approx(12_800 * 730 / 48)
    assert summary.tokens_per_month == pytest.approx(12_800 * 1_250 * 730 / 48)
    assert summary.input_tokens_per_request == pytest.approx(1000)
    assert summary.output_tokens_per_request == pytest.approx(250)
    assert summary.cached_input_fraction == pytest.approx(0.4)
    assert summary.batchable_fraction == 0
    assert summary.hourly_profile is not None
    assert summary.hourly_profile[0] == pytest.approx(100 / (6400 / 24))
    assert summary.hourly_profile[8] == pytest.approx(400 / (6400 / 24))
    assert summary.peak_to_average == pytest.approx(1.5)
    assert summary.models == {"gpt-4o-mini-2024-07-18": 12_800}
    assert summary.workload is not None
    workload = WorkloadIn.model_validate(summary.workload).to_core()
    assert workload.requests_per_month == pytest.approx(194_666.67, rel=1e-6)
    assert workload.peak_to_average == pytest.approx(1.5)


def test_openai_daily_buckets_give_no_profile_and_crlf_is_fine() -> None:
    # 3 daily buckets of 6,400 requests; the third is batch; CRLF line endings.
    summary = load("openai_usage_1d.csv")
    assert summary.rows_used == 3 and summary.rows_rejected == 0
    assert summary.requests_per_month == pytest.approx(19_200 * 730 / 72)
    assert summary.batchable_fraction == pytest.approx(1 / 3)
    assert summary.hourly_profile is None and summary.peak_to_average is None
    assert any("longer than an hour" in note for note in summary.notes)
    assert summary.workload is not None and summary.workload["peak_to_average"] == 1.0


def test_anthropic_report_without_request_counts() -> None:
    # One day of hourly buckets with weights 1 (00–05), 3 (06–17), 2 (18–23): Σw = 54. Per unit of weight
    # 600k uncached + 300k cache-read + 100k cache-write input, 200k output; plus six batch rows (00–05) of
    # 100k uncached input and 50k output. Input 54.6M (16.2M read, 5.4M written), output 11.1M.
    summary = load("anthropic_usage_1h.csv")
    assert summary.format == "anthropic"
    assert summary.rows_used == 30
    assert summary.columns_used["cache_write"] == [
        "cache_creation_ephemeral_5m_input_tokens",
        "cache_creation_ephemeral_1h_input_tokens",
    ]
    assert summary.totals["input_tokens"] == pytest.approx(54_600_000)
    assert summary.cached_input_fraction == pytest.approx(16.2 / 54.6)
    assert summary.cache_write_fraction == pytest.approx(5.4 / 54.6)
    assert summary.tokens_per_month == pytest.approx(65_700_000 * 730 / 24)
    assert summary.batchable_fraction == pytest.approx(0.9 / 65.7)  # by tokens: no request counts
    assert summary.requests_known is False and summary.workload is None
    assert any("output_tokens_per_request" in note for note in summary.notes)
    # The profile is by tokens: 1.35M/hour at night, 3.6M by day, 2.4M in the evening; mean 2.7375M.
    assert summary.peak_to_average == pytest.approx(3.6 / 2.7375)


def test_anthropic_with_output_tokens_per_request() -> None:
    summary = load("anthropic_usage_1h.csv", output_tokens_per_request=500)
    assert summary.requests_per_month == pytest.approx(11_100_000 / 500 * 730 / 24)
    assert summary.output_tokens_per_request == pytest.approx(500)
    assert summary.input_tokens_per_request == pytest.approx(54_600_000 / 22_200)
    assert summary.workload is not None
    assert summary.workload["cache_write_fraction"] == pytest.approx(5.4 / 54.6)


def test_generic_log_counts_every_bad_row() -> None:
    # 13 data rows: 7 good, 6 bad (one of each kind), one blank line, a quoted comma, a quoted newline.
    summary = load("generic_requests.csv")
    assert summary.format == "generic"
    assert (summary.rows_total, summary.rows_used, summary.rows_rejected, summary.blank_lines) == (13, 7, 6, 1)
    assert summary.rejected_by_reason == {
        "not a number in input tokens": 1,
        "output tokens must be a count, 0 or more": 1,
        "unreadable timestamp": 1,
        "missing output tokens": 1,
        "expected 5 columns, found 4": 1,
        "cached tokens exceed input tokens": 1,
    }
    assert [r.line for r in summary.rejected_examples] == [6, 9, 10, 11, 12, 13]
    assert summary.totals["input_tokens"] == 7000 and summary.totals["output_tokens"] == 1750
    assert summary.cached_input_fraction == pytest.approx(1850 / 7000)
    # First 09:00:12, last 17:59:59: 32,387 s.
    assert summary.window_hours == pytest.approx(32_387 / 3600)
    assert summary.requests_per_month == pytest.approx(7 * 2_628_000 / 32_387)
    assert summary.hourly_profile is not None
    assert summary.peak_to_average == pytest.approx(3 * 24 / 7)  # 3 of 7 requests in the 09:00 hour
    assert summary.models["llama-3.3-70b\n(multi-line note)"] == 1
    assert summary.models["llama-3.3-70b, fine-tuned"] == 1
    assert any("less than a day" in note for note in summary.notes)


@settings(max_examples=40, deadline=None)
@given(chunk=st.integers(1, 700), name=st.sampled_from(["generic_requests.csv", "openai_usage_1d.csv"]))
def test_any_chunking_gives_the_same_answer(chunk: int, name: str) -> None:
    assert load(name, chunk=chunk) == load(name)


def test_utf8_split_across_chunks_and_bom() -> None:
    text = "\ufefftimestamp,input_tokens,output_tokens,model\n2026-03-02T09:00:00Z,10,5,modèle-é\n"
    data = text.encode()
    importer = UsageImporter()
    for byte in data:
        importer.feed(bytes([byte]))
    summary = importer.finish()
    assert summary.models == {"modèle-é": 1}
    assert summary.columns_used["start"] == ["timestamp"]


def _import(text: str, **options: object) -> UsageSummary:
    importer = UsageImporter(**options)  # type: ignore[arg-type]
    importer.feed(text.encode())
    return importer.finish()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("", "empty", id="empty"),
        pytest.param("\n\n", "empty", id="blank-lines-only"),
        pytest.param("when,prompt\n1,2\n", "needs the column", id="missing-columns"),
        pytest.param("timestamp,input_tokens,output_tokens\nnope,1,1\n", "no usable rows", id="all-rows-bad"),
    ],
)
def test_unusable_files_are_errors_on_the_file_field(text: str, message: str) -> None:
    with pytest.raises(DomainError, match=message) as raised:
        _import(text)
    assert raised.value.field == ("file",)


def test_forced_format_that_does_not_fit_says_what_it_needs() -> None:
    with pytest.raises(DomainError, match="num_model_requests"):
        _import("timestamp,input_tokens,output_tokens\n2026-03-02T09:00:00Z,1,1\n", format="openai")


def test_unterminated_quote_is_reported_not_dropped() -> None:
    summary = _import(
        'timestamp,input_tokens,output_tokens,model\n2026-03-02T09:00:00Z,1,1,a\n2026-03-02T10:00:00Z,1,1,"b\n'
    )
    assert summary.rows_used == 1 and summary.rows_rejected == 1
    assert summary.rejected_by_reason == {"unterminated quoted field": 1}


def test_requests_column_in_generic_buckets() -> None:
    summary = _import(
        "date,requests,prompt_tokens,completion_tokens\n2026-03-01,1000,500000,100000\n2026-03-02,3000,1500000,300000\n"
    )
    assert summary.totals["requests"] == 4000
    assert summary.input_tokens_per_request == pytest.approx(500)
    assert summary.hourly_profile is None  # daily totals at midnight carry no hour of day
    assert summary.requests_per_month == pytest.approx(4000 * 730 / 24)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1772409600", 1772409600),
        ("1772409600000", 1772409600),
        ("2026-03-02T00:00:00Z", 1772409600),
        ("2026-03-02 00:00:00", 1772409600),
        ("2026-03-02T02:00:00+02:00", 1772409600),
        ("2026-03-02", 1772409600),
    ],
)
def test_timestamps(text: str, seconds: float) -> None:
    assert parse_timestamp(text) == seconds


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (["start_time", "num_model_requests", "input_tokens", "output_tokens"], "openai"),
        (["starting_at", "uncached_input_tokens", "output_tokens"], "anthropic"),
        (["timestamp", "input_tokens", "output_tokens"], "generic"),
    ],
)
def test_format_detection(columns: list[str], expected: str) -> None:
    assert detect_format(columns) == expected


def test_column_names_are_normalized() -> None:
    assert normalize_column(" Cache Creation.Ephemeral-5m Input Tokens ") == "cache_creation_ephemeral_5m_input_tokens"


def test_a_stray_quote_costs_one_row_not_the_rest_of_the_file() -> None:
    good = "2026-03-02T09:00:00Z,100,10\n"
    text = "timestamp,input_tokens,output_tokens\n" + good + '2026-03-02T09:00:01Z,1"00,10\n' + good * 1500
    summary = _import(text)
    assert summary.rows_rejected == 1 and summary.rows_used == 1501
    assert summary.rejected_examples[0].line == 3
    assert summary.rejected_by_reason == {"unbalanced quote": 1}


# ---------------------------------------------------------------------------------------------
# Malformed files (issue 12): every one is a summary with its bad lines counted, or an error on the file

HEADER = "timestamp,input_tokens,output_tokens\n"
GOOD = "2026-03-02T09:00:00Z,100,10"


@pytest.mark.parametrize(
    ("text", "reason", "line"),
    [
        pytest.param(HEADER + f'{GOOD}\n2026-03-02T09:00:01Z,1"0,1\n2026-03-02T10:00:00Z,1,"1\n{GOOD}\n',
                     "quote inside an unquoted field", 3, id="quote-inside-unquoted-field"),
        pytest.param(HEADER + f"{GOOD}\n2026-03-02T09:00:01Z,1," + "9" * 131_073 + "\n",
                     "a field longer than 131,072 characters", 3, id="field-over-csv-limit"),
        pytest.param(HEADER + f"{GOOD}\n" + "x" * 1_000_001 + "\n",
                     "line longer than 1,000,000 characters", 3, id="line-over-cap"),
        pytest.param(HEADER + f"{GOOD}\n2026-03-02T09:00:01Z,1,1,x,y\n",
                     "expected 3 columns, found 5", 3, id="too-many-columns"),
        pytest.param(HEADER + f"{GOOD}\n1e300,1,1\n", "unreadable timestamp", 3, id="timestamp-past-9999"),
        pytest.param(HEADER + f"{GOOD}\n0001-01-01,1,1\n", "unreadable timestamp", 3, id="timestamp-before-1970"),
    ],
)  # fmt: skip
def test_a_malformed_line_is_one_rejected_row_with_its_reason(text: str, reason: str, line: int) -> None:
    summary = _import(text)
    assert summary.rows_used >= 1
    assert summary.rejected_by_reason.get(reason) == 1, summary.rejected_by_reason
    assert [r.line for r in summary.rejected_examples if r.reason == reason] == [line]
    assert all(len(r.text) <= 200 for r in summary.rejected_examples)


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr-only"])
@pytest.mark.parametrize("chunk", [1, 2, 7, 1 << 16])
def test_any_line_end_in_any_chunking(end: str, chunk: int) -> None:
    text = end.join([HEADER.strip(), GOOD, "2026-03-02T10:00:00Z,300,30", '2026-03-02T11:00:00Z,1,"1"', ""])
    importer = UsageImporter()
    data = text.encode()
    for start in range(0, len(data), chunk):
        importer.feed(data[start : start + chunk])
    summary = importer.finish()
    assert (summary.rows_total, summary.rows_used, summary.blank_lines) == (3, 3, 0)
    assert summary.totals["input_tokens"] == 401


@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        pytest.param("", "empty", "the file is empty", id="empty"),
        pytest.param('"timestamp,input_tokens,output_tokens\n' + GOOD * 2000, "header", "line 1: the header row",
                     id="header-unbalanced-quote"),
        pytest.param("x" * 1_000_001 + "\n" + GOOD, "header", "line longer than 1,000,000", id="header-overlong"),
        pytest.param(",".join(f"c{i}" for i in range(5000)) + "\n", "columns", "and 4,980 more", id="wide-header"),
        pytest.param(HEADER.replace(",output", ",requests,output") + "2026-03-02T09:00:00Z,1,5e-324,1\n", "rows",
                     "the first on line 2: requests must be a whole number", id="tiny-request-count"),
    ],
)  # fmt: skip
def test_a_file_without_a_summary_says_why_and_where(text: str, code: str, message: str) -> None:
    with pytest.raises(ImportFailed, match=message) as raised:
        _import(text)
    assert raised.value.code == code and raised.value.field == ("file",)
    assert len(raised.value.message) < 2000  # a 5,000-column header is not echoed whole


def test_a_long_line_is_skipped_in_bounded_memory() -> None:
    # 20 MB on one line, fed in 64 KiB chunks: the importer keeps at most MAX_RECORD_CHARS of it.
    importer = UsageImporter()
    importer.feed((HEADER + GOOD + "\n").encode())
    block = b"9" * (1 << 16)
    tracemalloc.start()
    try:
        for _ in range(320):
            importer.feed(block)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    importer.feed(("\n" + GOOD + "\n").encode())
    summary = importer.finish()
    assert peak < 4 * MAX_RECORD_CHARS  # characters kept (≤ 1 M) plus a chunk in flight; not 20 MB
    assert (summary.rows_used, summary.rows_rejected) == (2, 1)
    assert summary.rejected_by_reason == {"line longer than 1,000,000 characters": 1}


def test_tiny_token_totals_give_a_finite_profile() -> None:
    # Anthropic-style (no request counts: the profile is by tokens): 24 × 5e-324 would underflow a mean.
    text = "starting_at,uncached_input_tokens,output_tokens\n2026-03-02T09:00:00Z,5e-324,0\n"
    summary = _import(text, format="anthropic")
    assert summary.hourly_profile is not None and summary.hourly_profile[9] == 24
    assert all(math.isfinite(w) for w in summary.hourly_profile)


def test_requests_estimated_below_one_give_no_per_request_figures() -> None:
    text = "starting_at,uncached_input_tokens,output_tokens\n2026-03-02T09:00:00Z,1000000,1e-300\n"
    summary = _import(text, format="anthropic", output_tokens_per_request=500)
    assert summary.input_tokens_per_request is None and summary.workload is None
    assert any("less than one request" in note for note in summary.notes)


def test_distinct_model_names_are_counted_up_to_a_cap() -> None:
    rows = "".join(f"2026-03-02T09:00:00Z,1,1,model-{i}\n" for i in range(MAX_MODELS_TRACKED + 50))
    summary = _import("timestamp,input_tokens,output_tokens,model\n" + rows)
    assert summary.rows_used == MAX_MODELS_TRACKED + 50
    assert summary.models[OTHER_MODELS] == 50
