from django.urls import path

from . import views

urlpatterns = [
    path("", views.referral_list, name="referral_list"),
    path("new/", views.referral_create, name="referral_create"),
    path("rule/", views.rule_edit, name="referral_rule"),
    path("leaderboard/", views.leaderboard, name="referral_leaderboard"),
    path("code/<int:customer_id>/", views.customer_code, name="referral_customer_code"),
]
