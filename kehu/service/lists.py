"""The case queue's rows and bulk actions for the shared list machinery
(:mod:`kehu.web.lists`): each row changed through the case services, so the
policy and the status flow decide row by row."""

from __future__ import annotations

from django.core.exceptions import ValidationError


def case_rows(viewer):
    from kehu.service.selectors import case_visible

    return case_visible(viewer=viewer).select_related("customer", "assignee")


def case_bulk_assign(actor, case, assignee):
    from kehu.service.services import case_assign

    case_assign(actor=actor, case=case, assignee=assignee)


def case_bulk_status(actor, case, status):
    from kehu.service.services import TransitionNotAllowed, case_transition

    try:
        case_transition(actor=actor, case=case, to_status=status, note="")
    except TransitionNotAllowed as exc:
        raise ValidationError(str(exc)) from None


def status_choices():
    from kehu.service.models import CaseStatus

    return CaseStatus.choices
