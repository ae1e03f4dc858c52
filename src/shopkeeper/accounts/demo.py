from django.conf import settings
from django.contrib.auth.models import Group

from shopkeeper.core.changes import Actor
from shopkeeper.core.demo import DemoContext

from . import roles
from .models import User
from .services import user_create

DEMO_USERS = [
    ("head", roles.HEAD_OF_SALES, "Olga", "Smirnova", "ru"),
    ("manager", roles.MANAGER, "Anna", "Kovalenko", "uk"),
    ("manager2", roles.MANAGER, "James", "Miller", "en"),
    ("manager3", roles.MANAGER, "Li", "Wei", "zh-hans"),
    ("warehouse", roles.WAREHOUSE, "Pavel", "Orlov", "ru"),
    ("analyst", roles.ANALYST, "Emma", "Clark", "en"),
]


def load(ctx: DemoContext) -> None:
    roles.roles_sync()
    for username, role, first, last, language in DEMO_USERS:
        if User.objects.filter(username=username).exists():
            continue
        user_create(
            username=username,
            password=settings.SHOPKEEPER_DEMO_PASSWORD,
            role=Group.objects.get(name=role),
            email=f"{username}@example.com",
            first_name=first,
            last_name=last,
            language=language,
            actor=Actor.system("demo"),
        )
