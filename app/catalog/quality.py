"""Public quality scores beside cost (issue 16): quality.toml, read once into frozen values.

The page compared GPT-5 with an 8B model as if they were interchangeable. This module says how each option
scores on one public benchmark (quality.toml's header says which, how it was chosen and what `as_of`
means), whether two options are far apart, and which catalog open models come close to an API model.

    from app.catalog.quality import quality_of, far_apart, comparable_open_models
    score = quality_of(option)        # an evaluated option (app.scenario.evaluate.ApiResult / SelfHostedResult)
    if score is None: ...             # "no public score": never a figure from elsewhere

A hosted per-token offer of an open model (Together's Llama 3.1 8B ...) takes its open model's score: the
weights are the same (app/catalog/hosted.py's matching rule, which refuses quantisations that change them).
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Protocol

from app.catalog.hosted import hosted_offers
from app.catalog.loader import CONFIDENCES, CatalogError, _is_iso_date, load_catalog
from app.core.api_cost import ApiOption
from app.core.self_hosted import SelfHostedOption
from app.core.specs import ModelArchitecture

QUALITY_FILE = "quality.toml"

# Two options are "far apart" when their scores differ by more than this many points. On LMArena's Elo scale a
# gap of D points means the higher model's answer is expected to be preferred with probability
# 1 / (1 + 10^(-D/400)) (the Bradley-Terry/Elo logistic at 400 points per 10:1 odds, quality.toml
# [benchmark] notes): 100 points is 64%, nearly two votes in three, a difference users notice in
# everyday answers; below it the weaker option still wins more than a third of head-to-head votes. The same
# threshold bounds "comparable" models, so the hint and the suggestion never disagree.
FAR_APART_POINTS = 100.0

_ROW_FIELDS = frozenset(
    {"model", "provider", "api_model", "arena_model", "benchmark", "score", "source", "as_of", "confidence", "notes"}
)
_BENCHMARK_FIELDS = frozenset({"name", "unit", "higher_is_better", "url", "notes"})


@dataclass(frozen=True)
class QualityBenchmark:
    """The benchmark family a score belongs to, stated once in quality.toml."""

    id: str
    name: str
    unit: str
    url: str
    notes: str


@dataclass(frozen=True)
class QualityScore:
    """One model's public score, with where it comes from and when."""

    score: float
    benchmark: QualityBenchmark
    source: str
    as_of: str
    confidence: str
    # What was rated: a catalog model id (models.toml), or "provider/api_model" (genai-prices ids).
    subject: str
    arena_model: str  # the benchmark's own name for the model rated
    notes: str = ""

    def comparable_with(self, other: QualityScore) -> bool:
        """Scores of different benchmarks never compare (quality.toml's header)."""
        return self.benchmark.id == other.benchmark.id


@dataclass(frozen=True)
class QualityTable:
    benchmarks: Mapping[str, QualityBenchmark]
    scores: tuple[QualityScore, ...]
    by_model: Mapping[str, QualityScore]  # catalog model id -> score
    by_api: Mapping[tuple[str, str], QualityScore]  # (provider, api_model) -> score


def _text(raw: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = raw.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise CatalogError(QUALITY_FILE, f"{key} is required (a non-empty string)", entry=where, field=key)
    return value.strip()


def _benchmark(benchmark_id: str, raw: Any) -> QualityBenchmark:
    where = f"benchmark.{benchmark_id}"
    if not isinstance(raw, dict):
        raise CatalogError(QUALITY_FILE, "must be a table", entry=where)
    unknown = sorted(set(raw) - _BENCHMARK_FIELDS)
    if unknown:
        raise CatalogError(QUALITY_FILE, f"unknown field(s) {', '.join(unknown)}", entry=where)
    if raw.get("higher_is_better") is not True:
        # Every comparison here (far apart, comparable) reads a higher score as better.
        raise CatalogError(QUALITY_FILE, "higher_is_better must be true", entry=where, field="higher_is_better")
    return QualityBenchmark(
        id=benchmark_id,
        name=_text(raw, "name", where),
        unit=_text(raw, "unit", where),
        url=_text(raw, "url", where),
        notes=_text(raw, "notes", where, required=False),
    )


def _score(index: int, raw: Any, benchmarks: Mapping[str, QualityBenchmark]) -> QualityScore:
    where = f"score[{index}]"
    if not isinstance(raw, dict):
        raise CatalogError(QUALITY_FILE, "must be a table", entry=where)
    unknown = sorted(set(raw) - _ROW_FIELDS)
    if unknown:
        raise CatalogError(QUALITY_FILE, f"unknown field(s) {', '.join(unknown)}", entry=where)
    model = _text(raw, "model", where, required=False)
    provider = _text(raw, "provider", where, required=False)
    api_model = _text(raw, "api_model", where, required=False)
    if model and (provider or api_model):
        raise CatalogError(QUALITY_FILE, "give either model or provider + api_model, not both", entry=where)
    if not model and not (provider and api_model):
        raise CatalogError(
            QUALITY_FILE, "model (a catalog id) or provider + api_model is required", entry=where, field="model"
        )
    subject = model or f"{provider}/{api_model}"
    where = subject
    benchmark_id = _text(raw, "benchmark", where)
    if benchmark_id not in benchmarks:
        raise CatalogError(
            QUALITY_FILE, f"{benchmark_id!r} is not a declared [benchmark.*]", entry=where, field="benchmark"
        )
    value = raw.get("score")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise CatalogError(QUALITY_FILE, "score is required (a finite positive number)", entry=where, field="score")
    as_of = raw.get("as_of")
    if isinstance(as_of, dt.date):
        as_of = as_of.isoformat()  # an unquoted TOML date
    if not isinstance(as_of, str) or not _is_iso_date(as_of):
        raise CatalogError(
            QUALITY_FILE, f"as_of is required (YYYY-MM-DD, YYYY-MM or YYYY), got {as_of!r}", entry=where, field="as_of"
        )
    confidence = _text(raw, "confidence", where)
    if confidence not in CONFIDENCES:
        raise CatalogError(
            QUALITY_FILE, f"{confidence!r} is not one of {', '.join(CONFIDENCES)}", entry=where, field="confidence"
        )
    return QualityScore(
        score=float(value),
        benchmark=benchmarks[benchmark_id],
        source=_text(raw, "source", where),
        as_of=as_of,
        confidence=confidence,
        subject=subject,
        arena_model=_text(raw, "arena_model", where),
        notes=_text(raw, "notes", where, required=False),
    )


def load_quality_from(text: str) -> QualityTable:
    """Parse and validate quality.toml's text; raises CatalogError naming the entry and field."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(QUALITY_FILE, f"not valid TOML: {exc}") from exc
    unknown = sorted(set(data) - {"benchmark", "score"})
    if unknown:
        raise CatalogError(QUALITY_FILE, f"unknown table(s) {', '.join(unknown)}")
    raw_benchmarks = data.get("benchmark", {})
    if not isinstance(raw_benchmarks, dict) or not raw_benchmarks:
        raise CatalogError(QUALITY_FILE, "at least one [benchmark.<id>] is required")
    benchmarks = {key: _benchmark(key, value) for key, value in raw_benchmarks.items()}
    raw_scores = data.get("score", [])
    if not isinstance(raw_scores, list):
        raise CatalogError(QUALITY_FILE, "score must be an array of tables ([[score]])")
    scores = tuple(_score(i, raw, benchmarks) for i, raw in enumerate(raw_scores))
    by_model: dict[str, QualityScore] = {}
    by_api: dict[tuple[str, str], QualityScore] = {}
    for score in scores:
        if score.subject in by_model or tuple(score.subject.split("/", 1)) in by_api:
            raise CatalogError(QUALITY_FILE, "duplicate row", entry=score.subject)
        if "/" in score.subject:
            provider, api_model = score.subject.split("/", 1)
            by_api[(provider, api_model)] = score
        else:
            by_model[score.subject] = score
    return QualityTable(benchmarks=benchmarks, scores=scores, by_model=by_model, by_api=by_api)


@cache
def load_quality() -> QualityTable:
    """The app's quality table, read once from quality.toml shipped in this package."""
    text = resources.files(__package__ or "app.catalog").joinpath(QUALITY_FILE).read_text(encoding="utf-8")
    return load_quality_from(text)


@cache
def _catalog_models() -> Mapping[str, ModelArchitecture]:
    """The shipped catalog's open models, read once (for hosted offers and comparable-model names)."""
    return load_catalog().models


@cache
def _hosted_models() -> Mapping[tuple[str, str], str]:
    """(provider, api model) of every hosted offer of a scored catalog model -> that model's id."""
    table = load_quality()
    models = _catalog_models()
    found: dict[tuple[str, str], str] = {}
    for model_id in table.by_model:
        model = models.get(model_id)
        if model is None:
            continue
        for entry in hosted_offers(model):
            found.setdefault((entry.provider.lower(), entry.model.lower()), model_id)
    return found


def score_for_model(model_id: str) -> QualityScore | None:
    """A catalog open model's score; None when the benchmark has none for these weights."""
    return load_quality().by_model.get(model_id)


def score_for_api(provider: str, model: str) -> QualityScore | None:
    """An API model's score (genai-prices ids): its own row, else, for a hosted offer of a catalog open
    model, that model's row; None for a custom price or a model the benchmark did not rate."""
    if not provider or not model:
        return None
    table = load_quality()
    own = table.by_api.get((provider, model))
    if own is not None:
        return own
    open_model = _hosted_models().get((provider.lower(), model.lower()))
    return table.by_model.get(open_model) if open_model is not None else None


class _Resolved(Protocol):
    @property
    def option(self) -> ApiOption | SelfHostedOption: ...

    @property
    def model(self) -> ModelArchitecture | str | None: ...


class EvaluatedOption(Protocol):
    """An evaluated option (app.scenario.evaluate.ApiResult or SelfHostedResult), structurally: the catalog
    does not import the scenario layer."""

    @property
    def resolved(self) -> _Resolved: ...


def quality_of(option: EvaluatedOption) -> QualityScore | None:
    """The public score of what `option` runs: an API model's own, a hosted offer's open model's, a
    self-hosted catalog model's; None when there is none (say "no public score", never borrow one)."""
    resolved = option.resolved
    if isinstance(resolved.option, ApiOption):
        prices = resolved.option.prices
        return score_for_api(prices.provider, prices.model)
    model = resolved.model
    return score_for_model(model.id) if isinstance(model, ModelArchitecture) else None


def far_apart(a: QualityScore | None, b: QualityScore | None) -> bool:
    """Whether two scores of the same benchmark differ by more than FAR_APART_POINTS."""
    if a is None or b is None or not a.comparable_with(b):
        return False
    return abs(a.score - b.score) > FAR_APART_POINTS


def comparable_open_models(score: QualityScore, catalog: Mapping[str, ModelArchitecture]) -> tuple[str, ...]:
    """Ids of the catalog open models whose score is within FAR_APART_POINTS of `score` (same benchmark),
    closest first, ties by id."""
    table = load_quality()
    near = [
        (abs(other.score - score.score), model_id)
        for model_id, other in table.by_model.items()
        if model_id in catalog and other.comparable_with(score) and not far_apart(other, score)
    ]
    return tuple(model_id for _, model_id in sorted(near))


@dataclass(frozen=True)
class QualityCell:
    """One option's score as a comparison table shows it, against the other options compared."""

    score: QualityScore | None
    # The highest-scored option among those compared on the same benchmark, and how far below it this one is
    # ("" and 0 for that option itself, or when nothing compares).
    best_name: str = ""
    points_below_best: float = 0.0
    far_below_best: bool = False  # more than FAR_APART_POINTS below: the page hints that capability differs
    # For an API option: names of catalog open models within FAR_APART_POINTS of its score, closest first.
    comparable: tuple[str, ...] = ()
    far_apart_points: float = FAR_APART_POINTS  # the threshold, for the words beside it


def quality_cells(
    options: Sequence[tuple[str, QualityScore | None, bool]],
    catalog: Mapping[str, ModelArchitecture] | None = None,
    *,
    max_comparable: int = 3,
) -> tuple[QualityCell, ...]:
    """A QualityCell for each (name, score, suggest comparable models) in `options`, in order; `catalog`:
    the open models to suggest from (default: the shipped catalog's). Three suggestions by default: enough
    to offer a choice of size, few enough to read in a table cell."""
    catalog = _catalog_models() if catalog is None else catalog
    best: dict[str, tuple[float, str]] = {}
    for name, score, _ in options:
        if score is not None and (score.benchmark.id not in best or score.score > best[score.benchmark.id][0]):
            best[score.benchmark.id] = (score.score, name)
    cells = []
    for name, score, suggest in options:
        if score is None:
            cells.append(QualityCell(score=None))
            continue
        top, top_name = best[score.benchmark.id]
        below = top - score.score
        comparable = comparable_open_models(score, catalog)[:max_comparable] if suggest else ()
        cells.append(
            QualityCell(
                score=score,
                best_name="" if top_name == name else top_name,
                points_below_best=below,
                far_below_best=below > FAR_APART_POINTS,
                comparable=tuple(catalog[model_id].name for model_id in comparable),
            )
        )
    return tuple(cells)
