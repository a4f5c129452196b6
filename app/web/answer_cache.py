"""Repeat questions answered from memory (issue 13): a live page or a break-even body asked again, byte for byte.

A permalink pasted into a wiki or a chat is opened by everyone who reads it, and an integration polls
the break-even API with the same body; each of those answers is a pure function of

- the request as sent: the page's raw query string, or the break-even's raw body bytes (a body that
  differs only in whitespace is another key, and is simply evaluated again);
- the bundled data (`live_data_fingerprint`: catalog files, price snapshot, estimator fit, renderer);
- the day (prices scheduled to change on a date and the stale-snapshot warning depend on it: the two
  price catalogs' own clocks, as `app.web.evaluation_cache.live_key` reads them);
- what absolute links start with (`link_base`: PUBLIC_BASE_URL or a trusted Host), and the app's limits.

so the finished bytes are kept in a size-bounded LRU (`RenderCache`, the chart cache's class; its size is
the ANSWER_CACHE_BYTES setting) and a repeat is answered without evaluating, rendering or leaving the
event loop. Only complete, successful
answers are kept: a page with field errors, notices or a banner, and any error response, is computed
every time (its messages stay exactly as they are). Saved scenarios have their own caching (frozen
figures, ETags) and never come here.
"""

from __future__ import annotations

import hashlib

from fastapi import Request

from app.catalog import api_prices, litellm_prices
from app.render.chart_render import RenderCache, live_data_fingerprint


def answer_key(kind: str, asked: bytes, *context: str) -> str:
    """The key of one answer: what kind of answer, the request as sent, and the context it depends on."""
    digest = hashlib.sha256(kind.encode())
    for part in (live_data_fingerprint(), api_prices._today().isoformat(), litellm_prices.today().isoformat()):
        digest.update(b"\0" + part.encode())
    for part in context:
        digest.update(b"\0" + part.encode())
    digest.update(b"\0" + asked)
    return digest.hexdigest()


def get_answer_cache(request: Request) -> RenderCache:
    cache: RenderCache = request.app.state.answer_cache
    return cache
