"""The `breakeven` command: `serve` runs the app, `calibrate` fits the throughput estimator,
`delete-scenario ID` removes a saved scenario (the one admin action on the store)."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="breakeven", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the web app (HOST and PORT from the environment)")
    serve.add_argument("--reload", action="store_true", help="restart on code changes (development)")
    sub.add_parser("calibrate", help="fit the throughput estimator; see `breakeven calibrate --help`", add_help=False)
    delete = sub.add_parser("delete-scenario", help="delete a saved scenario (admin; rows are otherwise immutable)")
    delete.add_argument("scenario_id")
    args, rest = parser.parse_known_args(argv)
    if args.command == "calibrate":
        from app.calibrate import main as calibrate

        return calibrate(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
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
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
