import logging

from django.core.management.base import BaseCommand

from shopkeeper.core.worker import run_forever


class Command(BaseCommand):
    help = "Run the background worker: dispatch events from the outbox and run queued tasks."

    def handle(self, *args, **options):
        logging.getLogger("shopkeeper").setLevel(logging.INFO)
        self.stdout.write("worker running; Ctrl+C stops it")
        run_forever()
