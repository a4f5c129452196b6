"""The `breakeven` command: `serve` runs the app, `calibrate` fits the throughput estimator,
`prices refresh` fetches the latest genai-prices data (opt-in), `delete-scenario ID` removes a saved
scenario (the one admin action on the store)."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any

import uvicorn
from uvicorn.server import HANDLED_SIGNALS


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="breakeven", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the web app (HOST and PORT from the environment)")
    serve.add_argument("--reload", action="store_true", help="restart on code changes (development)")
    sub.add_parser("calibrate", help="fit the throughput estimator; see `breakeven calibrate --help`", add_help=False)
    prices = sub.add_parser("prices", help="API price snapshot: `breakeven prices refresh` (opt-in, needs network)")
    prices.add_argument("action", choices=["refresh"])
    delete = sub.add_parser("delete-scenario", help="delete a saved scenario (admin; rows are otherwise immutable)")
    delete.add_argument("scenario_id")
    args, rest = parser.parse_known_args(argv)
    if args.command == "calibrate":
        from app.calibration.cli import main as calibrate

        return calibrate(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.command == "prices":
        # Imported here: only this opt-in command makes an outbound request.
        import httpx

        from app.catalog.price_refresh import refresh_litellm_prices, refresh_prices
        from app.settings import get_settings

        # Both sources, each on its own: a failure of one leaves the other's refresh standing.
        failed = False
        for what, refresh in (("genai-prices", refresh_prices), ("LiteLLM price map", refresh_litellm_prices)):
            try:
                path, models = refresh(get_settings().data_dir)
            except (OSError, ValueError, httpx.HTTPError) as error:
                print(f"{what} refresh failed, the copy in use stays: {error}", file=sys.stderr)
                failed = True
                continue
            print(f"saved {models} models' {what} prices to {path}; restart the app to use them (delete to undo)")
        return 1 if failed else 0
    if args.command == "delete-scenario":
        from app.settings import get_settings
        from app.store import open_store

        deleted = open_store(get_settings()).delete(args.scenario_id)
        print(f"deleted {args.scenario_id}" if deleted else f"no saved scenario {args.scenario_id}")
        return 0 if deleted else 1
    return run_server(reload=args.reload)


class _QuietExitServer(uvicorn.Server):
    """uvicorn's server, minus one step: after a graceful shutdown on SIGINT/SIGTERM, uvicorn re-raises the
    signal so the process dies of it (exit 130/143), which `make run` reports as an error on every Ctrl-C.
    Here a clean shutdown is a clean exit."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        original = {sig: signal.signal(sig, self.handle_exit) for sig in HANDLED_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)


def run_server(reload: bool = False) -> int:
    from app.settings import get_settings
    from app.web.observability import uvicorn_log_config

    settings = get_settings()
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level,
        # uvicorn's own lines (startup, shutdown, errors) in the app's format: one JSON object per line,
        # or the same plain text, so a log pipeline parses every line the process writes.
        "log_config": uvicorn_log_config(settings),
        "server_header": False,
        # The client address comes from X-Forwarded-For only when the direct peer is a listed proxy
        # (the same FORWARDED_ALLOW_IPS the rate limiter reads, .env included).
        "proxy_headers": True,
        "forwarded_allow_ips": ",".join(settings.forwarded_allow_ips.replace(",", " ").split()),
        "access_log": False,  # the app writes its own structured access log (app/web/observability.py)
    }
    if reload:  # the reloader supervises worker processes: uvicorn.run does that
        uvicorn.run("app.main:app", reload=True, **options)
        return 0
    server = _QuietExitServer(uvicorn.Config("app.main:app", **options))
    server.run()
    # Ctrl-C or a SIGTERM is the normal way to stop `make run`: after a clean shutdown, exit 0 so make
    # does not report "Error 130/143"; a server that failed to start exits 3, as uvicorn does.
    return 0 if server.started else 3


if __name__ == "__main__":
    raise SystemExit(main())
