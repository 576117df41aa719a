"""Records of every kind the API serves, for tests that go over every
operation of the OpenAPI (Schemathesis, the request guard): the ids of
existing records by path parameter name. Import the fixture into a test
module with ``from tests.api.records import records  # noqa: F401`` (it needs
``value`` from tests.insights.value_fixtures as well)."""

from __future__ import annotations

import pytest


@pytest.fixture
def records(org, customers, value, settings, tmp_path):
    """Records of every kind the API serves; their ids by path parameter."""
    import datetime as dt

    from kehu.backup.models import Backup
    from kehu.web.models import SavedView
    from tests.factories import AttachmentFactory

    from kehu.customers.models import Anniversary
    from kehu.engagement.services import task_create
    from kehu.service.models import Case, RepairRecord, SlaPolicy
    from kehu.service.services import case_create, repair_create
    from kehu.sales.models import Opportunity, Pipeline
    from kehu.sales.opportunities import opportunity_create
    from kehu.engagement.visits import visit_create
    from kehu.insights.models import Segment
    from kehu.surveys.models import Benchmark, ConstructPath, ImprovementAction, Invitation, Response
    from kehu.surveys.services import distribution as dist
    from kehu.surveys.services.definitions import survey_create_from_template
    from tests.factories import ContactFactory, InteractionFactory, OrderFactory, ProductFactory
    from tests.surveys.factories import BenchmarkFactory, ImprovementActionFactory

    from kehu.customers.models import Contact, Customer
    from kehu.engagement.models import Interaction, PlannedVisit, Task
    from kehu.insights.models import AnalysisRun
    from kehu.sales.models import Order, Product, ProductLine
    from kehu.surveys.models import Construct, Indicator, Question, Wave

    admin = org.users.admin
    ids: dict[str, list[int]] = {}
    for c in (customers.n1, customers.e1):
        ContactFactory(customer=c)
        InteractionFactory(customer=c)
        OrderFactory(customer=c)
        Anniversary.objects.create(customer=c, label="Founded", date=dt.date(2001, 5, 1))
        task_create(actor=c.owner, customer=c, data={"title": "Call back"})
        case = case_create(actor=c.owner, data={"customer": c, "kind": "complaint", "subject": "Bill too high"})
        repair_create(actor=c.owner, case=case, data={"fault": "Seal worn"})
        opportunity_create(actor=c.owner, data={"customer": c, "name": "Coil supply"})
        visit_create(actor=c.owner, customer=c, data={"planned_on": dt.date(2026, 12, 8), "purpose": "Review"})
        from kehu.sales.key_accounts import plan_create
        from kehu.sales.services import order_create

        plan_create(actor=c.owner, customer=c, data={"start_year": 2026, "status": "active",
                                                     "terms": {"credit_limit": 0}},
                    targets=[{"year": 2026, "revenue": "1000", "cost": "800"}])
        order_create(actor=c.owner, customer=c, data={"order_date": dt.date(2026, 12, 1)},
                     lines=[{"quantity": 1, "unit_price": "50"}])   # waits for approval
    quote_product = ProductFactory()
    from kehu.sales.quotes import quote_create, quote_submit

    for c in (customers.n1, customers.e1):
        quote_create(actor=c.owner, customer=c, data={}, lines=[{"product": quote_product, "quantity": "2"}])
        quote_submit(actor=c.owner, quote=quote_create(actor=c.owner, customer=c, data={},
                                                       lines=[{"product": quote_product}]))
    survey = survey_create_from_template(actor=admin, template="natural-gas", code="gas")
    acsi = survey_create_from_template(actor=admin, template="acsi", code="acsi")
    wave = dist.wave_create(actor=admin, survey=survey, name="2026", opens_on=None, closes_on=None,
                            population={"filters": {}}, reminder_after_days=7, max_reminders=2)
    BenchmarkFactory(survey=survey)
    ImprovementActionFactory(survey=survey, indicator=Indicator.objects.filter(survey=survey).first())
    Segment.objects.create(name="Gold", rule={"tier": ["gold"]}, created_by=admin)

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.KEHU_BACKUP_DIR = tmp_path / "backups"
    settings.KEHU_BACKUP_DIR.mkdir()
    attachments = [AttachmentFactory(customer=c).pk for c in (customers.n1, customers.e1)]
    from django.core.files.uploadedfile import SimpleUploadedFile

    from kehu.service.intake import intake_link_create
    from kehu.service.services import case_attachment_upload
    from tests.factories import PDF_BYTES

    case_attachments = [case_attachment_upload(actor=case.created_by, case=case,
                                               upload=SimpleUploadedFile("photo.pdf", PDF_BYTES)).pk
                        for case in Case.objects.all()[:2]]
    intake_links = [intake_link_create(actor=admin, data={"name": "Hotline poster"}).pk]
    backup = Backup.objects.create(filename="kehu-backup-records.tar.gz", status="succeeded", size=3)
    sla_policy = SlaPolicy.objects.create(kind="complaint", tier="gold", resolution_minutes=480)
    (settings.KEHU_BACKUP_DIR / backup.filename).write_bytes(b"abc")
    views = [SavedView.objects.create(user=u, list_name="customers", name="mine", query="sort=name").pk
             for u in (admin, org.users.sales_n1)]

    from kehu.customfields.services import definition_create

    custom_fields = [definition_create(actor=admin, data=d).pk for d in (
        {"record_type": "customer", "key": "credit_days", "label_zh": "账期", "label_en": "Credit days",
         "kind": "number"},
        {"record_type": "order", "key": "site", "label_zh": "交货地点", "label_en": "Delivery site"})]
    from kehu.kb.models import Article, KbCategory
    from kehu.kb.services import article_create, category_create

    category_create(actor=None, code="billing", name_zh="账务", name_en="Billing")
    article_create(actor=None, data={"title_zh": "发票开具", "body_zh": "付款后开具发票。"}, status="published")
    article_create(actor=None, data={"title_en": "Draft", "body_en": "Not yet."})

    from decimal import Decimal

    from kehu.sales.models import LostReason, Quota, Stage
    from kehu.sales.pool import lead_create
    from kehu.sales.quotas import quota_create

    leads = [lead_create(actor=admin, team=None, data={"name": "唐山钢结构工程公司"}).pk]
    quota_create(actor=admin, period="2026-Q4", amount=Decimal("100000"), user=org.users.sales_n1)

    from kehu.marketing.winback.models import LossRecord
    from kehu.marketing.winback.services import loss_create

    loss_create(actor=admin, customer=customers.n1b, reason="competitor")

    from kehu.marketing.coupons.models import Coupon, CouponDefinition
    from kehu.marketing.coupons.services import coupon_issue, definition_create

    coupon_kind = definition_create(actor=admin, data={"ref": "RECORDS", "name_zh": "满减券", "value": Decimal("20"),
                                                       "per_customer_limit": 3})
    coupon_issue(actor=admin, definition=coupon_kind, customers=[customers.n1, customers.e1])

    from kehu.marketing.membership.models import Membership
    from kehu.marketing.membership.services import member_enrol, points_bonus

    for c in (customers.n1, customers.e1):
        points_bonus(actor=None, membership=member_enrol(actor=None, customer=c), points=500, reason="seed")

    from kehu.marketing.outreach.models import MessageTemplate, OutboundMessage, Suppression
    from kehu.marketing.outreach.services import send, suppression_add

    outreach_tpl = MessageTemplate.objects.create(code="records", name="Records", channel="wechat",
                                                  body_zh="{{ customer.name }} 您好", body_en="Hello {{ customer.name }}")
    for c in (customers.n1, customers.e1):
        send(customer=c, channel="wechat", purpose="service", template=outreach_tpl)
    suppression_add(actor=None, channel="email", address="bounced@example.com", reason="bounced")

    from kehu.marketing.care.models import CareMoment, CareRule

    care_rule = CareRule.objects.create(name_zh="生日关怀", name_en="Birthday", kind="birthday", channel="task")
    for c in (customers.n1, customers.e1):
        CareMoment.objects.create(rule=care_rule, customer=c, occasion=dt.date(2026, 3, 1),
                                  due_on=dt.date(2026, 3, 1), key=f"{care_rule.pk}:{c.pk}:2026-03-01")

    from kehu.marketing.referrals.models import Referral
    from kehu.marketing.referrals.services import code_for, referral_create

    referral_create(actor=admin, referrer=customers.n1, referred=customers.n1b)
    code_for(customers.n1)
    from kehu.marketing.campaigns.services import audience_select, campaign_create, cost_add

    email_tpl = MessageTemplate.objects.create(code="records-email", name="Records e-mail", channel="email",
                                               subject_zh="春季", body_zh="{{ customer.name }} {{ link }}")
    campaigns = [campaign_create(actor=admin, data={"name": name, "audience_kind": "rule"},
                                 variants=[{"template": email_tpl}]) for name in ("春季补货", "冬季回馈")]
    audience_select(campaign=campaigns[0])
    cost_add(actor=admin, campaign=campaigns[0], data={"category": "printing", "planned": 100, "actual": 90})

    # employee satisfaction (kehu/surveys/staff): an employee survey, a wave, staff without a login
    from kehu.org.models import Employee
    from kehu.surveys.staff.services import employees_invite

    staff_survey = survey_create_from_template(actor=admin, template="employee", code="staff")
    Employee.objects.create(name="王师傅", email="wang@example.com", team=org.teams.n1, position="司机")
    staff_wave = dist.wave_create(actor=admin, survey=staff_survey, name="2026")
    employees_invite(actor=admin, wave=staff_wave, send=False)

    from tests.factories import PartnerFactory

    top = PartnerFactory(code="REC-L1", name="华北一级代理", manager=org.users.north_manager)
    partners = [top, PartnerFactory(code="REC-L2", name="天津二级代理", kind="agent_l2", parent=top)]
    Customer.objects.filter(pk=customers.n1.pk).update(partner=top)

    def pks(qs):
        return sorted(qs.values_list("pk", flat=True))[:5]

    ids.update(
        customer_id=pks(Customer.objects.all()),
        contact_id=pks(Contact.objects.all()),
        interaction_id=pks(Interaction.objects.all()),
        order_id=sorted(Order.objects.values_list("pk", flat=True))[:6],
        anniversary_id=pks(Anniversary.objects.all()),
        task_id=pks(Task.objects.all()),
        case_id=pks(Case.objects.all()),
        repair_id=pks(RepairRecord.objects.all()),
        visit_id=pks(PlannedVisit.objects.all()),
        quote_id=pks(__import__("kehu.sales.models", fromlist=["Quote"]).Quote.objects.all()),
        step=["listen", "satisfy"],
        product_id=pks(Product.objects.all()),
        line_id=pks(ProductLine.objects.all()),
        survey_id=[survey.pk, acsi.pk, staff_survey.pk],
        employee_id=pks(Employee.objects.all()),
        indicator_id=pks(Indicator.objects.all()),
        question_id=pks(Question.objects.all()),
        construct_id=pks(Construct.objects.all()),
        path_id=pks(ConstructPath.objects.all()),
        wave_id=pks(Wave.objects.all()),
        invitation_id=pks(Invitation.objects.all()) or [wave.pk],
        response_id=pks(Response.objects.all()) or [wave.pk],
        benchmark_id=pks(Benchmark.objects.all()),
        action_id=pks(ImprovementAction.objects.all()),
        run_id=pks(AnalysisRun.objects.all()),
        segment_id=pks(Segment.objects.all()),
        pk=attachments,
        backup_id=[backup.pk],
        policy_id=[sla_policy.pk],
        view_id=views,
        list_name=["customers"],
        field_id=custom_fields,
        article_id=pks(Article.objects.all()),
        att_id=case_attachments,
        link_id=intake_links,
        category_id=pks(KbCategory.objects.all()),
        opportunity_id=pks(Opportunity.objects.all()),
        pipeline_id=pks(Pipeline.objects.all()),
        lead_id=leads,
        quota_id=pks(Quota.objects.all()),
        reason_id=pks(LostReason.objects.all()),
        stage_id=pks(Stage.objects.all()),
        plan_id=pks(__import__("kehu.sales.models", fromlist=["KeyAccountPlan"]).KeyAccountPlan.objects.all()),
        loss_id=pks(LossRecord.objects.all()),
        definition_id=pks(CouponDefinition.objects.all()),
        coupon_id=pks(Coupon.objects.all()),
        member_id=pks(Membership.objects.all()),
        template_id=[outreach_tpl.pk],
        message_id=pks(OutboundMessage.objects.all()),
        suppression_id=pks(Suppression.objects.all()),
        rule_id=[care_rule.pk],
        referral_id=pks(Referral.objects.all()),
        campaign_id=[c.pk for c in campaigns],
        team_id=[org.teams.n1.pk, org.teams.north.pk],
        user_id=[org.users.sales_n1.pk, org.users.north_marketing.pk],
        partner_id=[p.pk for p in partners],
        kind=["employees", "partners", "quotas"],   # POST /imports/{kind}
    )
    return {name: values for name, values in ids.items() if values}
