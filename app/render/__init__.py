"""Every face of a typed result, as pure functions of it: JSON, chart series, chart specs and their
rendering to SVG/PNG. HTTP lives in `app/web`."""
