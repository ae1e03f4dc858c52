from django.urls import include, path

from shopkeeper.api import api
from shopkeeper.core import views as core_views

handler403 = "shopkeeper.core.views.permission_denied"

urlpatterns = [
    path("", include(("shopkeeper.core.urls", "core"))),
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("language", core_views.language_set, name="language_set"),
    path("api/v1/", api.urls),
    path("", include("shopkeeper.accounts.urls")),
    path("settings/stores/", include("shopkeeper.stores.urls")),
    path("catalog/", include("shopkeeper.catalog.urls")),
    path("inventory/", include("shopkeeper.inventory.urls")),
    path("customers/", include("shopkeeper.customers.urls")),
    path("orders/", include("shopkeeper.orders.urls")),
    path("intake/", include("shopkeeper.intake.urls")),
    path("integrations/", include("shopkeeper.integrations.urls")),
]
