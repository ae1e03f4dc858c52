from django.urls import path

from . import views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="create"),
    path("bulk/", views.customer_bulk, name="bulk"),
    path("views/", views.saved_view_save, name="view_save"),
    path("views/<int:pk>/delete/", views.saved_view_delete, name="view_delete"),
    path("<int:pk>/merge/candidates/", views.customer_merge_candidates, name="merge_candidates"),
    path("merge/", views.customer_merge, name="merge"),
    path("duplicates/merge-all/", views.duplicates_merge_all, name="duplicates_merge_all"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("duplicates/<int:pk>/dismiss/", views.duplicate_dismiss, name="duplicate_dismiss"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/edit/", views.customer_edit, name="edit"),
    path("<int:pk>/note/", views.customer_note, name="note"),
    path("<int:pk>/timeline/", views.customer_timeline, name="timeline"),
    path("<int:pk>/export/", views.customer_export, name="export"),
    path("<int:pk>/erase/", views.customer_erase, name="erase"),
    path("companies/", views.company_list, name="companies"),
    path("companies/new/", views.company_create, name="company_create"),
    path("companies/<int:pk>/", views.company_detail, name="company_detail"),
    path("companies/<int:pk>/edit/", views.company_edit, name="company_edit"),
    path("companies/<int:pk>/contacts/", views.company_contact, name="company_contact"),
    path(
        "companies/<int:pk>/contacts/candidates/",
        views.company_contact_candidates,
        name="company_contact_candidates",
    ),
    path("companies/<int:pk>/note/", views.company_note, name="company_note"),
    path("companies/<int:pk>/timeline/", views.company_timeline, name="company_timeline"),
    path("settings/", views.customer_settings, name="settings"),
    path("settings/fields/<int:pk>/", views.custom_field_edit, name="custom_field"),
    path("segments/", views.segment_list, name="segments"),
    path("segments/new/", views.segment_edit, name="segment_create"),
    path("segments/<int:pk>/", views.segment_edit, name="segment_edit"),
]
