"""A campaign's e-mail delivered to a real SMTP server (aiosmtpd) and read back with its
tracked link and unsubscribe link; the control group drawn at random and stratified by value
tier on a large synthetic audience (checked with chi-square tests)."""

from __future__ import annotations

import re
from decimal import Decimal

import numpy as np
import pytest
from scipy import stats

from kehu.customers.models import Customer
from kehu.marketing.campaigns import services
from kehu.marketing.campaigns.models import Member

from .conftest import run

pytestmark = pytest.mark.django_db


def test_email_campaign_reaches_a_real_smtp_server(campaign, smtp_server, client):  # noqa: F811
    c = run(campaign)
    treated = Member.objects.filter(campaign=c, control=False).count()
    assert len(smtp_server) == treated == 10
    control = set(Member.objects.filter(campaign=c, control=True).values_list("customer__email", flat=True))
    assert not control & {a for got in smtp_server for a in got["to"]}
    msg = smtp_server[0]["message"]
    text = msg.get_body(("plain",)).get_content()
    link = re.search(r"https?://\S+/c/([\w-]+)/", text)
    assert link, text
    unsub = re.search(r"https?://\S+/u/(\S+?)/", text)
    assert unsub and msg["List-Unsubscribe"]
    # the tracked link works without a login and leads only to the campaign's target
    r = client.get(f"/c/{link.group(1)}/")
    assert r.status_code == 302 and r["Location"] == c.target_url
    member = Member.objects.get(token=link.group(1))
    assert member.clicked_at is not None
    # the unsubscribe link too: the customer is opted out at once
    assert client.get(f"/u/{unsub.group(1)}/").status_code == 200
    assert Customer.objects.get(pk=member.customer_id).opt_out_email


@pytest.mark.slow
def test_control_group_is_stratified_and_random_on_a_large_audience(org, templates):
    from kehu.insights.models import AnalysisRun, CustomerScore

    n = 6000
    tiers = np.array(["gold", "silver", "bronze", "do_not_serve"])[np.random.default_rng(7).integers(0, 4, n)]
    Customer.objects.bulk_create([Customer(name=f"C{i}", kind="organization", owner=org.users.sales_n1,
                                           ref=f"X{i:08d}") for i in range(n)], batch_size=2000)
    ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
    run_ = AnalysisRun.objects.create(status="succeeded", as_of="2026-11-30")
    CustomerScore.objects.bulk_create([CustomerScore(run=run_, customer_id=i, tier=t) for i, t in zip(ids, tiers)],
                                      batch_size=2000)
    c = services.campaign_create(actor=org.users.admin, data={"name": "big", "audience_kind": "rule",
                                                              "control_share": Decimal("0.15")},
                                 variants=[{"label": "A", "template": templates.a},
                                           {"label": "B", "template": templates.b}])
    assert services.audience_select(campaign=c) == n
    rows = np.array(list(Member.objects.filter(campaign=c).order_by("customer_id")
                         .values_list("customer_id", "stratum", "control", "variant__label")), dtype=object)
    strata, control = rows[:, 1], rows[:, 2].astype(bool)
    # stratified: each tier's control group is exactly ⌊0.15 n_h + ½⌋
    for t in set(strata):
        nh = int((strata == t).sum())
        assert int(control[strata == t].sum()) == int(Decimal("0.15") * nh + Decimal("0.5"))
    # the control share does not differ between tiers (chi-square of the 4 × 2 table)
    table = [[int((control & (strata == t)).sum()), int((~control & (strata == t)).sum())] for t in sorted(set(strata))]
    assert stats.chi2_contingency(table)[1] > 0.5
    # random: not related to the customer's id (ten bands of ids)
    band = np.arange(n) * 10 // n
    table = [[int((control & (band == b)).sum()), int((~control & (band == b)).sum())] for b in range(10)]
    assert stats.chi2_contingency(table)[1] > 0.001
    # the variants split the treated half and half, at random too
    labels = rows[~control, 3]
    assert abs((labels == "A").sum() - (labels == "B").sum()) <= 1
    # reproducible: the draw is recorded by its seed
    from kehu.analytics.control_groups import assign_control
    again = assign_control(rows[:, 0].astype(np.int64), strata, c.control_share, int(c.seed))
    assert (again == control).all()
