import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shopkeeper.settings")
django.setup(set_prefix=False)

from shopkeeper.core.asgi import Handler  # noqa: E402  (after setup: the handler loads the middleware)

application = Handler(threads=int(os.environ.get("SHOPKEEPER_REQUEST_THREADS", "4")))
