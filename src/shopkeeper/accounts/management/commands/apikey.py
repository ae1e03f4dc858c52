from django.core.management.base import BaseCommand, CommandError

from shopkeeper.accounts.models import ApiKey, Scope
from shopkeeper.accounts.services import apikey_create, apikey_revoke
from shopkeeper.core.changes import Actor
from shopkeeper.stores.models import Store


class Command(BaseCommand):
    help = "Create, list and revoke API keys. A new key is printed once; only its hash is stored."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a key and print it once")
        create.add_argument("--name", required=True)
        create.add_argument("--scopes", required=True, help=f"comma-separated: {', '.join(Scope.values)}")
        create.add_argument("--stores", default="", help="comma-separated store codes (default: all stores)")
        sub.add_parser("list", help="list keys")
        revoke = sub.add_parser("revoke", help="revoke a key by its prefix (the part after sk_)")
        revoke.add_argument("prefix")

    def handle(self, *args, action: str, **options):
        actor = Actor.system("cli")
        if action == "create":
            scopes = [s.strip() for s in options["scopes"].split(",") if s.strip()]
            unknown = sorted(set(scopes) - set(Scope.values))
            if unknown:
                raise CommandError(f"unknown scopes: {', '.join(unknown)}; known: {', '.join(Scope.values)}")
            codes = [c.strip() for c in options["stores"].split(",") if c.strip()]
            stores = list(Store.objects.filter(code__in=codes))
            missing = sorted(set(codes) - {s.code for s in stores})
            if missing:
                raise CommandError(f"unknown stores: {', '.join(missing)}")
            issued = apikey_create(name=options["name"], scopes=scopes, stores=stores, actor=actor)
            self.stdout.write(issued.secret)
            self.stderr.write("Keep this key now: it is not shown again.")
        elif action == "list":
            for key in ApiKey.objects.prefetch_related("stores"):
                state = "revoked" if key.revoked_at else "active"
                stores = ",".join(s.code for s in key.stores.all()) or "*"
                used = key.last_used_at.isoformat() if key.last_used_at else "never"
                self.stdout.write(
                    f"{key.prefix}\t{state}\t{key.name}\t{','.join(key.scopes)}\t{stores}\t{used}"
                )
        elif action == "revoke":
            key = ApiKey.objects.filter(prefix=options["prefix"].removeprefix("sk_").split("_")[0]).first()
            if key is None:
                raise CommandError("no key with that prefix")
            apikey_revoke(api_key=key, actor=actor)
            self.stdout.write(f"revoked {key.prefix} ({key.name})")
