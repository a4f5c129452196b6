"""One evaluation per question (issue 13): the page, its JSON twin and its charts share an evaluated scenario.

A page view links three chart images (/chart.svg?<same query>) and its JSON twin; each is its own
request, so without a shared store the same scenario was evaluated once per face. `EvaluationCache`
is a small LRU of evaluated scenarios, bounded by entries, held on `app.state` like the render cache.

A live scenario is keyed by its canonical JSON, the live data fingerprint (a deploy or a price refresh
changes what the same query evaluates to) and today's date (prices scheduled to change on a date and the
stale-snapshot warning depend on it); a saved scenario by its id (its figures are frozen). Only results
are cached: a scenario that fails is evaluated again, so its errors and left-out options are reported
exactly as before.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request

from app.catalog import api_prices, litellm_prices
from app.core.specs import Catalog
from app.render.chart_render import live_data_fingerprint
from app.scenario.evaluate import ScenarioResult
from app.scenario.inputs import ScenarioIn
from app.scenario.uncertainty import UncertaintyAnswer
from app.web.forms import FormState, evaluate_form

DEFAULT_MAX_ENTRIES = 256  # a result is tens of kB: a few MB at most


@dataclass(eq=False)
class Evaluation:
    """A scenario's result, plus what its faces derive from it at a real cost: the headline pair's
    uncertainty (a 10,000-draw Monte Carlo), filled in by the first face that needs it (the page's "How
    sure" block or the tornado chart). Filling it twice in a race is harmless: it is deterministic."""

    result: ScenarioResult
    uncertainty: UncertaintyAnswer | None = None


class EvaluationCache:
    """LRU of evaluations by key, at most `max_entries`; safe to share between the threadpool's workers.

    Evaluating happens outside the lock: two requests missing the same key at once both evaluate (the
    same result), and neither waits on the other."""

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self.items: OrderedDict[str, Evaluation] = OrderedDict()
        self.lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.items)

    def get(self, key: str) -> Evaluation | None:
        with self.lock:
            found = self.items.get(key)
            if found is not None:
                self.items.move_to_end(key)
            return found

    def put(self, key: str, result: ScenarioResult) -> Evaluation:
        """Store `result` under `key`; the entry already there wins (it may hold an uncertainty)."""
        with self.lock:
            found = self.items.get(key)
            if found is None:
                found = self.items[key] = Evaluation(result)
                while len(self.items) > self.max_entries:
                    self.items.popitem(last=False)
            else:
                self.items.move_to_end(key)
            return found

    def evaluation(self, key: str, evaluate: Callable[[], ScenarioResult]) -> Evaluation:
        return self.get(key) or self.put(key, evaluate())


def _key(*parts: object) -> str:
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def live_key(scenario: ScenarioIn) -> str:
    """What a live scenario's result depends on besides the code: the scenario, the bundled data, the day."""
    # The price catalogs' own clocks (a test may set them): the prices in force and their notes follow them.
    days = (api_prices._today().isoformat(), litellm_prices.today().isoformat())
    return _key("live", scenario.model_dump(mode="json"), live_data_fingerprint(), days)


def saved_key(scenario_id: str) -> str:
    return _key("saved", scenario_id)


def evaluate_form_once(
    state: FormState, catalog: Catalog, max_options: int, cache: EvaluationCache
) -> Evaluation | None:
    """`evaluate_form` (app/web/forms.py) through the cache. A hit is exactly what evaluate_form would
    return: a cached result was evaluated from this very scenario without an error, so evaluate_form would
    have left nothing out and changed nothing in `state`. A miss is evaluate_form itself, and its result
    is stored under the scenario it finally evaluated (`state.usable`, without the options it left out:
    the scenario of the page's chart and JSON links)."""
    if state.usable is None:
        return None
    found = cache.get(live_key(state.usable))
    if found is not None:
        return found
    result = evaluate_form(state, catalog, max_options)
    if result is None or state.usable is None:
        return None
    return cache.put(live_key(state.usable), result)


def get_evaluation_cache(request: Request) -> EvaluationCache:
    cache: EvaluationCache = request.app.state.evaluation_cache
    return cache
