from django.urls import path

from kehu.marketing.winback import views

urlpatterns = [
    path("", views.report, name="winback_report"),
    path("export/", views.report_export, name="winback_report_export"),
    path("losses/", views.losses, name="winback_losses"),
    path("losses/export/", views.losses_export, name="winback_losses_export"),
    path("losses/<int:pk>/won-back/", views.won_back, name="winback_won_back"),
    path("candidates/", views.candidates, name="winback_candidates"),
    path("customers/<int:pk>/mark-lost/", views.mark_lost, name="winback_mark_lost"),
]
