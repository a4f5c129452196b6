"""Names vulture (`make lint`) cannot see used, because something other than Python code reads them.

vulture reads only the Python under app/: it does not see a Jinja template read a field, `dataclasses.asdict`
or pydantic serialise one into a JSON body, a test call a hook, or a framework call a method by its name.
Each name below says which of those reads it. A name listed here counts as used wherever it is defined,
so list a field read by name, never a whole module. Routes, exception handlers and pydantic validators
are left out by decorator in the Makefile, and the response schemas (app/web/*_schemas.py) by file: every
field of a schema is read by pydantic when it writes the OpenAPI document, never by name.
"""

# ruff: noqa: B018, F821
# (bare names are the whitelist's format: vulture parses this file, nothing imports or runs it)

# --- pydantic ------------------------------------------------------------------------------------
model_config  # pydantic reads a model's configuration by this name

# --- Framework hooks, called by name ---------------------------------------------------------------
capture_signals  # app/cli.py: overrides uvicorn.Server.capture_signals, which uvicorn calls
serve_renders  # app/render/chart_render.py: the render worker's entry point, run by name in a subprocess (`-c`)

# --- Read by tests only: hooks and observables of the app's own code -------------------------------
load_fit_info  # app/catalog/efficiencies.py: tests/test_calibration.py checks the recorded fit accuracy
use_bundled_litellm  # app/catalog/litellm_prices.py: tests/test_price_refresh.py restores the bundled map
read_mode  # app/store.py SqliteStore: tests/test_store_faults.py checks how a read-only store connected
kv_bytes_per_token  # app/core/memory.py: the whole-model KV formula, pinned by tests/test_throughput.py
PRESET_MIN_DAYS_BEFORE_RETIREMENT  # app/web/presets.py: tests/test_price_sources.py applies the rule
serves  # app/catalog/hosted.py: the matching rule for one offer id, pinned by tests/test_hosted.py's tables

# --- Serialised by dataclasses.asdict into JSON bodies (catalog listings, estimates, snapshots) ----
vendor  # GpuSpec (/api/v1/catalog/gpus) and GpuSpecIn (request documents: the same fields)
hf_id  # ModelArchitecture (/api/v1/catalog/models) and ModelArchitectureIn
vocab_size  # ModelArchitecture and ModelArchitectureIn
native_precision  # ModelArchitecture (/api/v1/catalog/models)
region  # RentalOffer (/api/v1/catalog/offers)
pricing_url  # ApiModelEntry (/api/v1/catalog/api-models)
batch_cached_input_per_mtok  # ApiModelEntry
batch_cache_write_per_mtok  # ApiModelEntry
age_days  # SnapshotAge (/api/v1/catalog/api-models "snapshot")
requests_per_second  # ThroughputEstimate (estimate_json) and OverflowHour (hybrid "hourly")
generated_tokens_per_request  # ThroughputEstimate (estimate_json): output + hidden reasoning tokens
weights_gib  # ThroughputEstimate
kv_cache_gib_available  # ThroughputEstimate
decode_step_seconds  # ThroughputEstimate
prefill_seconds_per_request  # ThroughputEstimate
self_hosted_requests_per_second  # OverflowHour (POST /api/v1/hybrid, "hourly")
api_requests_per_second  # OverflowHour

# --- Request fields read by getattr with an id ----------------------------------------------------
gpu_price  # app/scenario/beyond_inputs.py RangesIn: app/scenario/uncertainty.py reads getattr(ranges, input_id)
api_price  # RangesIn

# --- Fields of a parsed file's record, kept so the record is the file's whole row -------------------
source_group  # app/calibration/measurements.py Measurement: the measurements CSV's column
engine_label  # Measurement: the engine as the CSV names it
rows_fitted  # app/catalog/efficiencies.py FitInfo: the [fit] table of efficiencies.toml
deprecation_source  # app/catalog/litellm_prices.py SecondSource: LiteLLM's record of a retirement

# --- Read by Jinja templates (templates/*.html) ----------------------------------------------------
text_input  # _macros.html input: app/web/form_controls.text_input, through the `controls` global
expression  # _results.html: a worked line's formula
cost_per_mtok  # _results.html, _embed.html
capacity_note  # _results.html
chart_alt  # _results.html
action_href  # _results.html
action_label  # _results.html
save_query  # _results.html
csv_url  # _embed.html
snippets  # _embed.html (EmbedLinks.snippets)
horizon_chart_src  # _beyond.html
tornado_chart_src  # _beyond.html
best_name  # _results.html: QualityCell (app/catalog/quality.py), the far-apart hint under the cost table
points_below_best  # _results.html: QualityCell
far_below_best  # _results.html: QualityCell
far_apart_points  # _results.html: QualityCell, the threshold the hint states
quality  # _results.html: TableRow.quality, the cost table's Quality cell
verdict_horizon  # _results.html: ResultView.verdict_horizon, the verdict's "change the price trend" line
link_href  # error_card.html: ErrorCard, the card's way back
link_label  # error_card.html: ErrorCard
description  # base.html: SocialCard, og:description and twitter:description
image  # base.html: SocialCard, og:image
image_alt  # base.html: SocialCard, og:image:alt
