from django.urls import path

from kehu.service import views_settings as views

urlpatterns = [
    path("", views.sla_policy_list_view, name="sla_policy_list"),
    path("new/", views.sla_policy_create_view, name="sla_policy_create"),
    path("<int:pk>/edit/", views.sla_policy_edit_view, name="sla_policy_edit"),
    path("<int:pk>/delete/", views.sla_policy_delete_view, name="sla_policy_delete"),
]
