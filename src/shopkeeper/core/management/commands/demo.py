from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from shopkeeper.accounts.models import User

from .serve import serve


class Command(BaseCommand):
    help = "Migrate, load the demo store, create the administrator, and serve with the worker."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--size", choices=["S", "M", "L"], default="M", help="M (default), S or L")
        parser.add_argument("--no-serve", action="store_true", help="prepare everything, do not serve")

    def handle(self, *args, host: str, port: int, size: str, no_serve: bool, **options):
        call_command("migrate", interactive=False, verbosity=0)
        username, password = settings.SHOPKEEPER_DEMO_ADMIN, settings.SHOPKEEPER_DEMO_PASSWORD
        if not User.objects.filter(username=username).exists():
            call_command("createadmin", username=username, password=password, email="admin@example.com")
        call_command("loaddemo", size=size)
        shown = (
            password if User.objects.get(username=username).check_password(password) else "(as you set it)"
        )
        if no_serve:
            where = f"  Ready: `shopkeeper serve --with-worker --port {port}` serves it at http://{host}:{port}/\n"
        else:
            where = f"  Shopkeeper is running at http://{host}:{port}/ (Ctrl+C stops it)\n"
        self.stdout.write(
            self.style.SUCCESS(
                f"\n{where}"
                f"  Sign in as {username} / {shown}\n"
                f"  Other demo users (same password): head, manager, warehouse, analyst\n"
            )
        )
        if not no_serve:
            serve(host=host, port=port, with_worker=True)
