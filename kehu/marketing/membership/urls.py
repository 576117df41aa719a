from django.urls import path

from kehu.marketing.membership import views

urlpatterns = [
    path("", views.member_list, name="member_list"),
    path("export/", views.member_export, name="member_export"),
    path("<int:pk>/", views.member_detail, name="member_detail"),
    path("<int:pk>/points/", views.member_points, name="member_points"),
    path("<int:pk>/exchange/", views.member_exchange, name="member_exchange"),
    path("<int:pk>/settings/", views.member_settings, name="member_settings"),
    path("enrol/<int:customer_pk>/", views.member_enrol, name="member_enrol"),
    path("tiers/", views.tier_list, name="membership_tiers"),
    path("tiers/new/", views.tier_create, name="membership_tier_create"),
    path("tiers/<int:pk>/", views.tier_edit, name="membership_tier_edit"),
    path("tiers/<int:pk>/delete/", views.tier_delete, name="membership_tier_delete"),
    path("rules/", views.rule_list, name="membership_rules"),
    path("rules/new/", views.rule_create, name="membership_rule_create"),
    path("rules/<int:pk>/", views.rule_edit, name="membership_rule_edit"),
    path("rules/<int:pk>/delete/", views.rule_delete, name="membership_rule_delete"),
]
