"""/outreach: sending to customers through the one gate (kehu.marketing.outreach).

- ``/outreach/templates``: bilingual message templates; marketing and administrators
  read and write them (403 for others); ``POST /outreach/templates/{id}/preview``
  renders one for a customer the caller may see, with what the gate would do now;
- ``/outreach/messages``: the log of every attempt, of the customers the caller may
  see (anyone signed in); ``POST /outreach/messages`` sends one message by hand
  through the gate (marketing and administrators to customers they see, others to
  customers they may change);
- ``/outreach/suppressions``: the suppression list (marketing and administrators);
- ``/outreach/settings``: frequency caps, quiet hours, default language.
"""

import datetime as dt
from typing import Literal, Optional

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from kehu.api.common import READ_ERRORS, WRITE_ERRORS, not_found_field, partial_schema, sent_fields
from kehu.api.pagination import CursorPagination
from kehu.marketing.permissions import require_marketing
from kehu.org.policies import policy_for

from . import selectors, services
from .models import (
    BODY_MAX, SUBJECT_MAX, Channel, HoldReason, Language, Purpose, SourceKind, Status as MsgStatus,
    SuppressionReason,
)

router = Router(tags=["outreach"])

ChannelT = Literal["email", "sms", "wechat", "mail", "phone"]
PurposeT = Literal["service", "marketing"]


class OutreachTemplateOut(Schema):
    id: int
    code: str
    name: str
    channel: Channel
    purpose: Purpose
    subject_zh: str
    body_zh: str
    subject_en: str
    body_en: str
    created_at: dt.datetime
    updated_at: dt.datetime


class OutreachTemplateIn(Schema):
    code: str = Field(min_length=1, max_length=50, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str = Field(min_length=1, max_length=100)
    channel: ChannelT
    purpose: PurposeT = "marketing"
    subject_zh: str = Field("", max_length=SUBJECT_MAX)
    body_zh: str = Field("", max_length=BODY_MAX,
                         description="Django template text; placeholders such as {{ customer.name }} only.")
    subject_en: str = Field("", max_length=SUBJECT_MAX)
    body_en: str = Field("", max_length=BODY_MAX)


OutreachTemplatePatchIn = partial_schema(OutreachTemplateIn, "OutreachTemplatePatchIn")


class OutreachSenderContext(Schema):
    coupon: dict[str, str] = Field(default_factory=dict, description="code, value, valid_until")
    campaign: dict[str, str] = Field(default_factory=dict, description="name")
    referral: dict[str, str] = Field(default_factory=dict, description="code, link")
    link: str = Field("", max_length=2000)


class OutreachPreviewIn(Schema):
    customer_id: Optional[int] = Field(None, ge=1, le=2**62, description="None: a sample customer.")
    context: Optional[OutreachSenderContext] = None


class OutreachPreviewVersion(Schema):
    language: Language
    subject: str
    body: str


class OutreachGateOut(Schema):
    status: Literal["queued", "held", "deferred"] = Field(description="queued: would go out now.")
    reason: str = Field(description="Why held back; '' otherwise.")
    due_at: Optional[dt.datetime]


class OutreachPreviewOut(Schema):
    versions: list[OutreachPreviewVersion]
    language: Optional[Language] = Field(description="The customer's language; null for the sample.")
    gate: Optional[OutreachGateOut]


class OutreachMessageOut(Schema):
    id: int
    customer_id: int
    contact_id: Optional[int]
    channel: Channel
    purpose: Purpose
    template_id: Optional[int]
    source_kind: SourceKind
    source_id: Optional[int]
    language: Language
    address: str
    subject: str
    body: str
    status: MsgStatus
    reason: str = Field(description="Hold reason: no_consent, withdrawn, opted_out, suppressed, capped, "
                                    "no_address; '' when not held.")
    due_at: Optional[dt.datetime] = Field(description="A deferred message goes out then (quiet hours).")
    sent_at: Optional[dt.datetime]
    error: str
    task_id: Optional[int]
    created_at: dt.datetime

    @staticmethod
    def resolve_address(obj, context) -> str:
        if not obj.address or obj.channel == Channel.MAIL:
            return obj.address
        from kehu.privacy.masking import shown

        request = (context or {}).get("request")
        viewer = getattr(request, "auth", None) or getattr(request, "user", None)
        return shown(viewer=viewer, customer=obj.customer, field="email" if obj.channel == Channel.EMAIL else "phone",
                     value=obj.address)


class OutreachMessageFilterIn(Schema):
    channel: Optional[ChannelT] = None
    status: Optional[Literal["queued", "sent", "held", "deferred", "failed"]] = None
    reason: Optional[Literal[tuple(HoldReason.values)]] = None
    source_kind: Optional[Literal[tuple(SourceKind.values)]] = None
    source_id: Optional[int] = Field(None, ge=1, le=2**62)
    customer_id: Optional[int] = Field(None, ge=1, le=2**62)


class OutreachSendIn(Schema):
    customer_id: int = Field(ge=1, le=2**62)
    contact_id: Optional[int] = Field(None, ge=1, le=2**62)
    template: str = Field(min_length=1, max_length=50, description="The template's code.")
    purpose: Optional[PurposeT] = Field(None, description="Default: the template's purpose.")
    context: Optional[OutreachSenderContext] = None


class OutreachSuppressionOut(Schema):
    id: int
    channel: Channel
    address: str
    customer_id: Optional[int]
    reason: SuppressionReason
    note: str
    added_by_id: Optional[int]
    created_at: dt.datetime


class OutreachSuppressionIn(Schema):
    channel: ChannelT
    address: str = Field("", max_length=254, description="An e-mail address or a phone number.")
    customer_id: Optional[int] = Field(None, ge=1, le=2**62, description="Or a customer (no address).")
    reason: Literal[tuple(SuppressionReason.values)] = "manual"
    note: str = Field("", max_length=200)


class OutreachSettingsOut(Schema):
    email_cap: int
    email_days: int
    sms_cap: int
    sms_days: int
    wechat_cap: int
    wechat_days: int
    mail_cap: int
    mail_days: int
    phone_cap: int
    phone_days: int
    quiet_start: str = Field(description="HH:MM, in the company's time zone.")
    quiet_end: str = Field(description="HH:MM; before quiet_start: the quiet hours run over midnight.")
    quiet_enabled: bool
    default_language: Language

    @staticmethod
    def resolve_quiet_start(obj) -> str:
        return obj.quiet_start.strftime("%H:%M")

    @staticmethod
    def resolve_quiet_end(obj) -> str:
        return obj.quiet_end.strftime("%H:%M")


HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class OutreachSettingsIn(Schema):
    email_cap: int = Field(ge=0, le=1000)
    email_days: int = Field(ge=1, le=366)
    sms_cap: int = Field(ge=0, le=1000)
    sms_days: int = Field(ge=1, le=366)
    wechat_cap: int = Field(ge=0, le=1000)
    wechat_days: int = Field(ge=1, le=366)
    mail_cap: int = Field(ge=0, le=1000)
    mail_days: int = Field(ge=1, le=366)
    phone_cap: int = Field(ge=0, le=1000)
    phone_days: int = Field(ge=1, le=366)
    quiet_start: str = Field(pattern=HHMM, description="HH:MM")
    quiet_end: str = Field(pattern=HHMM, description="HH:MM")
    quiet_enabled: bool
    default_language: Literal["zh-hans", "en"]


OutreachSettingsPatchIn = partial_schema(OutreachSettingsIn, "OutreachSettingsPatchIn")


# -- templates -------------------------------------------------------------------------

def _template(request, template_id: int):
    require_marketing(request.auth)
    return selectors.template_get(template_id)


@router.get("/templates", response={200: list[OutreachTemplateOut], **READ_ERRORS, 403: READ_ERRORS[401]},
            url_name="outreach-template-list", summary="List message templates (marketing, administrators)")
@paginate(CursorPagination)
def list_templates(request):
    require_marketing(request.auth)
    return selectors.template_list().order_by("code", "id")


@router.post("/templates", response={201: OutreachTemplateOut, **WRITE_ERRORS}, url_name="outreach-template-create",
             summary="Write a bilingual message template")
def create_template(request, payload: OutreachTemplateIn):
    return Status(201, services.template_create(actor=request.auth, data=payload.model_dump()))


@router.get("/templates/{int:template_id}", response={200: OutreachTemplateOut, **READ_ERRORS, 403: READ_ERRORS[401]},
            url_name="outreach-template-detail", summary="Get a message template")
def get_template(request, template_id: int):
    return _template(request, template_id)


@router.patch("/templates/{int:template_id}", response={200: OutreachTemplateOut, **WRITE_ERRORS},
              url_name="outreach-template-update", summary="Change a message template")
def update_template(request, template_id: int, payload: OutreachTemplatePatchIn):
    template = _template(request, template_id)
    return services.template_update(actor=request.auth, template=template, data=sent_fields(payload))


@router.delete("/templates/{int:template_id}", response={204: None, **WRITE_ERRORS},
               url_name="outreach-template-delete", summary="Delete a message template (the log keeps its messages)")
def delete_template(request, template_id: int):
    services.template_delete(actor=request.auth, template=_template(request, template_id))
    return Status(204, None)


@router.post("/templates/{int:template_id}/preview", response={200: OutreachPreviewOut, **WRITE_ERRORS},
             url_name="outreach-template-preview",
             summary="Render a template for a customer (or a sample) and say what the gate would do now")
def preview_template(request, template_id: int, payload: OutreachPreviewIn):
    from kehu.customers.models import Customer

    template = _template(request, template_id)
    customer = None
    if payload.customer_id is not None:
        customer = policy_for(request.auth).visible(Customer.objects.select_related("owner")).filter(
            pk=payload.customer_id).first()
        if customer is None:
            raise not_found_field("customer_id")
    out = services.preview(template=template, customer=customer, viewer=request.auth,
                           context=payload.context.model_dump() if payload.context else None)
    return out


# -- messages -------------------------------------------------------------------------------

@router.get("/messages", response={200: list[OutreachMessageOut], **READ_ERRORS}, url_name="outreach-message-list",
            summary="The log of messages to the customers you may see, newest first")
@paginate(CursorPagination)
def list_messages(request, filters: Query[OutreachMessageFilterIn]):
    f = selectors.MessageFilters(channel=filters.channel or "", status=filters.status or "",
                                 reason=filters.reason or "", source_kind=filters.source_kind or "",
                                 source_id=filters.source_id, customer_id=filters.customer_id)
    return selectors.message_list(viewer=request.auth, filters=f).order_by("-created_at", "-id")


@router.get("/messages/{int:message_id}", response={200: OutreachMessageOut, **READ_ERRORS},
            url_name="outreach-message-detail", summary="One message of the log")
def get_message(request, message_id: int):
    return selectors.message_get(viewer=request.auth, pk=message_id)


@router.post("/messages", response={201: OutreachMessageOut, **WRITE_ERRORS}, url_name="outreach-message-send",
             summary="Send one message by hand through the gate (held back or deferred as the gate says)")
def send_message(request, payload: OutreachSendIn):
    from kehu.customers.models import Contact, Customer

    customer = policy_for(request.auth).visible(Customer.objects.all()).filter(pk=payload.customer_id).first()
    if customer is None:
        raise not_found_field("customer_id")
    contact = None
    if payload.contact_id is not None:
        contact = Contact.objects.filter(pk=payload.contact_id, customer=customer).first()
        if contact is None:
            raise not_found_field("contact_id")
    template = selectors.template_list().filter(code=payload.template).first()
    if template is None:
        raise not_found_field("template")
    msg = services.send(customer=customer, channel=template.channel, purpose=payload.purpose or template.purpose,
                        template=template, context=payload.context.model_dump() if payload.context else None,
                        source=SourceKind.MANUAL, contact=contact, actor=request.auth)
    return Status(201, selectors.message_get(viewer=request.auth, pk=msg.pk))


# -- suppressions -------------------------------------------------------------------------------

@router.get("/suppressions", response={200: list[OutreachSuppressionOut], **READ_ERRORS, 403: READ_ERRORS[401]},
            url_name="outreach-suppression-list", summary="The suppression list (marketing, administrators)")
@paginate(CursorPagination)
def list_suppressions(request, channel: Optional[ChannelT] = None):
    require_marketing(request.auth)
    return selectors.suppression_list(viewer=request.auth, channel=channel or "").order_by("-created_at", "-id")


@router.post("/suppressions", response={201: OutreachSuppressionOut, **WRITE_ERRORS}, url_name="outreach-suppression-create",
             summary="Put an address or a customer on the suppression list of a channel")
def create_suppression(request, payload: OutreachSuppressionIn):
    from django.core.exceptions import ValidationError

    from kehu.customers.models import Customer

    require_marketing(request.auth)
    customer = None
    if payload.customer_id is not None:
        customer = policy_for(request.auth).visible(Customer.objects.all()).filter(pk=payload.customer_id).first()
        if customer is None:
            raise not_found_field("customer_id")
    if not payload.address.strip() and customer is None:
        raise ValidationError({"address": [_("Give an address or a customer.")]})
    row = services.suppression_add(actor=request.auth, channel=payload.channel, address=payload.address,
                                   customer=customer, reason=payload.reason, note=payload.note)
    return Status(201, row)


@router.delete("/suppressions/{int:suppression_id}", response={204: None, **WRITE_ERRORS},
               url_name="outreach-suppression-delete", summary="Take an entry off the suppression list")
def delete_suppression(request, suppression_id: int):
    require_marketing(request.auth)
    row = selectors.suppression_get(viewer=request.auth, pk=suppression_id)
    services.suppression_remove(actor=request.auth, suppression=row)
    return Status(204, None)


# -- settings -------------------------------------------------------------------------------------

@router.get("/settings", response={200: OutreachSettingsOut, **READ_ERRORS, 403: READ_ERRORS[401]},
            url_name="outreach-settings", summary="The gate's settings: caps per channel, quiet hours, language")
def get_settings(request):
    from .models import GateSettings

    require_marketing(request.auth)
    return GateSettings.current()


@router.patch("/settings", response={200: OutreachSettingsOut, **WRITE_ERRORS}, url_name="outreach-settings-update",
              summary="Change the gate's settings (marketing, administrators)")
def update_settings(request, payload: OutreachSettingsPatchIn):
    data = sent_fields(payload)
    for key in ("quiet_start", "quiet_end"):
        if key in data:
            data[key] = dt.time.fromisoformat(data[key])
    return services.settings_update(actor=request.auth, data=data)
