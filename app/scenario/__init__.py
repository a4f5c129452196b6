"""The question answered, typed in and typed out, with no HTTP and no formatting.

- `inputs`: the request documents of a scenario; `beyond_inputs`: those of the views beyond one crossover.
- `resolve`: input documents → core objects, against the catalog; `evaluate`: → a typed `ScenarioResult`.
- `beyond`: the evaluated (API, self-hosted) pair the views share; `hybrid`, `horizon`, `uncertainty`,
  `factors`: each view's typed answer.
- `usage_import`: a usage export → a workload.

Rendering (JSON, sentences, charts) lives in `app/render`, HTTP in `app/web`.
"""
