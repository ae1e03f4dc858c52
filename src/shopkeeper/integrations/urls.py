from django.urls import path

from . import views

app_name = "integrations"

urlpatterns = [
    path("webhooks/", views.webhooks, name="webhooks"),
    path("webhooks/<int:pk>/", views.endpoint_detail, name="endpoint"),
    path("webhooks/<int:pk>/toggle/", views.endpoint_toggle, name="endpoint_toggle"),
    path("webhooks/<int:pk>/rotate/", views.endpoint_rotate, name="endpoint_rotate"),
    path("webhooks/<int:pk>/delete/", views.endpoint_delete, name="endpoint_delete"),
    path("deliveries/<int:pk>/replay/", views.delivery_replay, name="delivery_replay"),
]
