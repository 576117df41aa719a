from django.urls import path

from kehu.backup import views

urlpatterns = [
    path("", views.backup_list, name="backup_list"),
    path("table/", views.backup_table, name="backup_table"),
    path("new/", views.backup_create, name="backup_create"),
    path("<int:pk>/download/", views.backup_download, name="backup_download"),
    path("<int:pk>/delete/", views.backup_remove, name="backup_delete"),
    path("<int:pk>/retry/", views.backup_run_again, name="backup_retry"),
]
