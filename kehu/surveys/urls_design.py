"""URLs of the survey designer (under /surveys/). Names are a contract: the
nav links ``survey_list``; the other parts link ``survey_detail``."""

from django.urls import path

from kehu.surveys import views_design as v

urlpatterns = [
    path("", v.survey_list, name="survey_list"),
    path("new/", v.survey_create, name="survey_create"),
    path("import/", v.survey_import, name="survey_import"),
    path("<int:pk>/", v.survey_detail, name="survey_detail"),
    path("<int:pk>/edit/", v.survey_edit, name="survey_edit"),
    path("<int:pk>/status/", v.survey_status, name="survey_status"),
    path("<int:pk>/copy/", v.survey_copy, name="survey_copy"),
    path("<int:pk>/delete/", v.survey_delete, name="survey_delete"),
    path("<int:pk>/export/", v.survey_export, name="survey_export"),
    path("<int:pk>/load/", v.survey_load, name="survey_load"),
    path("<int:pk>/preview/", v.survey_preview, name="survey_preview"),
    path("<int:pk>/indicators/", v.indicator_tree, name="survey_indicators"),
    path("<int:pk>/indicators/new/", v.indicator_create, name="survey_indicator_create"),
    path("<int:pk>/indicators/<int:ind>/edit/", v.indicator_edit, name="survey_indicator_edit"),
    path("<int:pk>/indicators/<int:ind>/delete/", v.indicator_delete, name="survey_indicator_delete"),
    path("<int:pk>/indicators/<int:ind>/move/", v.indicator_move, name="survey_indicator_move"),
    path("<int:pk>/indicators/<int:ind>/weights/", v.indicator_weights, name="survey_weights"),
    path("<int:pk>/indicators/<int:ind>/ahp/", v.indicator_ahp, name="survey_ahp"),
    path("<int:pk>/indicators/<int:ind>/ahp/check/", v.indicator_ahp_check, name="survey_ahp_check"),
    path("<int:pk>/questions/", v.question_list, name="survey_questions"),
    path("<int:pk>/questions/new/", v.question_create, name="survey_question_create"),
    path("<int:pk>/questions/<int:q>/edit/", v.question_edit, name="survey_question_edit"),
    path("<int:pk>/questions/<int:q>/delete/", v.question_delete, name="survey_question_delete"),
    path("<int:pk>/questions/<int:q>/move/", v.question_move, name="survey_question_move"),
    path("<int:pk>/model/", v.model_page, name="survey_model"),
    path("<int:pk>/model/constructs/new/", v.construct_form, name="survey_construct_create"),
    path("<int:pk>/model/constructs/<int:c>/edit/", v.construct_form, name="survey_construct_edit"),
    path("<int:pk>/model/constructs/<int:c>/delete/", v.construct_delete, name="survey_construct_delete"),
    path("<int:pk>/model/paths/new/", v.path_create, name="survey_path_create"),
    path("<int:pk>/model/paths/<int:p>/delete/", v.path_delete, name="survey_path_delete"),
]
