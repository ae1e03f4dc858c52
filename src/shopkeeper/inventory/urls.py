from django.urls import path

from . import views

app_name = "inventory"

urlpatterns = [
    path("", views.stock_list, name="stock"),
    path("low/", views.low_stock, name="low_stock"),
    path("adjust/", views.adjust, name="adjust"),
    path("transfer/", views.transfer, name="transfer"),
    path("warehouses/", views.warehouse_list, name="warehouses"),
    path("warehouses/new/", views.warehouse_create, name="warehouse_create"),
    path("warehouses/<int:pk>/", views.warehouse_edit, name="warehouse_edit"),
    path("stores/", views.store_shipping_list, name="stores"),
    path("stores/<int:pk>/", views.store_shipping_edit, name="store_shipping"),
]
