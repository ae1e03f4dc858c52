import gc
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shopkeeper.settings")
django.setup(set_prefix=False)

from django.urls import get_resolver  # noqa: E402  (after setup)

from shopkeeper.core.asgi import Handler  # noqa: E402  (after setup: the handler loads the middleware)

application = Handler(threads=int(os.environ.get("SHOPKEEPER_REQUEST_THREADS", "4")))

# Import every view now (the URLconf imports them) and move what the process has loaded so far out of
# the collector's reach: a full collection otherwise walks these ~130k lasting objects, a 70 ms pause
# in whichever request triggers it (about one in 500 order cards).
get_resolver().url_patterns  # noqa: B018
gc.collect()
gc.freeze()
