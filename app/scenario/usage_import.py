"""Usage exports → a workload: monthly volume, token mix, cached share, batch share and a 24-hour profile.

The importer is fed the upload's bytes in chunks as they arrive (`feed`), so a large file is never
held in memory; `finish` returns the summary. Every row is accounted for: used, rejected with a
reason (counted, with the first examples), or blank. No HTTP here: the route streams into it.

Accepted formats, their columns and how timestamps read: app/scenario/usage_formats.py.
"""

from __future__ import annotations

import codecs
import csv
import math
import re
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import ValidationError

from app.core.errors import DomainError
from app.core.units import SECONDS_PER_MONTH
from app.scenario.inputs import WorkloadIn
from app.scenario.usage_formats import (
    FORMATS,
    Format,
    FormatChoice,
    Role,
    detect_format,
    normalize_column,
    parse_timestamp,
)

DEFAULT_MAX_UPLOAD_BYTES = 50_000_000  # 50 MB
MAX_REJECTED_EXAMPLES = 20
MAX_MODELS_LISTED = 20
MIN_WINDOW_SECONDS = 3600.0  # a shorter export is scaled as if it covered one hour
SECONDS_PER_HOUR = 3600
SECONDS_PER_DAY = 86_400
HOURS = 24
MAX_RECORD_LINES = 1000  # a quoted field may span lines, but not this many
MAX_RECORD_CHARS = 1_000_000
LINE_BREAK = re.compile(r"\r\n|\r|\n")
_MAX_TOKENS_PER_ROW = 1e15  # far beyond any real bucket; bigger is a corrupt row, not usage
MAX_MODELS_TRACKED = 1000  # distinct model names counted; the rest are summed under OTHER_MODELS
OTHER_MODELS = "(other models)"
MAX_HEADER_COLUMNS_LISTED = 20


_TRUE = {"true", "1", "yes", "y", "t", "batch"}


def _listed(names: list[str]) -> str:
    """Column names for a message: the first MAX_HEADER_COLUMNS_LISTED, each cut to 40 characters."""
    shown = ", ".join(name[:40] for name in names[:MAX_HEADER_COLUMNS_LISTED])
    more = len(names) - MAX_HEADER_COLUMNS_LISTED
    return shown + (f" and {more:,} more" if more > 0 else "")


def _csv_reason(message: str) -> str:
    """The csv module's complaint in the words of the report (its messages are fixed texts)."""
    if "field larger than field limit" in message:
        return f"a field longer than {csv.field_size_limit():,} characters"
    return f"not valid CSV: {message.split(' - ')[0]}"


@dataclass(frozen=True)
class _Overlong:
    """A line longer than MAX_RECORD_CHARS, kept only as the start of its text."""

    sample: str


FailureCode = Literal["empty", "header", "columns", "rows"]


class ImportFailed(DomainError):
    """A file that gives no summary. `code` says which way it failed, in a fixed word a page may put
    in a URL (the message quotes the file, so it must not travel in one)."""

    def __init__(self, code: FailureCode, message: str) -> None:
        super().__init__(message, field=("file",))
        self.code = code


class RowError(ValueError):
    """A row that cannot be used; the message is the reason counted in the report."""


@dataclass
class _Columns:
    start: int
    end: int | None
    requests: int | None
    input: int | None
    uncached_input: int | None
    cached: int | None
    cache_write: tuple[int, ...]
    output: int
    model: int | None
    batch: int | None
    names: dict[str, list[str]]  # role → header names used


@dataclass
class _Totals:
    rows_used: int = 0
    requests: float = 0.0
    input: float = 0.0
    cached: float = 0.0
    cache_write: float = 0.0
    output: float = 0.0
    batch_requests: float = 0.0
    batch_tokens: float = 0.0
    first: float = math.inf
    last: float = -math.inf
    hourly: list[float] = field(default_factory=lambda: [0.0] * HOURS)
    coarse_rows: int = 0  # buckets longer than an hour: no hour-of-day information
    all_midnight: bool = True
    first_day: int | None = None  # the Unix day of the first row used
    several_days: bool = False
    models: dict[str, float] = field(default_factory=dict)  # requests (or tokens) by model


@dataclass(frozen=True)
class RejectedRow:
    line: int
    reason: str
    text: str


@dataclass(frozen=True)
class UsageSummary:
    format: Format
    format_title: str
    columns_used: dict[str, list[str]]
    rows_total: int
    rows_used: int
    rows_rejected: int
    blank_lines: int
    rejected_by_reason: dict[str, int]
    rejected_examples: tuple[RejectedRow, ...]
    first_timestamp: str
    last_timestamp: str
    window_hours: float
    totals: dict[str, float]
    monthly_scale: float  # months covered: totals × monthly_scale = per-month figures
    requests_known: bool
    requests_per_month: float | None
    tokens_per_month: float
    input_tokens_per_request: float | None
    output_tokens_per_request: float | None
    cached_input_fraction: float
    cache_write_fraction: float
    batchable_fraction: float
    hourly_profile: tuple[float, ...] | None  # 24 weights, mean 1, UTC hours
    peak_to_average: float | None
    models: dict[str, float]
    workload: dict[str, Any] | None  # ready to POST as a scenario's workload, when complete
    notes: tuple[str, ...]


class UsageImporter:
    """Streaming CSV importer: feed(bytes) any number of times, then finish()."""

    def __init__(self, format: FormatChoice = "auto", output_tokens_per_request: float | None = None) -> None:
        self.choice = format
        self.output_tokens_per_request = output_tokens_per_request
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
        self._pending: list[str] = []  # pieces of the text after the last line break
        self._pending_chars = 0
        self._held_cr = False  # the text so far ended in "\r": the next may start with the "\n" of a CRLF
        self._skipping = False  # inside an overlong line: drop its text up to the next line break
        self._record: list[str] = []  # lines of a record whose quotes are still open
        self._record_quotes = 0
        self._record_chars = 0
        self._record_line = 0
        self._line = 0  # physical lines seen
        self._header: list[str] | None = None
        self._format: Format | None = None
        self._columns: _Columns | None = None
        self._totals = _Totals()
        self._rows_total = 0
        self._blank = 0
        self._rejected: Counter[str] = Counter()
        self._examples: list[RejectedRow] = []

    @property
    def rows_read(self) -> int:
        """Data rows read so far (used or rejected), for a caller whose import failed."""
        return self._rows_total

    @property
    def rows_rejected(self) -> int:
        return sum(self._rejected.values())

    # -- streaming -------------------------------------------------------------------------------

    def feed(self, chunk: bytes) -> None:
        self._take_text(self._decoder.decode(chunk), final=False)

    def _take_text(self, text: str, *, final: bool) -> None:
        """Split decoded text into lines at CRLF, LF or a lone CR (old Mac and some Excel exports);
        memory stays bounded: the text of an unfinished line is kept only up to MAX_RECORD_CHARS."""
        if self._held_cr:
            text, self._held_cr = "\r" + text, False
        if not final and text.endswith("\r"):
            text, self._held_cr = text[:-1], True
        if self._skipping:
            match = LINE_BREAK.search(text)
            if match is None:
                return
            text, self._skipping = text[match.end() :], False
        if not final and LINE_BREAK.search(text) is None:
            # Pieces, joined once a break arrives: a line trickled in tiny chunks costs linear time.
            self._pending.append(text)
            self._pending_chars += len(text)
            if self._pending_chars > MAX_RECORD_CHARS:
                self._overlong("".join(self._pending))
            return
        lines: list[str | _Overlong] = list(LINE_BREAK.split("".join(self._pending) + text))
        self._pending, self._pending_chars = [], 0
        tail = lines.pop()
        assert isinstance(tail, str)
        if final:
            if tail:
                lines.append(tail)
        elif len(tail) > MAX_RECORD_CHARS:
            self._take_lines(lines)
            self._overlong(tail)
            return
        else:
            self._pending, self._pending_chars = [tail], len(tail)
        self._take_lines(lines)

    def _overlong(self, text: str) -> None:
        """An unfinished line past MAX_RECORD_CHARS: rejected, and the rest of it skipped unread."""
        self._pending, self._pending_chars = [], 0
        self._skipping = True
        self._take_lines([_Overlong(text[:200])])

    def _take_lines(self, lines: list[str | _Overlong]) -> None:
        queue = deque(lines)
        while queue:
            raw = queue.popleft()
            self._line += 1
            if isinstance(raw, str) and len(raw) > MAX_RECORD_CHARS:
                raw = _Overlong(raw[:200])  # as if it had arrived in pieces: the same answer in any chunking
            if isinstance(raw, _Overlong):
                if self._record:  # the open record cannot close past this line: its quote was a stray
                    queue.appendleft(raw)
                    self._line -= 1
                    self._stray_quote(queue)
                    continue
                self._bad_record(self._line, f"line longer than {MAX_RECORD_CHARS:,} characters", raw.sample)
                continue
            if not self._record:
                self._record_line = self._line
            self._record.append(raw)
            self._record_quotes += raw.count('"')
            self._record_chars += len(raw)
            if self._record_quotes % 2 == 0:  # quotes balanced: the record is complete
                self._take_record(queue)
            elif len(self._record) > MAX_RECORD_LINES or self._record_chars > MAX_RECORD_CHARS:
                self._stray_quote(queue)

    def _stray_quote(self, queue: deque[str | _Overlong]) -> None:
        """A stray quote would swallow the rest of the file: reject its line alone and read the lines
        after it again as rows of their own."""
        first_line, stray, rest = self._record_line, self._record[0], self._record[1:]
        self._reset_record()
        self._bad_record(first_line, "unbalanced quote", stray)
        self._line = first_line
        queue.extendleft(reversed(rest))

    def _take_record(self, queue: deque[str | _Overlong]) -> None:
        first_line, lines = self._record_line, self._record
        text = "\n".join(lines)
        self._reset_record()
        rows: list[list[str]] = []
        try:
            rows = list(csv.reader((text,)))  # one record at a time: a bad one cannot shift the rest
            problem = ""
        except csv.Error as error:
            problem = str(error)
        if problem and len(lines) > 1 and "new-line" in problem:
            # A quote inside an unquoted field (a"b) paired with one on a later line: only the first
            # line is known to be bad; the lines after it are read again as rows of their own.
            self._line = first_line
            queue.extendleft(reversed(lines[1:]))
            self._bad_record(first_line, "quote inside an unquoted field", lines[0])
            return
        if problem:
            self._bad_record(first_line, _csv_reason(problem), text)
            return
        if len(rows) > 1:
            self._bad_record(first_line, "more than one record on a line", text)
            return
        self._take_row(first_line, text, rows[0] if rows else [])

    def _bad_record(self, line: int, reason: str, text: str) -> None:
        """A line the CSV reader cannot read: a rejected row, or, for the header, the file's error."""
        if self._header is None:
            raise ImportFailed("header", f"line {line}: the header row is not valid CSV ({reason})")
        self._rows_total += 1
        self._reject(line, reason, text)

    def finish(self) -> UsageSummary:
        self._take_text(self._decoder.decode(b"", final=True), final=True)
        if self._record:  # an unterminated quote at the end of the file
            lines = len(self._record)
            text = "\n".join(self._record)
            line = self._record_line
            self._reset_record()
            spans = f" (spans {lines} lines)" if lines > 1 else ""
            self._bad_record(line, f"unterminated quoted field{spans}", text)
        return self._summary()

    def _reset_record(self) -> None:
        self._record = []
        self._record_quotes = 0
        self._record_chars = 0

    # -- rows ------------------------------------------------------------------------------------

    def _take_row(self, line: int, text: str, row: list[str]) -> None:
        if not any(cell.strip() for cell in row):
            self._blank += 1
            return
        if self._header is None:
            self._set_header(row)
            return
        self._rows_total += 1
        try:
            self._use_row(row)
        except RowError as error:
            self._reject(line, str(error), text)

    def _reject(self, line: int, reason: str, text: str) -> None:
        self._rejected[reason] += 1
        if len(self._examples) < MAX_REJECTED_EXAMPLES:
            self._examples.append(RejectedRow(line, reason, text[:200]))

    def _set_header(self, row: list[str]) -> None:
        header = [normalize_column(cell) for cell in row]
        self._header = header
        fmt: Format = detect_format(header) if self.choice == "auto" else self.choice
        self._format = fmt
        spec = FORMATS[fmt]
        index = {name: i for i, name in reversed(list(enumerate(header)))}  # first occurrence wins
        names: dict[str, list[str]] = {}

        def find(role: Role) -> int | None:
            for candidate in spec.columns.get(role, ()):
                if candidate in index:
                    names[role] = [candidate]
                    return index[candidate]
            return None

        missing = [
            " or ".join(name for role in group for name in spec.columns.get(role, ()))
            for group in spec.required
            if all(find(role) is None for role in group)
        ]
        if missing:
            raise ImportFailed(
                "columns",
                f"the {fmt} format needs the column(s) {'; '.join(missing)}; the file's header has "
                f"{_listed(header) or 'no columns'}",
            )
        cache_write: tuple[int, ...] = ()
        if spec.sums_cache_write:
            found = [c for c in spec.columns["cache_write"][:2] if c in index]
            if not found and spec.columns["cache_write"][2] in index:
                found = [spec.columns["cache_write"][2]]
            cache_write = tuple(index[c] for c in found)
            if found:
                names["cache_write"] = found
        else:
            position = find("cache_write")
            cache_write = () if position is None else (position,)
        start = find("start")
        output = find("output")
        total_input = find("input")
        uncached_input = find("uncached_input") if total_input is None else None
        assert start is not None and output is not None
        self._columns = _Columns(
            start=start,
            end=find("end"),
            requests=find("requests"),
            input=total_input,
            uncached_input=uncached_input,
            cached=find("cached"),
            cache_write=cache_write,
            output=output,
            model=find("model"),
            batch=find("batch"),
            names=names,
        )

    def _number(self, row: list[str], position: int | None, role: str, *, required: bool) -> float:
        if position is None:
            return 0.0
        text = row[position].strip().replace("_", "")
        if not text:
            if required:
                raise RowError(f"missing {role}")
            return 0.0
        try:
            value = float(text)
        except ValueError:
            raise RowError(f"not a number in {role}") from None
        if not math.isfinite(value) or value < 0 or value > _MAX_TOKENS_PER_ROW:
            raise RowError(f"{role} must be a count, 0 or more")
        return value

    def _use_row(self, row: list[str]) -> None:
        columns = self._columns
        assert columns is not None and self._header is not None
        if len(row) != len(self._header):
            raise RowError(f"expected {len(self._header)} columns, found {len(row)}")
        try:
            start = parse_timestamp(row[columns.start])
        except (ValueError, OverflowError):
            raise RowError("unreadable timestamp") from None
        end: float | None = None
        if columns.end is not None and row[columns.end].strip():
            try:
                end = parse_timestamp(row[columns.end])
            except (ValueError, OverflowError):
                raise RowError("unreadable end time") from None
            if end < start:
                raise RowError("end time before start time")
        cached = self._number(row, columns.cached, "cached tokens", required=False)
        cache_write = sum(self._number(row, p, "cache write tokens", required=False) for p in columns.cache_write)
        if columns.input is not None:
            total_input = self._number(row, columns.input, "input tokens", required=True)
            if cached + cache_write > total_input * (1 + 1e-9):
                raise RowError("cached tokens exceed input tokens")
        else:
            uncached = self._number(row, columns.uncached_input, "uncached input tokens", required=True)
            total_input = uncached + cached + cache_write
        output = self._number(row, columns.output, "output tokens", required=True)
        requests: float | None
        if columns.requests is not None:
            requests = self._number(row, columns.requests, "requests", required=True)
            if not requests.is_integer():  # a count: 5e-324 requests is a corrupt row, not usage
                raise RowError("requests must be a whole number")
        elif self._format == "generic":
            requests = 1.0
        else:
            requests = None
        batch = False
        if columns.batch is not None:
            batch = row[columns.batch].strip().lower() in _TRUE

        totals = self._totals
        totals.rows_used += 1
        totals.input += total_input
        totals.cached += cached
        totals.cache_write += cache_write
        totals.output += output
        tokens = total_input + output
        if requests is not None:
            totals.requests += requests
        if batch:
            totals.batch_requests += requests or 0.0
            totals.batch_tokens += tokens
        totals.first = min(totals.first, start)
        totals.last = max(totals.last, end if end is not None else start)
        day, second_of_day = divmod(int(start), SECONDS_PER_DAY)  # UTC: Unix time has no leap seconds
        if second_of_day:
            totals.all_midnight = False
        if totals.first_day is None:
            totals.first_day = day
        elif day != totals.first_day:
            totals.several_days = True
        if end is not None and end - start > SECONDS_PER_HOUR:
            totals.coarse_rows += 1
        else:
            totals.hourly[second_of_day // SECONDS_PER_HOUR] += requests if requests is not None else tokens
        if columns.model is not None:
            name = row[columns.model].strip() or "(none)"
            key = name[:100]
            if key not in totals.models and len(totals.models) >= MAX_MODELS_TRACKED:
                key = OTHER_MODELS  # a file of a million distinct names must not hold a million keys
            totals.models[key] = totals.models.get(key, 0.0) + (requests if requests is not None else tokens)

    # -- summary ---------------------------------------------------------------------------------

    def _summary(self) -> UsageSummary:
        if self._header is None or self._format is None or self._columns is None:
            raise ImportFailed("empty", "the file is empty: no header row")
        totals = self._totals
        rejected = sum(self._rejected.values())
        if totals.rows_used == 0:
            reasons = "; ".join(f"{reason} ({count})" for reason, count in self._rejected.most_common(3))
            because = f" ({reasons})" if reasons else ""
            first = self._examples[0] if self._examples else None
            where = f"; the first on line {first.line}: {first.reason}" if first else ""
            rows = f"{self._rows_total:,} data row{'s' * (self._rows_total != 1)}"
            raise ImportFailed("rows", f"no usable rows: {rows}, {rejected:,} rejected{because}{where}")
        notes: list[str] = []
        window = totals.last - totals.first
        if window < MIN_WINDOW_SECONDS:
            notes.append("the export covers less than an hour: monthly figures are scaled from one hour")
            window = MIN_WINDOW_SECONDS
        scale = SECONDS_PER_MONTH / window

        requests_known = self._columns.requests is not None or self._format == "generic"
        requests_total: float | None = totals.requests if requests_known and totals.requests > 0 else None
        if requests_total is None and self.output_tokens_per_request:
            requests_total = totals.output / self.output_tokens_per_request
            notes.append(
                f"requests estimated from output_tokens_per_request = {self.output_tokens_per_request:g} "
                "(the export has no request counts)"
            )
        elif requests_total is None:
            notes.append(
                "the export has no request counts: give output_tokens_per_request (or a requests column) "
                "for per-request token figures"
            )
        tokens = totals.input + totals.output
        input_fraction_cached = totals.cached / totals.input if totals.input > 0 else 0.0
        input_fraction_written = totals.cache_write / totals.input if totals.input > 0 else 0.0
        if requests_total is not None and totals.requests > 0:
            batch_fraction = totals.batch_requests / totals.requests
        else:
            batch_fraction = totals.batch_tokens / tokens if tokens > 0 else 0.0

        profile: tuple[float, ...] | None = None
        peak: float | None = None
        daily_only = totals.all_midnight and totals.several_days
        if totals.coarse_rows:
            notes.append(
                f"{totals.coarse_rows} rows are buckets longer than an hour (daily?): no 24-hour profile; "
                "export with 1-hour buckets for one"
            )
        elif daily_only:
            notes.append("every timestamp is at midnight (daily totals?): no 24-hour profile")
        elif sum(totals.hourly) > 0:
            # w / total × 24, not w / (total / 24): a total of 5e-324 over 24 is 0 (float underflow).
            total_hourly = sum(totals.hourly)
            profile = tuple(w / total_hourly * HOURS for w in totals.hourly)
            peak = max(profile)
            if window < 24 * SECONDS_PER_HOUR:
                notes.append("the export covers less than a day: the 24-hour profile is partial")
        notes.append("times are UTC: the 24-hour profile is by UTC hour")

        if requests_total is not None and requests_total < 1:
            # Fewer than one request in the whole export (an estimate from tiny output totals): per-request
            # figures would be the totals divided by almost nothing.
            notes.append("the export amounts to less than one request: no per-request figures")
            requests_total = None
        input_per_request = totals.input / requests_total if requests_total else None
        output_per_request = totals.output / requests_total if requests_total else None
        workload = self._workload(
            requests_total * scale if requests_total else None,
            input_per_request,
            output_per_request,
            input_fraction_cached,
            input_fraction_written,
            batch_fraction,
            peak,
            notes,
        )
        fmt = self._format
        return UsageSummary(
            format=fmt,
            format_title=FORMATS[fmt].title,
            columns_used=dict(self._columns.names),
            rows_total=self._rows_total,
            rows_used=totals.rows_used,
            rows_rejected=rejected,
            blank_lines=self._blank,
            rejected_by_reason=dict(self._rejected.most_common()),
            rejected_examples=tuple(self._examples),
            first_timestamp=datetime.fromtimestamp(totals.first, tz=UTC).isoformat(),
            last_timestamp=datetime.fromtimestamp(totals.last, tz=UTC).isoformat(),
            window_hours=window / SECONDS_PER_HOUR,
            totals={
                "requests": totals.requests if requests_known else 0.0,
                "input_tokens": totals.input,
                "cached_input_tokens": totals.cached,
                "cache_write_input_tokens": totals.cache_write,
                "output_tokens": totals.output,
            },
            monthly_scale=scale,
            requests_known=requests_known and totals.requests > 0,
            requests_per_month=requests_total * scale if requests_total else None,
            tokens_per_month=tokens * scale,
            input_tokens_per_request=input_per_request,
            output_tokens_per_request=output_per_request,
            cached_input_fraction=input_fraction_cached,
            cache_write_fraction=input_fraction_written,
            batchable_fraction=batch_fraction,
            hourly_profile=profile,
            peak_to_average=peak,
            models=dict(sorted(totals.models.items(), key=lambda item: -item[1])[:MAX_MODELS_LISTED]),
            workload=workload,
            notes=tuple(notes),
        )

    @staticmethod
    def _workload(
        requests_per_month: float | None,
        input_per_request: float | None,
        output_per_request: float | None,
        cached: float,
        written: float,
        batch: float,
        peak: float | None,
        notes: list[str],
    ) -> dict[str, Any] | None:
        if requests_per_month is None or input_per_request is None or output_per_request is None:
            return None
        values: dict[str, Any] = {
            "requests_per_month": requests_per_month,
            "input_tokens": input_per_request,
            "output_tokens": output_per_request,
            "cached_input_fraction": min(1.0, cached),
            "cache_write_fraction": min(1.0 - min(1.0, cached), written),
            "batchable_fraction": min(1.0, batch),
            "peak_to_average": min(100.0, max(1.0, peak or 1.0)),
        }
        try:
            return WorkloadIn.model_validate(values).model_dump(exclude_none=True)
        except ValidationError as error:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
            notes.append(f"the figures do not make a valid workload ({problems})")
            return None
