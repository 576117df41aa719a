"""Retention targeting by expected gain (issue 16, item 3): whom to contact to keep, and how many.

The customers the viewer sees, ranked by g = CLV × churn risk × uplift (the latest finished
value analysis; :mod:`kehu.analytics.targeting` does the science), the curve of expected
incremental value against the cost of N contacts, and the N that maximises the net gain.
Read-only: the campaign itself is made by the campaigns app from the link this page gives.
"""
