from django.urls import path

from kehu.insights import views

# URL names are a contract: the navigation, the dashboard, the 360 page and tests link to them.
urlpatterns = [
    path("", views.overview, name="value_overview"),
    path("rfm/", views.rfm, name="value_rfm"),
    path("groups/export/", views.groups_export, name="value_groups_export"),
    path("scores/", views.scores, name="value_scores"),
    path("scores/export/", views.scores_export, name="value_scores_export"),
    path("churn/", views.churn, name="value_churn"),
    path("churn/export/", views.churn_export, name="value_churn_export"),
    path("migration/", views.migration, name="value_migration"),
    path("migration/export/", views.migration_export, name="value_migration_export"),
    path("calls/", views.calls, name="value_calls"),
    path("runs/", views.run_index, name="value_runs"),
    path("runs/new/", views.run_create, name="value_run_create"),
    path("runs/<int:pk>/", views.run_detail, name="value_run_detail"),
    path("runs/<int:pk>/progress/", views.run_progress, name="value_run_progress"),
    path("runs/<int:pk>/retry/", views.run_retry_view, name="value_run_retry"),
    path("settings/", views.settings_view, name="value_settings"),
    path("segments/", views.segment_index, name="segment_list"),
    path("segments/new/", views.segment_new, name="segment_create"),
    path("segments/<int:pk>/", views.segment_detail, name="segment_detail"),
    path("segments/<int:pk>/edit/", views.segment_edit, name="segment_edit"),
    path("segments/<int:pk>/delete/", views.segment_remove, name="segment_delete"),
    path("segments/<int:pk>/export/", views.segment_export, name="segment_export"),
]
