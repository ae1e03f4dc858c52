from django.urls import path

from . import views

app_name = "orders"

urlpatterns = [
    path("", views.order_list, name="list"),
    path("new/", views.order_new, name="new"),
    path("live/", views.live_stream, name="live"),
    path("counters/", views.order_counters, name="counters"),
    path("<int:pk>/", views.order_detail, name="detail"),
    path("<int:pk>/status/", views.order_status, name="status"),
    path("<int:pk>/fields/", views.order_fields, name="fields"),
    path("<int:pk>/lines/", views.order_lines, name="lines"),
    path("<int:pk>/payments/", views.order_payment_add, name="payment_add"),
    path("<int:pk>/payments/<int:payment_id>/", views.order_payment_update, name="payment_update"),
    path("<int:pk>/comment/", views.order_comment, name="comment"),
    path("<int:pk>/timeline/", views.order_timeline, name="timeline"),
    path("<int:pk>/invoice/", views.order_print, {"document": "invoice"}, name="invoice"),
    path("<int:pk>/packing-slip/", views.order_print, {"document": "packing_slip"}, name="packing_slip"),
    path("bulk/", views.order_bulk, name="bulk"),
    path("views/save/", views.saved_view_save, name="view_save"),
    path("views/<int:pk>/delete/", views.saved_view_delete, name="view_delete"),
    path("offers/", views.offer_search, name="offer_search"),
    path("customers/", views.customer_lookup, name="customer_lookup"),
    path("settings/", views.order_settings, name="settings"),
    path("settings/assignment/", views.assignment_rules, name="assignment"),
]
