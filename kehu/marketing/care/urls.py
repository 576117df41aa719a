from django.urls import path

from . import views

urlpatterns = [
    path("", views.calendar, name="care_calendar"),
    path("moments/", views.moment_list, name="care_moments"),
    path("mark/", views.mark, name="care_mark"),
    path("rules/", views.rule_list, name="care_rules"),
    path("rules/new/", views.rule_create, name="care_rule_create"),
    path("rules/<int:pk>/edit/", views.rule_edit, name="care_rule_edit"),
    path("rules/<int:pk>/delete/", views.rule_delete, name="care_rule_delete"),
]
