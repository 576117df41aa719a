from django.urls import path

from kehu.service import views, views_intake

urlpatterns = [
    path("", views.case_queue, name="case_queue"),
    path("new/", views.case_create_view, name="case_create"),
    path("settings/", views.service_settings_view, name="case_settings"),
    path("from-interaction/<int:interaction_pk>/", views.case_from_interaction_view, name="case_from_interaction"),
    path("<int:pk>/", views.case_detail, name="case_detail"),
    path("<int:pk>/edit/", views.case_edit_view, name="case_edit"),
    path("<int:pk>/transition/", views.case_transition_view, name="case_transition"),
    path("<int:pk>/validity/", views.case_judge_view, name="case_judge"),
    path("<int:pk>/steps/<slug:step>/", views.case_step_view, name="case_step"),
    path("<int:pk>/comment/", views.case_comment_view, name="case_comment"),
    path("<int:pk>/assign/", views.case_assign_view, name="case_assign"),
    path("<int:pk>/return-visit/", views.case_return_visit_start_view, name="case_return_visit_start"),
    path("<int:pk>/return-visit/result/", views.case_return_visit_result_view, name="case_return_visit_result"),
    path("serial-lookup/", views.case_serial_lookup, name="case_serial_lookup"),
    path("warranty-terms/", views.warranty_terms_view, name="warranty_terms"),
    path("installed-base/<int:customer_pk>/", views.installed_base_view, name="installed_base"),
    path("<int:pk>/repairs/", views.repair_add_view, name="case_repair_add"),
    path("<int:pk>/repairs/<int:repair_pk>/", views.repair_edit_view, name="case_repair_edit"),
    path("<int:pk>/repairs/<int:repair_pk>/delete/", views.repair_delete_view, name="case_repair_delete"),
    path("<int:pk>/draft-article/", views.case_draft_article_view, name="case_draft_article"),
    path("<int:pk>/attachments/", views.case_attachments_view, name="case_attachments"),
    path("<int:pk>/attachments/<int:att>/download/", views.case_attachment_download, name="case_attachment_download"),
    path("<int:pk>/attachments/<int:att>/delete/", views.case_attachment_delete_view, name="case_attachment_delete"),
    path("intake-links/", views_intake.intake_links, name="intake_links"),
    path("intake-links/<int:pk>/qr.<str:fmt>", views_intake.intake_link_qr, name="intake_link_qr"),
    path("intake-links/<int:pk>/deactivate/", views_intake.intake_link_deactivate, name="intake_link_deactivate"),
]
