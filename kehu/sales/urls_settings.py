from django.urls import path

from kehu.sales import views_settings as views

urlpatterns = [
    path("", views.pipeline_settings_view, name="pipeline_settings"),
    path("new/", views.pipeline_create_view, name="pipeline_create"),
    path("<int:pk>/edit/", views.pipeline_edit_view, name="pipeline_edit"),
    path("<int:pk>/stages/new/", views.stage_create_view, name="stage_create"),
    path("stages/<int:pk>/edit/", views.stage_edit_view, name="stage_edit"),
    path("stages/<int:pk>/delete/", views.stage_delete_view, name="stage_delete"),
    path("reasons/new/", views.lost_reason_create_view, name="lost_reason_create"),
    path("reasons/<int:pk>/edit/", views.lost_reason_edit_view, name="lost_reason_edit"),
]
