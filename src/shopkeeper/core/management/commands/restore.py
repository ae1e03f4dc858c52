from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from shopkeeper.core.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `shopkeeper backup` into the configured database and the media "
        "folder, then migrate it forward if it is older than this version. Stop the server and the "
        "worker first."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the backup file (.tar.gz)")
        parser.add_argument("--yes", action="store_true", help="replace the data the database already holds")

    def handle(self, *args, path: str, yes: bool, **options):
        try:
            result = backup_restore(path=Path(path), overwrite=yes, log=self.stdout.write)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:
            raise CommandError(f"restore failed: {exc}") from exc
        made = result["manifest"]
        self.stdout.write(
            self.style.SUCCESS(
                f"restored the backup of {made['created_at']} (Shopkeeper {made['app_version']})"
            )
        )
