from django.urls import path

from kehu.service import views

urlpatterns = [
    path("", views.case_queue, name="case_queue"),
    path("analytics/", views.case_analytics, name="case_analytics"),
    path("analytics/recovery/", views.case_analytics_recovery, name="case_analytics_recovery"),
    path("analytics/pdf/", views.case_analytics_pdf, name="case_analytics_pdf"),
    path("new/", views.case_create_view, name="case_create"),
    path("from-interaction/<int:interaction_pk>/", views.case_from_interaction_view, name="case_from_interaction"),
    path("<int:pk>/", views.case_detail, name="case_detail"),
    path("<int:pk>/edit/", views.case_edit_view, name="case_edit"),
    path("<int:pk>/transition/", views.case_transition_view, name="case_transition"),
    path("<int:pk>/validity/", views.case_judge_view, name="case_judge"),
    path("<int:pk>/steps/<slug:step>/", views.case_step_view, name="case_step"),
    path("<int:pk>/comment/", views.case_comment_view, name="case_comment"),
    path("<int:pk>/assign/", views.case_assign_view, name="case_assign"),
    path("<int:pk>/draft-article/", views.case_draft_article_view, name="case_draft_article"),
]
