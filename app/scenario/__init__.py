"""The question answered, typed in and typed out, with no HTTP and no formatting: the request
documents (`inputs`), their resolution against the catalog (`resolve`), the evaluation into a typed
result (`evaluate`), the views beyond one crossover (`beyond`) and usage-export import
(`usage_import`). Rendering lives in `app/render`, HTTP in `app/web`."""
