"""The public referral link (no login): /r/<code>/ (kehu/marketing/referrals/views.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("<str:code>/", views.public_form, name="referral_public_form"),
]
