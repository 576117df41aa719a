"""Marketing, membership and care (DOMAIN.md §2, §7, §8; issue 16).

One package, a Django app per sub-domain, each with the same shape inside
(models, services, selectors, views, api, cli, templates, locale):

- ``outreach``: the one sending gate (consent, suppression, frequency caps,
  quiet hours, language), the channels, bilingual templates and the log of
  what was sent or held back and why; the unsubscribe link;
- ``coupons``: coupons (优惠券) — codes, rules, issue and redemption;
- ``membership``: member tiers (会员), the append-only points ledger (积分),
  annual membership;
- ``winback``: why customers were lost (流失原因), the lost-revenue report and
  customers won back (挽回);
- ``care``: the care calendar (客户关怀); pure date rules in ``care/dates.py``.
"""
