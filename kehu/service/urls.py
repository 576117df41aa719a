from django.urls import path

from kehu.service import views

urlpatterns = [
    path("", views.case_queue, name="case_queue"),
    path("new/", views.case_create_view, name="case_create"),
    path("from-interaction/<int:interaction_pk>/", views.case_from_interaction_view, name="case_from_interaction"),
    path("<int:pk>/", views.case_detail, name="case_detail"),
    path("<int:pk>/edit/", views.case_edit_view, name="case_edit"),
    path("<int:pk>/transition/", views.case_transition_view, name="case_transition"),
    path("<int:pk>/validity/", views.case_judge_view, name="case_judge"),
    path("<int:pk>/steps/<slug:step>/", views.case_step_view, name="case_step"),
    path("<int:pk>/comment/", views.case_comment_view, name="case_comment"),
    path("<int:pk>/assign/", views.case_assign_view, name="case_assign"),
    path("serial-lookup/", views.case_serial_lookup, name="case_serial_lookup"),
    path("warranty-terms/", views.warranty_terms_view, name="warranty_terms"),
    path("installed-base/<int:customer_pk>/", views.installed_base_view, name="installed_base"),
    path("<int:pk>/repairs/", views.repair_add_view, name="case_repair_add"),
    path("<int:pk>/repairs/<int:repair_pk>/", views.repair_edit_view, name="case_repair_edit"),
    path("<int:pk>/repairs/<int:repair_pk>/delete/", views.repair_delete_view, name="case_repair_delete"),
    path("<int:pk>/draft-article/", views.case_draft_article_view, name="case_draft_article"),
]
