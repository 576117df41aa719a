"""Lost customers and win-back (流失与挽回, DOMAIN.md §7; issue 16, item 8).

- :mod:`.models`: :class:`LossRecord`, one per loss of a customer (why, when, the
  revenue and the predicted value it cost) and, once it comes back, when and how
  it was won back;
- :mod:`.reasons`: the documents' switching reasons with their reference shares
  and the win-back weights (pure, no Django);
- :mod:`.services`: marking a customer lost or won back (the lifecycle stage moves
  through :func:`kehu.customers.services.customer_update`, so its history records
  it) and the hook that flags a lost customer won back on a new order;
- :mod:`.selectors`: the lost-revenue definition, the report, the win-back list and
  the targeting a win-back campaign uses — every read through the one policy.
"""
