from django.urls import path

from . import views

urlpatterns = [
    path("", views.message_list, name="outreach_messages"),
    path("messages/<int:pk>/", views.message_detail, name="outreach_message"),
    path("messages/export/", views.message_export, name="outreach_message_export"),
    path("lists/<str:channel>/mark-sent/", views.queue_mark_sent, name="outreach_mark_sent"),
    path("templates/", views.template_list, name="outreach_templates"),
    path("templates/new/", views.template_create, name="outreach_template_create"),
    path("templates/<int:pk>/edit/", views.template_edit, name="outreach_template_edit"),
    path("templates/<int:pk>/delete/", views.template_delete, name="outreach_template_delete"),
    path("templates/<int:pk>/preview/", views.template_preview, name="outreach_template_preview"),
    path("suppressions/", views.suppression_list, name="outreach_suppressions"),
    path("suppressions/<int:pk>/remove/", views.suppression_remove, name="outreach_suppression_remove"),
    path("settings/", views.gate_settings, name="outreach_settings"),
    path("customers/<int:pk>/language/", views.customer_language, name="outreach_customer_language"),
]
