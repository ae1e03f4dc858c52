from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from shopkeeper.core.backup import BackupError, backup_create, human_size


class Command(BaseCommand):
    help = (
        "Back up the database and the uploaded media into one file "
        "(default var/backups/shopkeeper-<UTC time>.tar.gz). Safe while the app runs."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="the file to write, or a folder for the default name")

    def handle(self, *args, path: str | None, **options):
        try:
            result = backup_create(path=Path(path) if path else None)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"backup written: {result.path} ({human_size(result.size)})"))
