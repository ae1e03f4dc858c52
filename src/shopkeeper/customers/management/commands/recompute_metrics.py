from django.core.management.base import BaseCommand

from shopkeeper.customers.metrics import recompute_all


class Command(BaseCommand):
    help = "Recompute every customer's and company's metrics (orders, spent, RFM) from orders."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=1000)

    def handle(self, *args, batch: int, **options):
        done = recompute_all(batch=batch, log=lambda m: self.stdout.write(m))
        self.stdout.write(self.style.SUCCESS(f"Recomputed metrics of {done} customers."))
