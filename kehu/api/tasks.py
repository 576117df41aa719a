"""/tasks: follow-ups and to-dos (待办), scoped like the customers they are
about. A task about a customer is visible to those who may see the customer
(404 otherwise); its assignee and whoever may change the customer may
complete, cancel or change it (403 for others who see it). A task about a
partner (``partner_id``) is visible to its assignee and to administrators,
analysts and sales managers, never to partner users."""

import datetime as dt
from typing import Literal, Optional

from django.db.models import Q
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from kehu.api.common import READ_ERRORS, WRITE_ERRORS, api_field_names, not_found_field, partial_schema, sent_fields
from kehu.api.pagination import CursorPagination, Tiered
from kehu.customers.selectors import customer_get
from kehu.engagement.models import Channel, TaskSource, TaskStatus
from kehu.engagement.selectors import task_get, task_list
from kehu.engagement.services import task_cancel, task_complete, task_create, task_update
from kehu.org.models import User
from kehu.validators import REMARKS_MAX
from kehu.pagination import Tier

router = Router(tags=["tasks"])


class TaskOut(Schema):
    id: int
    customer_id: Optional[int]
    partner_id: Optional[int] = Field(description="The partner of the channel it is about (a partner's low survey "
                                                  "answer, a partner behind its target), or null.")
    title: str
    description: str
    due_on: Optional[dt.date]
    status: TaskStatus
    source: TaskSource
    source_ref: dict = Field(description='What set it off, e.g. {"response": 812} for a survey answer.')
    assigned_to_id: Optional[int]
    created_by_id: Optional[int] = Field(description="Null when Kehu made it (a survey follow-up).")
    outcome: str
    completed_at: Optional[dt.datetime] = Field(description="When it was done or cancelled.")
    created_at: dt.datetime
    updated_at: dt.datetime


class AnswerOut(Schema):
    question: str = Field(description="The question's code.")
    text: str = Field(description="The question, in the language of the request.")
    answer: str = Field(description="The answer as given: a level's name, option labels, '3 / 10', free text.")
    score: Optional[float] = Field(description="0–100 for scored questions.")


class TaskDetailOut(TaskOut):
    answers: list[AnswerOut] = Field(description="For a survey follow-up, the customer's (or partner's) answers; "
                                                "else empty.")


class TaskFields(Schema):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=REMARKS_MAX)
    due_on: Optional[dt.date] = None
    assigned_to_id: Optional[int] = Field(None, description="Defaults to you; must be able to see the customer.")


class TaskIn(TaskFields):
    customer_id: Optional[int] = Field(None, description="The customer it is about (one you may change), or null.")


TaskPatchIn = partial_schema(TaskFields, "TaskPatchIn")


class TaskCompleteIn(Schema):
    outcome: str = Field(min_length=1, max_length=REMARKS_MAX, description="What came of it.")
    log_interaction: bool = Field(False, description="Also log the outcome as an interaction with the customer.")
    channel: Channel = Field(Channel.PHONE, description="The interaction's channel.")


class TaskCancelIn(Schema):
    reason: str = ""


class TaskFilterIn(Schema):
    scope: Literal["mine", "team", "all"] = Field(
        "mine", description="mine: assigned to you; team: your team subtree's (managers); all: every task you see.")
    status: Literal["open", "done", "cancelled", "all"] = "open"
    source: Optional[TaskSource] = None
    due: Optional[Literal["overdue", "today", "week", "none"]] = None
    customer_id: Optional[int] = None
    assigned_to_id: Optional[int] = None
    partner_id: Optional[int] = Field(None, description="Only the tasks about this partner.")


def _assignee(request, data: dict) -> dict:
    if "assigned_to_id" in data:
        uid = data.pop("assigned_to_id")
        if uid is None:
            data["assigned_to"] = request.auth
        else:
            user = User.objects.filter(pk=uid, is_active=True).first()
            if user is None:
                raise not_found_field("assigned_to_id")
            data["assigned_to"] = user
    return data


def _detail(request, pk: int) -> dict:
    from kehu.surveys.selectors_loop import task_answers

    task = task_get(viewer=request.auth, pk=pk)
    out = TaskOut.model_validate(task).model_dump()
    answers = task_answers(task, request.auth).get("answers", [])
    out["answers"] = [{"question": a.question.code, "text": a.text, "answer": a.answer, "score": a.score}
                      for a in answers]
    return out


@router.get("", response={200: list[TaskOut], **READ_ERRORS}, url_name="task-list",
            summary="List tasks, soonest due first (those without a due date last)")
@paginate(CursorPagination)
def list_tasks(request, filters: Query[TaskFilterIn]):
    qs = task_list(viewer=request.auth, scope=filters.scope, status=filters.status, source=filters.source or "",
                   due=filters.due or "", customer_id=filters.customer_id, assigned_to_id=filters.assigned_to_id,
                   partner_id=filters.partner_id)
    return Tiered(qs, [Tier(Q(due_on__isnull=False), ("due_on", "id")), Tier(Q(due_on__isnull=True), ("id",))])


@router.post("", response={201: TaskDetailOut, **WRITE_ERRORS}, url_name="task-create",
             summary="Add a task (about a customer you may change, or a personal one)")
def create_task(request, payload: TaskIn):
    data = payload.model_dump(exclude_unset=True)
    customer_id = data.pop("customer_id", None)
    customer = customer_get(viewer=request.auth, pk=customer_id) if customer_id is not None else None
    data = _assignee(request, data)
    with api_field_names({"assigned_to": "assigned_to_id"}):
        task = task_create(actor=request.auth, customer=customer, data=data)
    return Status(201, _detail(request, task.pk))


@router.get("/{int:task_id}", response={200: TaskDetailOut, **READ_ERRORS}, url_name="task-detail",
            summary="Get a task, with the survey answers of a follow-up")
def get_task(request, task_id: int):
    return _detail(request, task_id)


@router.patch("/{int:task_id}", response={200: TaskDetailOut, **WRITE_ERRORS}, url_name="task-update",
              summary="Change an open task's title, details, due date or assignee")
def update_task(request, task_id: int, payload: TaskPatchIn):
    task = task_get(viewer=request.auth, pk=task_id)
    data = _assignee(request, sent_fields(payload))
    with api_field_names({"assigned_to": "assigned_to_id"}):
        task_update(actor=request.auth, task=task, data=data)
    return _detail(request, task_id)


@router.post("/{int:task_id}/complete", response={200: TaskDetailOut, **WRITE_ERRORS}, url_name="task-complete",
             summary="Complete a task with its outcome")
def complete_task(request, task_id: int, payload: TaskCompleteIn):
    task = task_get(viewer=request.auth, pk=task_id)
    task_complete(actor=request.auth, task=task, outcome=payload.outcome, log_interaction=payload.log_interaction,
                  channel=payload.channel)
    return _detail(request, task_id)


@router.post("/{int:task_id}/cancel", response={200: TaskDetailOut, **WRITE_ERRORS}, url_name="task-cancel",
             summary="Cancel a task that is no longer needed")
def cancel_task(request, task_id: int, payload: TaskCancelIn):
    task = task_get(viewer=request.auth, pk=task_id)
    task_cancel(actor=request.auth, task=task, reason=payload.reason)
    return _detail(request, task_id)
