"""Adds the v1 routers to :data:`kehu.api.router.api`."""

from kehu.api import anniversaries, contacts, customers, interactions, lists, me, orders, products, tasks
from kehu.api.router import api
from kehu.audit import api as audit_api
from kehu.surveys import api_analysis as survey_analysis
from kehu.surveys import api_definitions as survey_definitions
from kehu.surveys import api_loop as survey_loop
from kehu.surveys import api_distribution as survey_distribution
from kehu.insights import api as insights_api
from kehu.privacy import api as privacy_api
from kehu.accounts import api as accounts_api
from kehu.backup import api as backup_api
from kehu.attachments import api as attachments_api
from kehu.service import api as service_api
from kehu.sales import api_opportunities as opportunities_api
from kehu.sales import api_key_accounts as key_accounts_api
from kehu.sales import api_quotes as quotes_api
from kehu.customfields import api as customfields_api
from kehu.kb import api as kb_api
from kehu.engagement import api as visits_api
from kehu.sales import api_xsell as xsell_api

api.add_router("/customers", customers.router)
api.add_router("/customers", anniversaries.router)
api.add_router("/contacts", contacts.router)
api.add_router("/interactions", interactions.router)
api.add_router("/products", products.router)
api.add_router("/product-lines", products.lines_router)
api.add_router("/orders", orders.router)
api.add_router("/me", me.router)
api.add_router("/tasks", tasks.router)
api.add_router("/saved-views", lists.views_router)
api.add_router("/lists", lists.router)
api.add_router("/search", lists.search_router)
api.add_router("/surveys", survey_definitions.router)
api.add_router("/survey-templates", survey_definitions.templates_router)
api.add_router("/surveys", survey_analysis.router)
api.add_router("/surveys", survey_loop.router)
api.add_router("/surveys", survey_distribution.survey_router)
api.add_router("/waves", survey_distribution.router)
api.add_router("/invitations", survey_distribution.invitations_router)
api.add_router("/responses", survey_distribution.responses_router)
api.add_router("/value", insights_api.router)
api.add_router("/customers", privacy_api.router)
api.add_router("/security", accounts_api.router)
api.add_router("/audit-events", audit_api.router)
api.add_router("/backups", backup_api.router)
api.add_router("/cases", service_api.router)
api.add_router("/case-categories", service_api.categories_router)
api.add_router("/kb", kb_api.router)
api.add_router("/opportunities", opportunities_api.router)
api.add_router("/pipelines", opportunities_api.pipelines_router)
api.add_router("/lost-reasons", opportunities_api.reasons_router)
api.add_router("/key-account-plans", key_accounts_api.router)
api.add_router("/sla-policies", service_api.sla_router)
api.add_router("/intake-links", service_api.intake_router)
api.add_router("/service-settings", service_api.settings_router)
api.add_router("", attachments_api.router)
api.add_router("/custom-fields", customfields_api.router)
api.add_router("/visits", visits_api.router)

from kehu.sales import api_performance as performance_api  # noqa: E402

api.add_router("/sales", performance_api.router)
api.add_router("/associations", xsell_api.router)
api.add_router("/customers", xsell_api.customers_router)
from kehu.sales import api_pool as pool_api  # noqa: E402

api.add_router("/leads", pool_api.router)
api.add_router("/pool-settings", pool_api.settings_router)
from kehu.sales import api_forecast as forecast_api  # noqa: E402

api.add_router("/forecast", forecast_api.router)
api.add_router("/quotas", forecast_api.quotas_router)
api.add_router("/quotes", quotes_api.router)

from kehu.marketing.winback import api as winback_api  # noqa: E402

api.add_router("/winback", winback_api.router)

from kehu.marketing.coupons import api as coupons_api  # noqa: E402

api.add_router("/coupons", coupons_api.router)

from kehu.marketing.membership import api as membership_api  # noqa: E402

api.add_router("/members", membership_api.router)
api.add_router("/points", membership_api.points_router)

from kehu.marketing.outreach import api as outreach_api  # noqa: E402

api.add_router("/outreach", outreach_api.router)
from kehu.marketing.care import api as care_api  # noqa: E402

api.add_router("/care", care_api.router)
from kehu.marketing.targeting import api as targeting_api  # noqa: E402

api.add_router("/targeting", targeting_api.router)
from kehu.marketing.referrals import api as referrals_api  # noqa: E402

api.add_router("/referrals", referrals_api.router)
from kehu.marketing.campaigns import api as campaigns_api  # noqa: E402

api.add_router("/campaigns", campaigns_api.router)
from kehu.org import api as org_api  # noqa: E402

api.add_router("/teams", org_api.teams_router)
api.add_router("/users", org_api.users_router)
from kehu.org import api_employees  # noqa: E402
from kehu.surveys.staff import api as staff_api  # noqa: E402

api.add_router("/employees", api_employees.router)
api.add_router("/surveys", staff_api.router)
api.add_router("/waves", staff_api.waves_router)

from kehu.partners import api as partners_api  # noqa: E402

api.add_router("/partners", partners_api.router)
from kehu.imports import api as imports_api  # noqa: E402

api.add_router("/imports", imports_api.router)
