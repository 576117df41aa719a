from django.urls import path

from kehu.attachments import views

urlpatterns = [
    path("<str:kind>/<int:pk>/", views.section, name="attachment_section"),
    path("<int:pk>/download/", views.download, name="attachment_download"),
    path("<int:pk>/delete/", views.delete, name="attachment_delete"),
]
