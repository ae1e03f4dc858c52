from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from shopkeeper.accounts.models import User
from shopkeeper.accounts.roles import ADMINISTRATOR, roles_sync
from shopkeeper.accounts.services import user_create
from shopkeeper.core.changes import Actor


class Command(BaseCommand):
    help = "Create an administrator (or do nothing if that user exists)."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--password", help="default: asked for interactively")
        parser.add_argument("--email", default="")

    def handle(self, *args, username: str, password: str | None, email: str, **options):
        if User.objects.filter(username=username).exists():
            self.stdout.write(f"user {username!r} exists; left as it is")
            return
        if not password:
            import getpass

            password = getpass.getpass("Password: ")
            if not password or password != getpass.getpass("Password (again): "):
                raise CommandError("passwords are empty or differ")
        roles_sync()
        user_create(
            username=username,
            password=password,
            email=email,
            role=Group.objects.get(name=ADMINISTRATOR),
            is_superuser=True,
            actor=Actor.system("cli"),
        )
        self.stdout.write(self.style.SUCCESS(f"administrator {username!r} created"))
