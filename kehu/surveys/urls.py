"""URLs of the survey pages (under /surveys/). Each part of the workflow keeps
its own URL module, included here: definitions (the designer), distribution
(waves, sampling, invitations, phone entry), analysis (results, report)."""

from django.urls import include, path

urlpatterns: list = [
    path("", include("kehu.surveys.urls_design")),
    path("", include("kehu.surveys.urls_analysis")),
    path("", include("kehu.surveys.urls_loop")),
    path("", include("kehu.surveys.urls_distribution")),
    path("", include("kehu.surveys.staff.urls")),
]
