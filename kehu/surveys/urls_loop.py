"""URLs of closing the loop (under /surveys/): a survey's improvement actions."""

from django.urls import path

from kehu.surveys import views_loop as v

urlpatterns = [
    path("<int:pk>/actions/", v.action_list, name="survey_actions"),
    path("<int:pk>/actions/new/", v.action_create, name="survey_action_create"),
    path("<int:pk>/actions/<int:a>/edit/", v.action_edit, name="survey_action_edit"),
    path("<int:pk>/actions/<int:a>/delete/", v.action_delete, name="survey_action_delete"),
]
