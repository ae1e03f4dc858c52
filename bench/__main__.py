"""`python -m bench generate|check|run|report` — see docs/performance.md."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from . import db as bench_db


def _django(db: str, size: str) -> None:
    bench_db.use(db, size)
    import django

    django.setup()


def meta_path(db: str, size: str):
    return bench_db.VAR / f"meta-{db}-{size}.json"


def cmd_generate(db: str, size: str, seed: int) -> dict:
    started = time.monotonic()
    bench_db.recreate(db, size)
    _django(db, size)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(f"[{db}] migrated in {time.monotonic() - started:.0f} s", flush=True)
    from .generate import generate

    meta = generate(size=size, seed=seed, log=lambda m: print(f"[{db}] {m}", flush=True))
    meta["db"] = db
    meta["total_seconds"] = round(time.monotonic() - started, 1)
    bench_db.VAR.mkdir(parents=True, exist_ok=True)
    meta_path(db, size).write_text(json.dumps(meta, indent=2))
    return meta


def cmd_migrate(db: str, size: str) -> None:
    _django(db, size)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def cmd_check(db: str, size: str, after_load: bool = True) -> list[str]:
    _django(db, size)
    from .check import check

    print(f"[{db}] consistency check", flush=True)
    return check(log=lambda m: print(f"[{db}] {m}", flush=True), after_load=after_load)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("generate", "check", "run"):
        p = sub.add_parser(name)
        p.add_argument("--db", choices=bench_db.DATABASES, default="sqlite")
        p.add_argument("--size", choices=["XS", "S", "M", "L"], default="S")
        p.add_argument("--seed", type=int, default=2026)
        if name == "run":
            p.add_argument("--quick", action="store_true", help="a short subset (a couple of minutes)")
            p.add_argument("--reuse", action="store_true", help="reuse the generated database if present")
            p.add_argument(
                "--workers",
                type=int,
                default=2 * (os.cpu_count() or 1),
                help="server processes (default: two per core, as docs/operations.md advises)",
            )
            p.add_argument("--duration", type=float, default=None, help="seconds per timed step")
            p.add_argument(
                "--worker-processes",
                type=int,
                default=1,
                help="W9: `shopkeeper worker --processes N` (outbox dispatchers and webhook senders, each)",
            )
            p.add_argument(
                "--only",
                default="",
                help="comma-separated scenarios to run: W1, W8, W9, or READS (W3..W5o); prints them, saves no results",
            )
    sub.add_parser("report", help="rewrite docs/performance.md from bench/results/*.json")
    args = parser.parse_args(argv)
    if args.command == "generate":
        cmd_generate(args.db, args.size, args.seed)
        failures = cmd_check(args.db, args.size)
    elif args.command == "check":
        failures = cmd_check(args.db, args.size, after_load=False)
    elif args.command == "report":
        from .report import write_report

        write_report()
        return 0
    else:
        from .run import run

        failures = run(args)
    if failures:
        print("FAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
