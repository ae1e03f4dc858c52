"""The `shopkeeper` command. Each subcommand is a Django management command; any other Django
command works too (`shopkeeper check`, `shopkeeper shell`, ...)."""

from __future__ import annotations

import os
import sys

COMMANDS = {
    "demo": "set up a demo store (migrate, demo data, administrator) and serve it with the worker",
    "serve": "serve the app with the production ASGI server (--host, --port, --workers)",
    "worker": "run the background worker: outbox, webhooks, queued tasks (--processes N, --threads)",
    "migrate": "create or update the database schema",
    "createadmin": "create an administrator (--username, --password, --email)",
    "loaddemo": "load realistic demo data (--size S|M|L)",
    "apikey": "manage API keys: create --name N --scopes a,b [--stores c,d] | list | revoke PREFIX",
    "backup": "back up the database and uploaded files into one file [PATH]",
    "restore": "restore such a backup: PATH [--yes]",
}

HELP = """usage: shopkeeper <command> [options]

Shopkeeper, the CRM for online stores.

commands:
{commands}

Run `shopkeeper <command> --help` for a command's options.
Any Django management command also works, e.g. `shopkeeper check` or `shopkeeper shell`.
Settings come from the environment: DATABASE_URL, REDIS_URL, SECRET_KEY, ALLOWED_HOSTS, EMAIL_URL,
TIME_ZONE (see docs/operations.md).
"""


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shopkeeper.settings")
    if len(argv) < 2 or argv[1] in {"-h", "--help", "help"}:
        width = max(len(c) for c in COMMANDS)
        print(HELP.format(commands="\n".join(f"  {c.ljust(width)}  {h}" for c, h in COMMANDS.items())))
        return
    from django.core.management import execute_from_command_line

    execute_from_command_line(["shopkeeper", *argv[1:]])


if __name__ == "__main__":
    main()
