from django.core.management.base import BaseCommand

from shopkeeper.core.demo import load_demo


class Command(BaseCommand):
    help = "Load a realistic demo store: users of each role, stores and each domain's data."

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=["S", "M", "L"], default="M", help="M (default), S or L")
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, size: str, seed: int, **options):
        load_demo(size=size, seed=seed, log=lambda m: self.stdout.write(m))
        self.stdout.write(self.style.SUCCESS("demo data loaded"))
