from django.urls import path

from kehu.customfields import views

urlpatterns = [
    path("", views.custom_field_list, name="custom_field_list"),
    path("new/", views.custom_field_create, name="custom_field_create"),
    path("<int:pk>/edit/", views.custom_field_edit, name="custom_field_edit"),
    path("<int:pk>/deactivate/", views.custom_field_deactivate, name="custom_field_deactivate"),
    path("<int:pk>/delete/", views.custom_field_delete, name="custom_field_delete"),
]
