"""Employee satisfaction (DOMAIN.md §5, "no satisfied customers without
satisfied staff"): inviting every employee — Kehu users and staff without a
login (kehu.org.models.Employee) — to an employee survey's wave with an
anonymous personal link (:mod:`.services`); the results by team and role
with small groups suppressed, secondary suppression included
(:mod:`.results`); and each team's staff satisfaction beside the
satisfaction, NPS, complaint rate and churn of its customers, with the
correlation across teams (:mod:`.results`). Who reads what is decided in
``kehu/org/policies.py`` (``employee_result_team_ids``)."""
