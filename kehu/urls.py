from django.urls import include, path

from kehu.api.router import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("import/", include("kehu.imports.urls")),
    path("surveys/", include("kehu.surveys.urls")),
    path("value/", include("kehu.insights.urls")),
    path("", include("kehu.web.urls")),
]

handler404 = "kehu.web.views.errors.not_found"
handler403 = "kehu.web.views.errors.forbidden"
handler500 = "kehu.web.views.errors.server_error"
handler400 = "kehu.web.views.errors.bad_request"
