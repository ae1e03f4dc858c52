from django.urls import path

from . import views

app_name = "intake"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:pk>/", views.entry_detail, name="detail"),
    path("<int:pk>/replay/", views.entry_replay, name="replay"),
    path("mappings/", views.mapping_list, name="mappings"),
    path("mappings/<int:pk>/delete/", views.mapping_delete, name="mapping_delete"),
    path("credentials/", views.credentials, name="credentials"),
]
