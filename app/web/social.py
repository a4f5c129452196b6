"""What a page says about itself to a browser tab and to a link preview (issue 16): a `<title>` per page
(the preset's name, else the verdict; a saved scenario's name) and, on saved scenarios, the Open Graph and
Twitter card tags that Slack, Teams and Confluence read: the verdict as the description and the saved chart's
PNG as the image, by absolute URL."""

from __future__ import annotations

from dataclasses import dataclass

from app.render.page_view import ResultView
from app.scenario.inputs import ApiOptionIn, ScenarioIn

SITE_NAME = "Breakeven"
DEFAULT_TITLE = "Breakeven: self-hosted open models vs closed LLM APIs"
# A tab shows ~60 characters and a search result ~70; past this the verdict is cut at a word, with "…".
MAX_TITLE_CHARS = 110
NAMES_IN_TITLE = 3


def _shortened(text: str, limit: int = MAX_TITLE_CHARS) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def scenario_name(scenario: ScenarioIn) -> str:
    """A saved scenario's name (it has no name field): the options it compares, as the user named them
    ("Flat API vs Llama on H100"); hosted offers the app added are left out."""
    names = [o.name for o in scenario.options if not (isinstance(o, ApiOptionIn) and o.origin == "hosted")]
    shown = " vs ".join(names[:NAMES_IN_TITLE])
    more = len(names) - NAMES_IN_TITLE
    return shown + (f" and {more} more" if more > 0 else "") if shown else "Saved scenario"


def page_title(view: ResultView | None, preset_title: str | None, saved_name: str | None = None) -> str:
    """The `<title>`: a saved scenario's name, else the active preset's, else the verdict's, else the site's."""
    if saved_name:
        return f"{_shortened(saved_name)} · saved scenario · {SITE_NAME}"
    if preset_title:
        return f"{preset_title} · {SITE_NAME}"
    if view is not None and view.verdict:
        return f"{_shortened(view.verdict)} · {SITE_NAME}"
    return DEFAULT_TITLE


@dataclass(frozen=True)
class SocialCard:
    """Link-preview tags of a saved scenario. `url` and `image` are absolute, or None where no base URL
    is known (PUBLIC_BASE_URL unset and an untrusted Host: app/web/security.py's link_base), since a
    relative og:image is ignored and a forged Host must never reach a cached page."""

    title: str
    description: str
    url: str | None
    image: str | None
    image_alt: str


def saved_social_card(view: ResultView, name: str, base: str, scenario_id: str) -> SocialCard:
    absolute = base.startswith(("http://", "https://"))
    return SocialCard(
        title=f"{_shortened(name)} · {SITE_NAME}",
        description=view.verdict,
        url=f"{base}/s/{scenario_id}" if absolute else None,
        image=f"{base}/s/{scenario_id}/chart.png" if absolute else None,
        image_alt=view.chart_alt,
    )
