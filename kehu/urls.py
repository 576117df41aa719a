from django.urls import include, path

from kehu.api.router import api
from kehu.surveys import views_answer

urlpatterns = [
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("import/", include("kehu.imports.urls")),
    path("audit/", include("kehu.audit.urls")),
    path("surveys/", include("kehu.surveys.urls")),
    # The public answer page of a personal survey link (no login).
    path("s/<str:token>/", views_answer.answer, name="survey_answer"),
    path("s/<str:token>/autosave/", views_answer.autosave, name="survey_answer_autosave"),
    path("value/", include("kehu.insights.urls")),
    path("privacy/", include("kehu.privacy.urls")),
    path("attachments/", include("kehu.attachments.urls")),
    path("cases/", include("kehu.service.urls")),
    # The public service form and its status page (no login).
    path("service/", include("kehu.service.public_urls")),
    path("opportunities/", include("kehu.sales.urls")),
    path("forecast/", include("kehu.sales.forecast_urls")),
    path("quotes/", include("kehu.sales.quote_urls")),
    path("visits/", include("kehu.engagement.urls")),
    path("sales/", include("kehu.sales.urls_performance")),
    path("sales/", include("kehu.sales.urls_xsell")),
    path("pool/", include("kehu.sales.urls_pool")),
    # The public lead form (no login).
    path("leads/", include("kehu.sales.public_urls")),
    path("key-accounts/", include("kehu.sales.key_account_urls")),
    path("winback/", include("kehu.marketing.winback.urls")),
    path("", include("kehu.kb.urls")),
    path("coupons/", include("kehu.marketing.coupons.urls")),
    path("members/", include("kehu.marketing.membership.urls")),
    path("outreach/", include("kehu.marketing.outreach.urls")),
    path("care/", include("kehu.marketing.care.urls")),
    path("marketing/targeting/", include("kehu.marketing.targeting.urls")),
    path("referrals/", include("kehu.marketing.referrals.urls")),
    # The public referral link: a friend leaves their details (no login).
    path("r/", include("kehu.marketing.referrals.public_urls")),
    path("campaigns/", include("kehu.marketing.campaigns.urls")),
    # The tracked link of a campaign's message (no login).
    path("c/", include("kehu.marketing.campaigns.public_urls")),
    path("marketing/", include("kehu.marketing.cards")),   # the 360 page's marketing cards (htmx)
    # The unsubscribe link of the messages sent to customers (no login).
    path("u/", include("kehu.marketing.outreach.public_urls")),

    # sign in and out, passwords, two-step sign-in, the administrators' sign-in page
    path("", include("kehu.accounts.urls")),
    path("backups/", include("kehu.backup.urls")),
    path("settings/custom-fields/", include("kehu.customfields.urls")),
    path("partners/", include("kehu.partners.urls")),
    path("settings/", include("kehu.org.urls")),   # teams and users (administrators)
    path("settings/sla-policies/", include("kehu.service.urls_settings")),
    path("settings/pipelines/", include("kehu.sales.urls_settings")),
    path("", include("kehu.web.urls")),
]

handler404 = "kehu.web.views.errors.not_found"
handler403 = "kehu.web.views.errors.forbidden"
handler500 = "kehu.web.views.errors.server_error"
handler400 = "kehu.web.views.errors.bad_request"
