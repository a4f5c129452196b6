"""The `breakeven` command: `serve` runs the app, `calibrate` fits the throughput estimator,
`prices refresh` fetches the latest genai-prices data (opt-in), `delete-scenario ID` removes a saved
scenario (the one admin action on the store)."""

from __future__ import annotations

import argparse
import sys

import httpx


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
        from app.calibrate import main as calibrate

        return calibrate(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.command == "prices":
        from app.catalog.price_refresh import refresh_prices
        from app.settings import get_settings

        try:
            path, models = refresh_prices(get_settings().data_dir)
        except (OSError, ValueError, httpx.HTTPError) as error:
            print(f"price refresh failed, the bundled snapshot stays in use: {error}", file=sys.stderr)
            return 1
        print(f"saved {models} models' prices to {path}; restart the app to use them (delete the file to undo)")
        return 0
    if args.command == "delete-scenario":
        from app.settings import get_settings
        from app.store import open_store

        deleted = open_store(get_settings()).delete(args.scenario_id)
        print(f"deleted {args.scenario_id}" if deleted else f"no saved scenario {args.scenario_id}")
        return 0 if deleted else 1
    import uvicorn

    from app.settings import get_settings

    settings = get_settings()
    uvicorn.run(
        "app.main:app",
        host=settings.host,
        port=settings.port,
        reload=args.reload,
        log_level=settings.log_level,
        server_header=False,
        access_log=False,  # the app writes its own structured access log (app/web/observability.py)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
