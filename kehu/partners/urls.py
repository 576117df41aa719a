from django.urls import path

from kehu.partners import views

urlpatterns = [
    path("", views.partner_list, name="partner_list"),
    path("export/", views.partner_export, name="partner_export"),
    path("new/", views.partner_create_view, name="partner_create"),
    path("overview/", views.partner_overview, name="partner_overview"),
    path("overview/export/", views.partner_ranking_export, name="partner_ranking_export"),
    path("<int:pk>/", views.partner_detail, name="partner_detail"),
    path("<int:pk>/edit/", views.partner_edit, name="partner_edit"),
    path("<int:pk>/target/", views.partner_target, name="partner_target"),
    path("<int:pk>/users/new/", views.partner_user_create, name="partner_user_create"),
]
