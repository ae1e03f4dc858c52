from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Shopkeeper with the production ASGI server (granian), static files included."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1, help="processes (default 1)")
        parser.add_argument("--with-worker", action="store_true", help="also run the background worker")
        parser.add_argument(
            "--worker-processes",
            type=int,
            default=1,
            help="with --with-worker: outbox dispatchers and webhook senders, each (default 1)",
        )
        parser.add_argument("--access-log", action="store_true")

    def handle(
        self,
        *args,
        host: str,
        port: int,
        workers: int,
        with_worker: bool,
        worker_processes: int,
        access_log: bool,
        **options,
    ):
        serve(
            host=host,
            port=port,
            workers=workers,
            with_worker=with_worker,
            worker_processes=worker_processes,
            access_log=access_log,
        )


def serve(
    *,
    host: str,
    port: int,
    workers: int = 1,
    with_worker: bool = False,
    worker_processes: int = 1,
    access_log: bool = False,
) -> None:
    import multiprocessing

    from django.db import connections
    from granian import Granian
    from granian.constants import Interfaces

    # Server processes must not inherit this process's open database connections (a forked SQLite
    # connection, or one mid-transaction, wedges the child's locks): spawn them.
    multiprocessing.set_start_method("spawn", force=True)
    connections.close_all()
    worker = None
    if with_worker:
        from shopkeeper.core.worker import start_in_background

        # The worker's loops run as supervised processes of their own; this process supervises them.
        worker = start_in_background(processes=worker_processes)
    try:
        Granian(
            "shopkeeper.asgi:application",
            address=host,
            port=port,
            interface=Interfaces.ASGINL,
            workers=workers,
            log_access=access_log,
            static_path_route=[settings.STATIC_URL.rstrip("/")],
            static_path_mount=[settings.STATIC_ROOT],
        ).serve()
    finally:
        if worker is not None:
            from shopkeeper.core.worker import stop_background

            stop_background(worker)
