"""``kehu survey actions CODE [--json]``: a survey's improvement actions and
whether each indicator moved (the figures of the Improvement actions tab).

Exit codes: 0 done; 2 no such survey."""

from __future__ import annotations

import json
import sys

from django.utils.translation import gettext as _


def register(sub) -> None:
    actions = sub.add_parser("actions", help=_("list a survey's improvement actions and whether their indicator moved"))
    actions.add_argument("code", help=_("the survey's code"))
    actions.add_argument("--json", action="store_true", help=_("write JSON instead of a table"))
    actions.set_defaults(func=_actions)


def _r(x, digits=2):
    return None if x is None else round(float(x), digits)


def _actions(args) -> int:
    from kehu.surveys import texts
    from kehu.surveys.models import Survey
    from kehu.surveys.selectors_loop import action_list, survey_movements

    survey = Survey.objects.filter(code=args.code).first()
    if survey is None:
        print(_("error: no survey with the code %(code)s") % {"code": args.code}, file=sys.stderr)
        return 2
    movements = survey_movements(survey, list(action_list(survey=survey)))
    rows = []
    for m in movements:
        a = m.action
        latest = m.latest
        rows.append({
            "id": a.pk, "title": a.title, "indicator": a.indicator.code, "owner": a.owner.username if a.owner else None,
            "due_on": a.due_on.isoformat() if a.due_on else None, "status": a.status,
            "baseline_wave": a.baseline_wave.name if a.baseline_wave else None, "baseline": _r(a.baseline),
            "target": _r(a.target), "verdict": m.verdict,
            "waves": [{"wave": w.wave.name, "score": _r(w.score), "respondents": w.n, "change": _r(w.change),
                       "p_value": _r(w.p_value, 4), "significant": w.significant} for w in m.later],
            "latest": _r(latest.score) if latest else None,
        })
    if args.json:
        print(json.dumps({"survey": survey.code, "actions": rows}, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print(_("Survey %(code)s has no improvement actions.") % {"code": survey.code})
        return 0
    print(texts.pick(survey.title) or survey.code)
    for row in rows:
        due = row["due_on"] or "—"
        print(f"- {row['title']}  [{row['indicator']}]  {row['status']}  {_('due')} {due}")
        base = "—" if row["baseline"] is None else f"{row['baseline']:.1f}"
        print(f"    {_('baseline')} {base} ({row['baseline_wave'] or '—'})  {_('target')} "
              f"{'—' if row['target'] is None else row['target']}  → {row['verdict']}")
        for w in row["waves"]:
            score = "—" if w["score"] is None else f"{w['score']:.1f}"
            change = "" if w["change"] is None else f"  {w['change']:+.1f}"
            p = "" if w["p_value"] is None else f"  p = {w['p_value']:.4f}{' *' if w['significant'] else ''}"
            print(f"    {w['wave']}: {score} (n = {w['respondents']}){change}{p}")
    return 0
