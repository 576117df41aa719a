"""Issue 13, item 17: every registered list gets the same machinery.

These tests walk every :class:`kehu.web.lists.ListSpec`, so that a list
registered later without the machinery fails here: it has columns, its page
renders the list tools (saved views, column chooser) and an empty state,
hiding a column hides it, every sortable header sorts, a saved view
round-trips without the page cursor, and every bulk action is wired (a
service to call, choices for a status, an export page for "export")."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from kehu.org.models import User
from kehu.web.lists import LISTS, _load
from kehu.web.models import SavedView
from tests.factories import CustomerFactory, InteractionFactory, OrderFactory

pytestmark = pytest.mark.django_db

_load()
SPECS = sorted(LISTS)


def _customer(org, customers):
    return customers.n1


def _order(org, customers):
    return OrderFactory(customer=customers.n1)


def _interaction(org, customers):
    return InteractionFactory(customer=customers.n1, user=org.users.sales_n1)


def _task(org, customers):
    from kehu.engagement.services import task_create

    return task_create(actor=org.users.admin, customer=customers.n1, data={"title": "Call back"})


def _survey(org, customers):
    from kehu.surveys.models import Survey
    from kehu.surveys.services.definitions import survey_create

    return survey_create(actor=org.users.admin, code=f"csi{Survey.objects.count()}", title={"en": "CSI", "zh-hans": "满意度"})


def _run(org, customers):
    from tests.insights.score_factories import AnalysisRunFactory

    return AnalysisRunFactory()


def _latest_run():
    from kehu.insights.models import AnalysisRun
    from tests.insights.score_factories import AnalysisRunFactory

    return AnalysisRun.objects.filter(status="succeeded").order_by("-as_of", "-id").first() or AnalysisRunFactory()


def _score(org, customers, customer=None):
    from tests.insights.score_factories import CustomerScoreFactory

    customer = customer or CustomerFactory(owner=customers.n1.owner, region=customers.n1.region)
    return CustomerScoreFactory(run=_latest_run(), customer=customer)


def _segment(org, customers):
    from tests.insights.score_factories import SegmentFactory

    return SegmentFactory(created_by=org.users.admin)


def _case(org, customers):
    from kehu.service.services import case_assign, case_create

    case = case_create(actor=org.users.admin, data={"customer": customers.n1, "kind": "complaint",
                                                    "subject": "Rust on the coil"})
    return case_assign(actor=org.users.admin, case=case, assignee=org.users.admin)


def _article(org, customers):
    from kehu.kb.services import article_create

    return article_create(actor=org.users.admin, data={"title_zh": "质保书", "body_zh": "随货提供。"})


def _user(org, customers):
    from kehu.org.services import user_create

    return user_create(username=f"u{User.objects.count()}", password=None, team=org.teams.n1)


def _opportunity(org, customers):
    from kehu.sales.opportunities import opportunity_create

    return opportunity_create(actor=org.users.admin, data={"customer": customers.n1, "name": "Coil supply"})


def _pool_lead(org, customers):
    return CustomerFactory(name="宝钢线材采购", lifecycle_stage="reserve", owner=None)


def _quote(org, customers):
    from kehu.sales.quotes import quote_create
    from tests.factories import ProductFactory

    return quote_create(actor=org.users.admin, customer=customers.n1, data={"title": "Coil"},
                        lines=[{"product": ProductFactory()}])


def _quota(org, customers):
    from decimal import Decimal

    from kehu.sales.models import Quota
    from kehu.sales.quotas import quota_create

    return quota_create(actor=org.users.admin, period=f"2026-{Quota.objects.count() % 12 + 1:02d}",
                        amount=Decimal("100000"), user=org.users.sales_n1)


def _key_account(org, customers):
    from kehu.sales.key_accounts import plan_create

    return plan_create(actor=org.users.admin, customer=customers.n1, data={"start_year": 2026})


def _association(org, customers):
    from django.utils import timezone

    from kehu.sales.models import AssociationRule, AssociationRun

    run = AssociationRun.objects.create(status="done", trigger="test", min_support=0.01, min_confidence=0.2,
                                        min_lift=1.1, baskets=10, customers=5, finished_at=timezone.now())
    return AssociationRule.objects.create(run=run, level="line", antecedent=[1], consequent=[2],
                                          antecedent_label="螺纹钢", consequent_label="盘螺", count=4,
                                          support=0.4, confidence=0.8, lift=2.0, consequent_support=0.4)


def _loss(org, customers):
    from kehu.marketing.winback.services import loss_create
    from tests.factories import CustomerFactory

    customer = CustomerFactory(owner=org.users.sales_n1, region="north")
    OrderFactory(customer=customer, order_date=dt.date.today() - dt.timedelta(days=30))   # revenue lost: a candidate
    return loss_create(actor=org.users.admin, customer=customer, reason="staff")


def _coupon_definition(org, customers):
    from tests.coupons.conftest import make_definition

    return make_definition(org.users.admin)


def _coupon(org, customers, customer=None):
    from tests.coupons.conftest import issue_one, make_definition

    return issue_one(org.users.admin, make_definition(org.users.admin), customer or customers.n1)


def _member(org, customers):
    from kehu.marketing.membership.services import member_enrol

    return member_enrol(actor=None, customer=CustomerFactory(owner=customers.n1.owner, region=customers.n1.region))


def _outreach_message(org, customers):
    from kehu.marketing.outreach.models import MessageTemplate
    from kehu.marketing.outreach.services import send

    tpl = MessageTemplate.objects.get_or_create(code="list-test", defaults={
        "name": "List test", "channel": "wechat", "body_zh": "{{ customer.name }} 您好"})[0]
    return send(customer=customers.n1, channel="wechat", purpose="service", template=tpl)


def _care_moment(org, customers):
    import datetime as dt

    from kehu.marketing.care.models import CareMoment, CareRule

    rule = CareRule.objects.create(name_zh="生日", name_en="Birthday", kind="birthday", channel="task",
                                   owner=org.users.admin)   # the administrator acts on it: "mine"
    return CareMoment.objects.create(rule=rule, customer=customers.n1, occasion=dt.date(2026, 3, 1),
                                     due_on=dt.date(2026, 3, 1), key=f"{rule.pk}:{customers.n1.pk}:2026-03-01",
                                     status="task")


def _campaign(org, customers):
    from kehu.marketing.campaigns.services import campaign_create
    from kehu.marketing.outreach.models import MessageTemplate

    tpl = MessageTemplate.objects.get_or_create(code="list-campaign", defaults={
        "name": "List campaign", "channel": "email", "subject_zh": "春季", "body_zh": "{{ customer.name }} 您好"})[0]
    return campaign_create(actor=org.users.admin, data={"name": "春季补货", "audience_kind": "rule"},
                           variants=[{"template": tpl}])


def _partner(org, customers):
    from tests.factories import PartnerFactory

    return PartnerFactory(name="华北一级代理")


#: One row the administrator sees, per list. A new list must add its own.
ROWS = {"pool": _pool_lead, "customers": _customer, "orders": _order, "interactions": _interaction, "tasks": _task,
        "surveys": _survey, "value_runs": _run, "segments": _segment, "value_scores": _score,
        "cases": _case, "kb": _article, "opportunities": _opportunity, "quotes": _quote,
        "quotas": _quota, "key_accounts": _key_account, "associations": _association,
        "winback_losses": _loss, "winback_candidates": _loss,
        "coupon_definitions": _coupon_definition, "coupons": _coupon,
        "members": _member,
        "outreach_messages": _outreach_message, "care_moments": _care_moment, "campaigns": _campaign,
        "users": _user, "partners": _partner}
#: What a list needs to show its (empty) page at all: the scores need a finished analysis.
EMPTY = {"value_scores": lambda: _latest_run()}
#: The query that shows a list's empty state (the users list always has its viewer).
EMPTY_PARAMS = {"users": {"q": "no-such-person"}}
#: Lists for administrators only: another administrator stands for "another user".
ADMIN_ONLY = {"users"}


def _page(client, spec, **params):
    response = client.get(reverse(spec.url_name), params)
    assert response.status_code == 200, (spec.name, response.status_code)
    return response.content.decode()


def _thead(html: str) -> str:
    return html.split("<thead", 1)[1].split("</thead>", 1)[0]


def test_every_list_is_described_here():
    assert set(SPECS) == set(ROWS), "add a row builder (and so these tests) for a new list"


@pytest.mark.parametrize("name", SPECS)
def test_every_list_has_columns_and_wired_actions(name):
    spec = LISTS[name]
    keys = [c.key for c in spec.columns]
    assert keys and len(keys) == len(set(keys)), name
    assert all(str(c.label) for c in spec.columns)
    reverse(spec.url_name)  # the list's page, without arguments (saved views link to it)
    for action in spec.actions:
        if action.key == "export":
            assert action.apply is None and spec.export_url_name, name
            reverse(spec.export_url_name)
        else:
            assert action.apply is not None, (name, action.key)
        if action.value == "status":
            assert spec.status_choices is not None and list(spec.status_choices()), (name, action.key)
        if action.key in ("delete", "cancel"):
            assert action.confirm, (name, action.key)


@pytest.mark.parametrize("name", SPECS)
def test_every_list_page_has_the_tools_and_an_empty_state(client_for, org, name):
    spec = LISTS[name]
    if name in EMPTY:
        EMPTY[name]()
    # the users list is never empty for the administrator looking at it: a search for no one
    html = _page(client_for(org.users.admin), spec, **EMPTY_PARAMS.get(name, {}))
    assert 'data-testid="list-tools"' in html and 'data-testid="saved-views-menu"' in html
    assert 'data-testid="column-chooser"' in html
    for col in spec.columns:
        assert f'name="cols" value="{col.key}"' in html
    assert 'class="empty card' in html, name


@pytest.mark.parametrize("name", SPECS)
def test_hiding_columns_hides_them_and_every_sortable_header_sorts(client_for, org, customers, name):
    spec = LISTS[name]
    ROWS[name](org, customers)
    client = client_for(org.users.admin)
    html = _page(client, spec)
    head = _thead(html)
    for col in spec.columns:
        assert f'data-col="{col.key}"' in head, (name, col.key)
    assert 'data-testid="row-select"' in html or not spec.actions_for(org.users.admin)

    first = spec.columns[0].key
    head = _thead(_page(client, spec, cols=[first]))
    assert f'data-col="{first}"' in head
    for col in spec.columns[1:]:
        assert f'data-col="{col.key}"' not in head, (name, col.key)
    # the chooser keeps what is shown ticked
    html = _page(client, spec, cols=[first])
    assert re.search(rf'value="{first}" checked', html)
    assert not re.search(rf'value="{spec.columns[1].key}" checked', html)

    for col in (c for c in spec.columns if c.sort):
        head = _thead(_page(client, spec, sort=col.sort))
        cell = head.split(f'data-col="{col.key}"', 1)[1].split("</th>", 1)[0]
        assert 'class="sort asc"' in cell, (name, col.key)
        head = _thead(_page(client, spec, sort="-" + col.sort))
        cell = head.split(f'data-col="{col.key}"', 1)[1].split("</th>", 1)[0]
        assert 'class="sort desc"' in cell, (name, col.key)


@pytest.mark.parametrize("name", SPECS)
def test_saved_views_round_trip_without_the_cursor(client_for, org, name):
    spec = LISTS[name]
    if name in EMPTY:
        EMPTY[name]()
    client = client_for(org.users.admin)
    cols = [c.key for c in spec.columns[:2]]
    query = "&".join([f"cols={k}" for k in cols] + ["cursor=abc"])
    response = client.post(reverse("saved_view_create", args=[name]), {"name": "Mine", "query": query})
    assert response.status_code == 302
    view = SavedView.objects.get(user=org.users.admin, list_name=name)
    assert "cursor" not in view.query and view.columns == cols
    target = urlsplit(response["Location"])
    assert target.path == reverse(spec.url_name) and parse_qs(target.query)["cols"] == cols
    html = _page(client, spec)
    link = f"{reverse(spec.url_name)}?{view.query}".replace("&", "&amp;")
    assert f'href="{link}">Mine</a>' in html
    html = client.get(reverse("saved_views")).content.decode()
    assert str(spec.label) in html and link in html
    # another user does not see it (the association rules are for managers and analysts)
    other = org.users.north_manager if name in ("associations", "partners") else org.users.sales_n1
    if name in ADMIN_ONLY:
        other = User.objects.create(username="admin2", role="admin", is_superuser=True)
    assert "Mine</a>" not in _page(client_for(other), spec)


@pytest.mark.parametrize("name", [n for n in SPECS if LISTS[n].action("export")])
def test_export_the_selection_only_gives_the_rows_ticked_that_the_user_may_see(client_for, org, customers, name):
    spec = LISTS[name]
    u = org.users
    mine = ROWS[name](org, customers)
    also_mine = ROWS[name](org, customers) if name != "customers" else customers.n1b
    if name == "customers":
        theirs = customers.e1
    elif name == "orders":
        theirs = OrderFactory(customer=customers.e1)
    elif name == "interactions":
        theirs = InteractionFactory(customer=customers.e1, user=u.sales_e1)
    elif name == "value_scores":
        theirs = _score(org, customers, customer=customers.e1)
    elif name == "coupons":
        theirs = _coupon(org, customers, customer=customers.e1)
    elif name == "members":
        from kehu.marketing.membership.services import member_enrol

        theirs = member_enrol(actor=None, customer=customers.e1)
    else:
        from kehu.engagement.services import task_create

        theirs = task_create(actor=u.sales_e1, customer=customers.e1, data={"title": "Their task"})
    actor = u.north_manager if name == "customers" else u.admin
    client = client_for(actor)
    # the bulk form sends the selection to the export page
    response = client.post(reverse("list_bulk", args=[name]),
                           {"action": "export", "ids": [mine.pk, theirs.pk], "format": "xlsx"})
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == reverse(spec.export_url_name)
    assert parse_qs(location.query) == {"format": ["xlsx"], "ids": [str(mine.pk), str(theirs.pk)]}

    # a salesperson of the north asks for their row and another team's by id: only theirs comes back
    seller = u.sales_n1
    if name == "tasks":
        from kehu.engagement.models import Task

        Task.objects.filter(pk=mine.pk).update(assigned_to=seller)
    response = client_for(seller).get(reverse(spec.export_url_name),
                                      {"format": "csv", "ids": [mine.pk, theirs.pk]})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()[1:]
    rows = list(csv.reader(io.StringIO(text)))
    body = "\n".join(",".join(r) for r in rows[1:])
    assert getattr(mine, "customer", mine).name in body and customers.e1.name not in body
    if name != "customers":
        assert also_mine.pk != mine.pk
        # only the selection: the other visible row is left out
        assert len(rows) - 1 == (len(list(mine.lines.all())) if name == "orders" else 1)


def test_export_of_selected_scores_keeps_the_analysis_shown(client_for, org, customers):
    """The scores list shows one analysis (``run``): exporting its selection
    exports the scores of that analysis, not of the latest one."""
    from tests.insights.score_factories import AnalysisRunFactory, CustomerScoreFactory

    older = AnalysisRunFactory()
    AnalysisRunFactory()  # a later one, the default of the page
    score = CustomerScoreFactory(run=older, customer=customers.n1)
    client = client_for(org.users.sales_n1)
    back = reverse("value_scores") + f"?run={older.pk}&tier=gold"
    response = client.post(reverse("list_bulk", args=["value_scores"]),
                           {"action": "export", "ids": [score.pk], "next": back})
    location = urlsplit(response["Location"])
    assert parse_qs(location.query) == {"format": ["csv"], "run": [str(older.pk)], "ids": [str(score.pk)]}
    rows = list(csv.reader(io.StringIO(b"".join(client.get(response["Location"]).streaming_content).decode()[1:])))
    assert len(rows) == 2 and customers.n1.name in rows[1]
