from django.conf import settings
from django.http import HttpRequest

from .nav import sections_for


def shell(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"languages": settings.LANGUAGES}
    sections = sections_for(user)
    path = request.path
    active = max(
        (s for s in sections if path.startswith(s["url"])),
        key=lambda s: len(s["url"]),
        default=None,
    )
    from shopkeeper.accounts.models import WorkStatus

    return {
        "languages": settings.LANGUAGES,
        "work_statuses": WorkStatus.choices,
        "nav_main": [s for s in sections if s["group"] == "main"],
        "nav_settings": [s for s in sections if s["group"] == "settings"],
        "nav_active": active["key"] if active else None,
    }
