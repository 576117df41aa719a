from django.urls import path

from kehu.sales import forecast_views as views

urlpatterns = [
    path("", views.forecast_page, name="forecast"),
    path("quotas/", views.quota_list_view, name="quota_list"),
    path("quotas/new/", views.quota_create_view, name="quota_create"),
    path("quotas/<int:pk>/edit/", views.quota_edit_view, name="quota_edit"),
    path("quotas/<int:pk>/delete/", views.quota_delete_view, name="quota_delete"),
]
