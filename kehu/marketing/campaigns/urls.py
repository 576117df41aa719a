from django.urls import path

from . import views

urlpatterns = [
    path("", views.campaign_list, name="campaign_list"),
    path("new/", views.campaign_create, name="campaign_create"),
    path("<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("<int:pk>/edit/", views.campaign_edit, name="campaign_edit"),
    path("<int:pk>/progress/", views.campaign_progress, name="campaign_progress"),
    path("<int:pk>/send/", views.campaign_send, name="campaign_send"),
    path("<int:pk>/cancel/", views.campaign_cancel, name="campaign_cancel"),
    path("<int:pk>/finish/", views.campaign_finish, name="campaign_finish"),
    path("<int:pk>/results/", views.campaign_results, name="campaign_results"),
    path("<int:pk>/costs/", views.campaign_costs, name="campaign_costs"),
    path("<int:pk>/costs/<int:line>/delete/", views.cost_delete, name="campaign_cost_delete"),
    path("<int:pk>/members/", views.campaign_members, name="campaign_members"),
    path("<int:pk>/members/export/", views.members_export, name="campaign_members_export"),
]
