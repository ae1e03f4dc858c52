from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("", views.product_list, name="products"),
    path("products/new/", views.product_create, name="product_create"),
    path("products/<int:pk>/", views.product_detail, name="product"),
    path("products/<int:pk>/edit/", views.product_edit, name="product_edit"),
    path("products/<int:product_pk>/offers/new/", views.offer_create, name="offer_create"),
    path("offers/<int:pk>/edit/", views.offer_edit, name="offer_edit"),
    path("groups/new/", views.group_create, name="group_create"),
    path("imports/", views.import_list, name="imports"),
    path("imports/<int:pk>/", views.import_detail, name="import"),
    path("price-types/", views.price_type_list, name="price_types"),
    path("price-types/new/", views.price_type_create, name="price_type_create"),
    path("price-types/<int:pk>/", views.price_type_edit, name="price_type_edit"),
    path("feeds/", views.feed_list, name="feeds"),
    path("feeds/new/", views.feed_create, name="feed_create"),
    path("feeds/<int:pk>/", views.feed_edit, name="feed_edit"),
    path("feeds/<int:pk>/run/", views.feed_run, name="feed_run"),
    path("feeds/<int:pk>/delete/", views.feed_delete, name="feed_delete"),
]
