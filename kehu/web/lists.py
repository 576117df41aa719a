"""The shared list machinery: one mechanism every record list uses.

A list registers a :class:`ListSpec` (its name, columns, the rows the viewer
may pick and the bulk actions it offers). From that one description the
machinery gives every list the same tools:

- columns the user may show or hide (``cols`` in the URL, kept in a saved view);
- saved views (:class:`kehu.web.models.SavedView`): a user's named query
  strings — filters and sort, never the page cursor — for one list;
- bulk actions on the rows ticked, each row changed through the record's own
  service, so the visibility policy (:mod:`kehu.org.policies`) decides every
  row: a row the user may not see is reported as not found, one they may see
  but not change is refused and reported, never changed silently;
- the query string of a list without its cursor (a saved view, a link that
  starts again at the first page).

Sorting and the page cursor stay where they were (``sort`` and ``cursor`` in
the URL, :mod:`kehu.pagination`); the machinery only keeps them in the URL.
New lists must register here rather than write their own copy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from kehu.org.policies import policy_for

BULK_MAX = 500  # rows one bulk action may touch (a page is at most 100)


@dataclass(frozen=True)
class Column:
    key: str
    label: Any
    sort: str | None = None  # the sort key a header links to (whitelisted by the list)
    cls: str = ""  # the header's and cells' CSS classes ("num", "hide-sm", "nowrap")
    may: Callable[[Any], bool] | None = None  # whether the viewer may see this column at all (else all may)


@dataclass(frozen=True)
class BulkAction:
    """One bulk action: ``apply(actor, obj, value)`` changes one row through
    the record's service (which asks the policy) or raises."""

    key: str
    label: Any
    apply: Callable[..., Any] | None = None
    value: str = ""  # "owner", "tag", "status" or "" (no value)
    confirm: bool = False  # needs a confirmation page (delete)
    may: Callable[[Any], bool] | None = None  # whether the viewer is offered this action at all


@dataclass(frozen=True)
class ListSpec:
    name: str
    label: Any
    url_name: str
    columns: tuple[Column, ...]
    rows: Callable[[Any], Any]  # viewer → the queryset of rows the viewer may see
    actions: tuple[BulkAction, ...] = ()
    export_url_name: str = ""  # the list's export page; the selection is sent as ids=
    export_keep: tuple[str, ...] = ()  # parameters of the list's URL the export needs too (e.g. "run")
    row_label: Callable[[Any], str] = str
    status_choices: Callable[[], Iterable[tuple[str, Any]]] | None = None
    status_label: Any = gettext_lazy("Stage")  # the label of the "status" action's choice
    # whether the viewer may change anything on this list at all (else only export is offered)
    may_change: Callable[[Any], bool] | None = None

    def action(self, key: str) -> BulkAction | None:
        return next((a for a in self.actions if a.key == key), None)

    def actions_for(self, viewer) -> list[BulkAction]:
        """The actions to offer: none that change anything to read-only roles, none at all
        to those who may not use the bulk page (partner users: the partner portal)."""
        policy = policy_for(viewer)
        if not policy.may_use_view("list_bulk"):
            return []
        if policy.read_only or not policy.active or (self.may_change is not None and not self.may_change(viewer)):
            return [a for a in self.actions if a.key == "export"]
        return [a for a in self.actions if a.may is None or a.may(viewer)]

    def columns_for(self, viewer) -> list[Column]:
        """The columns the viewer may see (a partner user no cost column: ``Column.may``)."""
        return [c for c in self.columns if c.may is None or c.may(viewer)]

    def shown_columns(self, request_or_cols, viewer=None) -> list[str]:
        """The column keys to show: ``cols`` from the URL when valid, else all — of those
        the viewer (the request's user) may see."""
        if hasattr(request_or_cols, "GET"):
            wanted = request_or_cols.GET.getlist("cols")
            viewer = getattr(request_or_cols, "user", viewer)
        else:
            wanted = list(request_or_cols or [])
        keys = [c.key for c in (self.columns if viewer is None else self.columns_for(viewer))]
        chosen = [k for k in keys if k in set(wanted)]
        return chosen or keys

    def headers(self, sort: str, shown: Iterable[str]) -> list[dict]:
        """The table headers of the columns shown: a sortable one links to its
        ascending order, or to the descending one when already ascending."""
        shown = set(shown)
        out = []
        for col in self.columns:
            if col.key not in shown:
                continue
            key = col.sort
            state = "asc" if key and sort == key else "desc" if key and sort == "-" + key else ""
            out.append({"key": col.key, "label": col.label, "cls": col.cls, "state": state,
                        "next": ("-" + key if state == "asc" else key) if key else None})
        return out


LISTS: dict[str, ListSpec] = {}


def register(spec: ListSpec) -> ListSpec:
    LISTS[spec.name] = spec
    return spec


def get_spec(name: str) -> ListSpec:
    _load()
    try:
        return LISTS[name]
    except KeyError:
        raise Http404 from None


def query_without_cursor(query: str | QueryDict) -> str:
    """A list's query string without its page cursor (and without the htmx
    and CSRF noise a form may send), for saved views."""
    q = query.copy() if isinstance(query, QueryDict) else QueryDict(query or "", mutable=True)
    if not q._mutable:
        q = q.copy()
    for k in ("cursor", "csrfmiddlewaretoken", "view"):
        q.pop(k, None)
    return q.urlencode()


# -- bulk actions ------------------------------------------------------------------

@dataclass
class RowResult:
    id: int
    ok: bool
    label: str = ""
    error: str = ""


@dataclass
class BulkResult:
    action: str
    rows: list[RowResult] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return sum(1 for r in self.rows if r.ok)

    @property
    def refused(self) -> int:
        return sum(1 for r in self.rows if not r.ok)


def clean_ids(values: Iterable[Any]) -> list[int]:
    """The row ids posted, as integers, without duplicates, at most :data:`BULK_MAX`."""
    out: list[int] = []
    for v in values:
        try:
            n = int(v)
        except (TypeError, ValueError):
            continue
        if n > 0 and n not in out:
            out.append(n)
    if len(out) > BULK_MAX:
        raise ValidationError(_("Select at most %(n)d rows at a time.") % {"n": BULK_MAX})
    return out


def selected_rows(*, viewer, spec: ListSpec, ids: list[int]) -> dict[int, Any]:
    """The rows among ``ids`` the viewer may see, by id (one query)."""
    return {obj.pk: obj for obj in spec.rows(viewer).filter(pk__in=ids)}


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(str(m) for m in exc.messages)
    return str(exc) or _("You may not change this record.")


def bulk_apply(*, actor, spec: ListSpec, action: str, ids: Iterable[Any], value: Any = None) -> BulkResult:
    """Apply ``action`` to each row of ``ids``, row by row, and report each.

    A row the actor may not see is reported "not found" (the same as one
    that does not exist); a row the service refuses (the policy, or a rule
    such as "a customer with orders is not deleted") is reported with the
    reason and left as it was. Each row is its own transaction, so one
    refusal does not undo the others.
    """
    act = spec.action(action)
    if act is None or act.apply is None or act not in spec.actions_for(actor):
        raise ValidationError({"action": [_("Unknown action.")]})
    id_list = clean_ids(ids)
    if not id_list:
        raise ValidationError({"ids": [_("Select at least one row.")]})
    value = _clean_value(actor, spec, act, value)
    rows = selected_rows(viewer=actor, spec=spec, ids=id_list)
    result = BulkResult(action=act.key)
    for pk in id_list:
        obj = rows.get(pk)
        if obj is None:
            result.rows.append(RowResult(id=pk, ok=False, error=_("Not found.")))
            continue
        label = spec.row_label(obj)
        try:
            with transaction.atomic():
                act.apply(actor, obj, value)
        except (PermissionDenied, ValidationError) as exc:
            result.rows.append(RowResult(id=pk, ok=False, label=label, error=_message(exc)))
        else:
            result.rows.append(RowResult(id=pk, ok=True, label=label))
    return result


def _clean_value(actor, spec: ListSpec, act: BulkAction, value):
    if act.value == "owner":
        from kehu.org.models import User

        try:
            user = User.objects.get(pk=int(value), is_active=True)
        except (TypeError, ValueError, User.DoesNotExist):
            raise ValidationError({"value": [_("Choose the new owner.")]}) from None
        if not policy_for(actor).can_assign_to(user):
            raise ValidationError({"value": [_("You may not assign customers to this user.")]})
        return user
    if act.value == "tag":
        tag = str(value or "").strip()
        if not tag or len(tag) > 50 or "\x00" in tag:
            raise ValidationError({"value": [_("Enter a tag of at most 50 characters.")]})
        return tag
    if act.value == "status":
        choices = dict(spec.status_choices() if spec.status_choices else ())
        if value not in choices:
            raise ValidationError({"value": [_("Choose a status.")]})
        return value
    return None


# -- the lists ---------------------------------------------------------------------

def _customer_rows(viewer):
    from kehu.customers.models import Customer

    return policy_for(viewer).visible(Customer.objects.select_related("owner"))


def _customer_assign(actor, customer, owner):
    from kehu.customers.services import customer_update

    customer_update(actor=actor, customer=customer, data={"owner": owner})


def _customer_tag(actor, customer, tag):
    from kehu.customers.services import customer_update

    names = list(customer.tags.values_list("name", flat=True))
    if tag not in names:
        customer_update(actor=actor, customer=customer, data={}, tags=[*names, tag])
    elif not policy_for(actor).can_change(customer):
        raise PermissionDenied(_("You may not change this customer."))


def _customer_stage(actor, customer, stage):
    from kehu.customers.services import customer_update

    customer_update(actor=actor, customer=customer, data={"lifecycle_stage": stage})


def _customer_delete(actor, customer, _value):
    from kehu.customers.services import customer_delete

    customer_delete(actor=actor, customer=customer)


def _stage_choices():
    from kehu.customers.models import LifecycleStage

    return LifecycleStage.choices


def _task_rows(viewer):
    from kehu.engagement.selectors import task_visible

    return task_visible(viewer=viewer).select_related("customer", "partner", "assigned_to")


def _task_assign(actor, task, owner):
    from kehu.engagement.services import task_update

    task_update(actor=actor, task=task, data={"assigned_to": owner})


def _task_cancel(actor, task, _value):
    from kehu.engagement.services import task_cancel

    task_cancel(actor=actor, task=task, reason=_("Cancelled from the list."))


def _task_status(actor, task, status):
    from kehu.engagement.models import TaskStatus
    from kehu.engagement.services import task_cancel, task_complete

    if status == TaskStatus.DONE:
        task_complete(actor=actor, task=task, outcome=_("Marked done from the list."))
    else:
        task_cancel(actor=actor, task=task, reason=_("Cancelled from the list."))


def _task_status_choices():
    from kehu.engagement.models import TaskStatus

    return [(TaskStatus.DONE.value, TaskStatus.DONE.label), (TaskStatus.CANCELLED.value, TaskStatus.CANCELLED.label)]


def _order_rows(viewer):
    from kehu.sales.selectors import order_list

    return order_list(viewer=viewer)


def _order_status(actor, order, status):
    from kehu.sales.services import order_update

    if order.status != status:
        order_update(actor=actor, order=order, data={"status": status})
    elif not policy_for(actor).can_change(order.customer):
        raise PermissionDenied(_("You may not change this customer."))


def _order_status_choices():
    from kehu.sales.models import OrderStatus

    return OrderStatus.choices


def _order_delete(actor, order, _value):
    from kehu.sales.services import order_delete

    order_delete(actor=actor, order=order)


def _interaction_rows(viewer):
    from kehu.engagement.selectors import interaction_list

    return interaction_list(viewer=viewer)


def _interaction_delete(actor, interaction, _value):
    from kehu.engagement.services import interaction_delete

    interaction_delete(actor=actor, interaction=interaction)


def _survey_rows(viewer):
    from kehu.surveys.selectors import survey_list

    return survey_list(viewer=viewer)


def _survey_status(actor, survey, status):
    from kehu.surveys.services.definitions import survey_set_status

    survey_set_status(actor=actor, survey=survey, status=status)


def _survey_delete(actor, survey, _value):
    from kehu.surveys.services.definitions import survey_delete

    survey_delete(actor=actor, survey=survey)


def _survey_status_choices():
    from kehu.surveys.models import SurveyStatus

    return SurveyStatus.choices


def _may_design_surveys(viewer) -> bool:
    from kehu.surveys.selectors import may_design_surveys

    return may_design_surveys(viewer)


def _run_rows(viewer):
    from kehu.insights.selectors import run_list

    return run_list(viewer=viewer)


def _score_rows(viewer):
    from kehu.insights.models import CustomerScore

    return policy_for(viewer).visible(CustomerScore.objects.select_related("customer"), prefix="customer__")


def _segment_rows(viewer):
    from kehu.insights.segments import segment_list

    return segment_list(viewer=viewer)


def _segment_delete(actor, segment, _value):
    from kehu.insights.segments import segment_delete

    segment_delete(actor=actor, segment=segment)


def _may_create_segments(viewer) -> bool:
    from kehu.insights.permissions import can_create_segment

    return can_create_segment(viewer)


_loaded = False


def _load() -> None:
    """Register the built-in lists (lazily: the specs import models)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    export = BulkAction("export", gettext_lazy("Export the selection"))
    delete_label = gettext_lazy("Delete")
    register(ListSpec(
        name="customers", label=gettext_lazy("Customers"), url_name="customer_list",
        columns=(
            Column("ref", gettext_lazy("Code"), "ref"), Column("name", gettext_lazy("Name"), "name"),
            Column("kind", gettext_lazy("Type")), Column("stage", gettext_lazy("Stage")),
            Column("city", gettext_lazy("City")), Column("phone", gettext_lazy("Phone")),
            Column("owner", gettext_lazy("Owner")), Column("partner", gettext_lazy("Partner")),
            Column("updated", gettext_lazy("Updated"), "updated"),
        ),
        rows=_customer_rows,
        actions=(
            BulkAction("assign", gettext_lazy("Assign owner"), _customer_assign, value="owner"),
            BulkAction("tag", gettext_lazy("Add tag"), _customer_tag, value="tag"),
            BulkAction("status", gettext_lazy("Change stage"), _customer_stage, value="status"),
            export,
            BulkAction("delete", delete_label, _customer_delete, confirm=True),
        ),
        export_url_name="customer_export",
        row_label=lambda c: f"{c.ref} {c.name}",
        status_choices=_stage_choices,
    ))
    register(ListSpec(
        name="tasks", label=gettext_lazy("Tasks"), url_name="task_list",
        columns=(
            Column("due", gettext_lazy("Due"), "due", "nowrap"), Column("title", gettext_lazy("Task")),
            Column("customer", gettext_lazy("Customer")), Column("partner", gettext_lazy("Partner"), cls="hide-sm"),
            Column("source", gettext_lazy("Source"), cls="hide-sm"),
            Column("assigned", gettext_lazy("Assigned to"), cls="hide-sm"),
            Column("status", gettext_lazy("Status"), cls="hide-sm"),
            Column("created", gettext_lazy("Created"), "created", "hide-sm nowrap"),
        ),
        rows=_task_rows,
        actions=(
            BulkAction("assign", gettext_lazy("Assign to"), _task_assign, value="owner"),
            BulkAction("status", gettext_lazy("Change status"), _task_status, value="status"),
            export,
            BulkAction("cancel", gettext_lazy("Cancel"), _task_cancel, confirm=True),
        ),
        export_url_name="task_export",
        row_label=lambda t: t.title,
        status_choices=_task_status_choices,
        status_label=gettext_lazy("Status"),
    ))
    register(ListSpec(
        name="orders", label=gettext_lazy("Orders"), url_name="order_list",
        columns=(
            Column("ref", gettext_lazy("Order number"), "ref"), Column("date", gettext_lazy("Date"), "date", "nowrap"),
            Column("customer", gettext_lazy("Customer")), Column("status", gettext_lazy("Status"), cls="hide-sm"),
            Column("amount", gettext_lazy("Amount"), "amount", "num"),
            Column("margin", gettext_lazy("Gross margin"), cls="num hide-sm",
                   may=lambda viewer: policy_for(viewer).may_see_cost),
            Column("paid", gettext_lazy("Paid"), cls="num hide-sm"),
            Column("due", gettext_lazy("Payment due"), cls="hide-sm"),
        ),
        rows=_order_rows,
        actions=(
            BulkAction("status", gettext_lazy("Change status"), _order_status, value="status"),
            export,
            BulkAction("delete", delete_label, _order_delete, confirm=True),
        ),
        export_url_name="order_export",
        row_label=lambda o: o.ref,
        status_choices=_order_status_choices,
        status_label=gettext_lazy("Status"),
    ))
    register(ListSpec(
        name="interactions", label=gettext_lazy("Interactions"), url_name="interaction_list",
        columns=(
            Column("when", gettext_lazy("When"), "when", "nowrap"), Column("customer", gettext_lazy("Customer")),
            Column("channel", gettext_lazy("Channel")), Column("subject", gettext_lazy("Subject"), cls="hide-sm"),
            Column("summary", gettext_lazy("Summary"), cls="hide-sm"),
            Column("user", gettext_lazy("Logged by"), cls="hide-sm"),
            Column("next_step", gettext_lazy("Next step"), cls="hide-sm"),
        ),
        rows=_interaction_rows,
        actions=(export, BulkAction("delete", delete_label, _interaction_delete, confirm=True)),
        export_url_name="interaction_export",
        row_label=lambda i: f"{i.occurred_at:%Y-%m-%d} {i.customer}",
    ))
    from kehu.service import lists as service_lists

    register(ListSpec(
        name="cases", label=gettext_lazy("Cases"), url_name="case_queue",
        columns=(
            Column("ref", gettext_lazy("Case number"), "created", "nowrap"),
            Column("subject", gettext_lazy("Subject")),
            Column("customer", gettext_lazy("Customer or caller")),
            Column("kind", gettext_lazy("Kind"), cls="hide-sm"),
            Column("severity", gettext_lazy("Severity"), "severity"),
            Column("status", gettext_lazy("Status")),
            Column("assignee", gettext_lazy("Assignee"), cls="hide-sm"),
            Column("sla", gettext_lazy("SLA"), cls="hide-sm nowrap"),
        ),
        rows=service_lists.case_rows,
        actions=(
            BulkAction("assign", gettext_lazy("Assign to"), service_lists.case_bulk_assign, value="owner",
                       confirm=True),
            BulkAction("status", gettext_lazy("Change status"), service_lists.case_bulk_status, value="status",
                       confirm=True),
        ),
        row_label=str, status_choices=service_lists.status_choices, status_label=gettext_lazy("Status"),
    ))
    from kehu.sales import lists as sales_lists

    register(ListSpec(
        name="opportunities", label=gettext_lazy("Opportunities"), url_name="opportunity_list",
        columns=(
            Column("name", pgettext_lazy("opportunity", "Name"), "name"),
            Column("customer", gettext_lazy("Customer")),
            Column("stage", gettext_lazy("Stage")),
            Column("amount", gettext_lazy("Amount"), "amount", "num"),
            Column("probability", gettext_lazy("Probability"), cls="num hide-sm"),
            Column("close", gettext_lazy("Expected close date"), "close", "nowrap"),
            Column("owner", gettext_lazy("Owner"), cls="hide-sm"),
        ),
        rows=sales_lists.opportunity_rows,
        actions=(
            BulkAction("assign", gettext_lazy("Assign to"), sales_lists.opportunity_bulk_assign, value="owner",
                       confirm=True),
            BulkAction("status", gettext_lazy("Move to stage"), sales_lists.opportunity_bulk_stage, value="status",
                       confirm=True),
        ),
        row_label=str, status_choices=sales_lists.stage_choices, status_label=gettext_lazy("Stage"),
    ))
    from kehu.sales import forecast_views

    register(ListSpec(
        name="quotas", label=gettext_lazy("Quotas"), url_name="quota_list",
        columns=(
            Column("period", gettext_lazy("Period"), "period", "nowrap"),
            Column("who", gettext_lazy("Salesperson or team")),
            Column("line", gettext_lazy("Product line"), cls="hide-sm"),
            Column("amount", gettext_lazy("Amount"), "amount", "num"),
        ),
        rows=forecast_views.quota_rows,
        actions=(BulkAction("delete", gettext_lazy("Delete"), forecast_views.quota_bulk_delete, confirm=True),),
        row_label=str, may_change=lambda viewer: policy_for(viewer).may_set_quotas,
    ))
    register(ListSpec(
        name="key_accounts", label=gettext_lazy("Key-account plans"), url_name="key_account_list",
        columns=(
            Column("name", pgettext_lazy("key-account plan", "Name"), "name"),
            Column("customer", gettext_lazy("Customer"), "customer"),
            Column("status", gettext_lazy("Status")),
            Column("years", gettext_lazy("Years"), "year", "nowrap"),
            Column("salesperson", gettext_lazy("Salesperson"), cls="hide-sm"),
            Column("manager", gettext_lazy("Manager"), cls="hide-sm"),
        ),
        rows=sales_lists.key_account_rows,
        row_label=str,
    ))
    register(ListSpec(
        name="quotes", label=gettext_lazy("Quotes"), url_name="quote_list",
        columns=(
            Column("ref", gettext_lazy("Quote number"), "created", "nowrap"),
            Column("customer", gettext_lazy("Customer")),
            Column("title", pgettext_lazy("quote", "Subject"), cls="hide-sm"),
            Column("status", gettext_lazy("Status")),
            Column("total", gettext_lazy("Total incl. VAT"), "total", "num"),
            Column("valid", gettext_lazy("Valid until"), "valid", "nowrap"),
            Column("owner", gettext_lazy("Salesperson"), cls="hide-sm"),
        ),
        rows=sales_lists.quote_rows,
        row_label=str,
    ))
    register(ListSpec(
        name="surveys", label=gettext_lazy("Surveys"), url_name="survey_list",
        columns=(
            Column("code", gettext_lazy("Code"), "code"), Column("title", gettext_lazy("Title")),
            Column("kind", gettext_lazy("Kind"), cls="hide-sm"), Column("status", gettext_lazy("Status")),
            Column("questions", gettext_lazy("Questions"), cls="num hide-sm"),
            Column("indicators", gettext_lazy("Indicators"), cls="num hide-sm"),
            Column("waves", gettext_lazy("Waves"), cls="num hide-sm"),
            Column("updated", gettext_lazy("Updated"), "updated", "hide-sm nowrap"),
        ),
        rows=_survey_rows,
        actions=(
            BulkAction("status", gettext_lazy("Change status"), _survey_status, value="status"),
            BulkAction("delete", delete_label, _survey_delete, confirm=True),
        ),
        row_label=lambda s: s.code,
        status_choices=_survey_status_choices,
        status_label=gettext_lazy("Status"),
        may_change=_may_design_surveys,
    ))
    register(ListSpec(
        name="value_runs", label=gettext_lazy("Value analyses"), url_name="value_runs",
        columns=(
            Column("id", "#", "id"), Column("as_of", gettext_lazy("As of"), "as_of", "nowrap"),
            Column("status", gettext_lazy("Status")), Column("model", gettext_lazy("Model"), cls="hide-sm"),
            Column("requested_by", gettext_lazy("Started by"), cls="hide-sm"),
            Column("customers", gettext_lazy("Customers scored"), cls="num hide-sm"),
            Column("finished", gettext_lazy("Finished"), cls="hide-sm nowrap"),
        ),
        rows=_run_rows,
        row_label=lambda r: f"#{r.pk}",
    ))
    register(ListSpec(
        name="value_scores", label=gettext_lazy("Customer scores"), url_name="value_scores",
        # sorted by the page's own sort bar (its orders run one way: best value, highest risk first)
        columns=(
            Column("customer", gettext_lazy("Customer")), Column("owner", gettext_lazy("Owner"), cls="hide-sm"),
            Column("tier", gettext_lazy("Tier")), Column("abc", gettext_lazy("ABC"), cls="hide-sm"),
            Column("rfm", gettext_lazy("RFM group"), cls="hide-sm"),
            Column("revenue", gettext_lazy("Revenue"), cls="num"),
            Column("clv", gettext_lazy("Predicted value"), cls="num"),
            Column("p_alive", gettext_lazy("Still active"), cls="num hide-sm"),
            Column("churn", gettext_lazy("Churn risk"), cls="num"),
            Column("next_order", gettext_lazy("Expected next order"), cls="hide-sm"),
        ),
        rows=_score_rows,
        actions=(export,),
        export_url_name="value_scores_export",
        export_keep=("run",),
        row_label=lambda s: f"{s.customer.ref} {s.customer.name}",
    ))
    register(ListSpec(
        name="segments", label=gettext_lazy("Segments"), url_name="segment_list",
        columns=(
            Column("name", gettext_lazy("Name"), "name"), Column("kind", gettext_lazy("Kind")),
            Column("description", gettext_lazy("Description"), cls="hide-sm"),
            Column("run", gettext_lazy("Analysis"), cls="hide-sm"),
            Column("created_by", gettext_lazy("Created by"), cls="hide-sm"),
            Column("updated", gettext_lazy("Updated"), "updated", "hide-sm nowrap"),
        ),
        rows=_segment_rows,
        actions=(BulkAction("delete", delete_label, _segment_delete, confirm=True),),
        row_label=lambda s: s.name,
        may_change=_may_create_segments,
    ))
    register(ListSpec(
        name="associations", label=gettext_lazy("Bought together"), url_name="association_list",
        columns=(
            Column("rule", gettext_lazy("Rule")),
            Column("level", gettext_lazy("Level"), cls="hide-sm"),
            Column("support", gettext_lazy("Support"), "support", "num"),
            Column("confidence", gettext_lazy("Confidence"), "confidence", "num"),
            Column("lift", gettext_lazy("Lift"), "lift", "num"),
            Column("count", gettext_lazy("Orders"), cls="num hide-sm"),
        ),
        rows=sales_lists.association_rows,
        row_label=str,
    ))
    from kehu.sales import views_pool

    register(views_pool.POOL_LIST)
    from kehu.org import views as org_views

    register(org_views.USERS_LIST)
    from kehu.partners import views as partner_views

    register(partner_views.PARTNERS_LIST)


def list_context(request, name: str, *, partial: bool = False, sort: str | None = None) -> dict:
    """What the shared list partials need (``web/lists/_tools.html``,
    ``_columns.html``, ``_select_all.html``): the spec, the columns shown, the
    user's saved views of this list, the bulk actions offered and their
    choices, and the query string without the cursor; with ``sort``, the
    table headers of the columns shown (``web/lists/_thead.html``)."""
    from kehu.web.models import SavedView

    spec = get_spec(name)
    actions = spec.actions_for(request.user)
    ctx = {
        "list_spec": spec,
        "shown_cols": spec.shown_columns(request),
        "list_columns": spec.columns_for(request.user),
        "saved_views": [],
        "bulk_actions": actions,
        "list_query": query_without_cursor(request.GET),
        "bulk_status_choices": list(spec.status_choices()) if spec.status_choices else [],
        "bulk_owner_choices": [],
    }
    if sort is not None:
        ctx["columns"] = spec.headers(sort, ctx["shown_cols"])
    if partial:
        return ctx
    ctx["custom_filters"] = _custom_filters(request, spec.name)
    ctx["saved_views"] = list(SavedView.objects.filter(user=request.user, list_name=spec.name)
                              .order_by("name", "id").only("id", "name", "query"))
    if any(a.value == "owner" for a in actions):
        # written once here (a head office may hand rows to hundreds of people): the options' HTML
        from django.utils.html import format_html_join

        people = (policy_for(request.user).assignable_users().order_by("display_name", "username")
                  .only("id", "username", "display_name", "first_name", "last_name"))
        ctx["bulk_owner_choices"] = format_html_join("", '<option value="{}">{}</option>',
                                                     ((u.pk, str(u)) for u in people))
    return ctx


def _custom_filters(request, name: str) -> list[dict]:
    """The custom field filters of the list (kehu.customfields), for its filter form."""
    from kehu.customfields.registry import for_list
    from kehu.customfields.values import filter_inputs, request_definitions

    rt = for_list(name)
    return filter_inputs(rt.key, request.GET, request_definitions(request, rt.key)) if rt else []


def chosen_sort(request, sorts: dict, default: str) -> str:
    """The ``sort`` of the URL if the list allows it (a whitelist: a sort
    key maps to a keyset ordering ending in ``id``), else ``default``."""
    sort = request.GET.get("sort", default)
    return sort if sort in sorts else default
