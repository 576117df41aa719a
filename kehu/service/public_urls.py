"""The public service form and status pages (no login): /service/… (kehu/service/views_intake.py)."""

from django.urls import path

from kehu.service import views_intake

urlpatterns = [
    path("form/<slug:slug>/", views_intake.public_case_form, name="public_case_form"),
    path("status/<str:token>/", views_intake.public_case_status, name="public_case_status"),
]
