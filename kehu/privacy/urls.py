from django.urls import path

from kehu.privacy import views

urlpatterns = [
    path("customers/<int:pk>/reveal/", views.reveal, name="privacy_reveal"),
    path("customers/<int:pk>/export/", views.export, name="privacy_export"),
    path("customers/<int:pk>/erase/", views.erase, name="privacy_erase"),
]
