"""Settings of the `shopkeeper worker` that W9 starts: the app's settings, plus the opt-in that lets the
webhook dispatcher deliver to the loopback receiver (`SHOPKEEPER_WEBHOOKS_ALLOW_PRIVATE=1` in the
environment; the app reads it as a Django setting, and its settings module does not read that variable
from the environment itself)."""

import os

from shopkeeper.settings import *  # noqa: F403

if os.environ.get("SHOPKEEPER_WEBHOOKS_ALLOW_PRIVATE", "").lower() in {"1", "true", "yes", "on"}:
    SHOPKEEPER_WEBHOOKS_ALLOW_PRIVATE = True
