from django.urls import path

from kehu.sales import key_account_views as views

urlpatterns = [
    path("", views.key_account_list, name="key_account_list"),
    path("new/", views.key_account_create, name="key_account_create"),
    path("<int:pk>/", views.key_account_detail, name="key_account_detail"),
    path("<int:pk>/edit/", views.key_account_edit, name="key_account_edit"),
    path("<int:pk>/delete/", views.key_account_delete, name="key_account_delete"),
]
