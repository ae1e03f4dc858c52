import logging

from django.core.management.base import BaseCommand
from django.db import connection

from shopkeeper.core.worker import plan, run_forever


class Command(BaseCommand):
    help = (
        "Run the background worker: dispatch events from the outbox, send webhooks and run queued tasks, "
        "each loop in its own supervised process."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--processes",
            type=int,
            default=1,
            help="outbox dispatchers and webhook senders, each (default 1; the outbox stays at 1 on SQLite)",
        )
        parser.add_argument(
            "--threads",
            action="store_true",
            help="run the loops as threads of this one process (less memory, less throughput)",
        )

    def handle(self, *args, processes: int, threads: bool, **options):
        logging.getLogger("shopkeeper").setLevel(logging.INFO)
        loops = ", ".join(loop.name for loop in plan(processes))
        mode = "threads" if threads else "processes"
        self.stdout.write(f"worker running ({mode}: {loops}); Ctrl+C stops it")
        if processes > 1 and connection.vendor != "postgresql" and not threads:
            self.stdout.write("SQLite: one outbox dispatcher (its chunks hold the single write lock)")
        run_forever(processes=processes, threads=threads)
