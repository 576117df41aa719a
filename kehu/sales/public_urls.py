"""The public lead form (no login): /leads/form/ (kehu/sales/views_pool.py)."""

from django.urls import path

from kehu.sales import views_pool

urlpatterns = [
    path("form/", views_pool.public_lead_form, name="public_lead_form"),
]
