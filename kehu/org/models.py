"""Users, teams, roles, API tokens, and the partners of the channel (伙伴关系管理)."""

from __future__ import annotations

import hashlib
from decimal import Decimal

from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class TimeStamped(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class Team(TimeStamped):
    """A unit of the organisation: head office → regions → sales teams.

    ``path`` is a materialised path of ids (``/1/4/9/``) so that a team's
    subtree is one indexed prefix query. Head office is the root team.
    """

    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent team"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="children",
    )
    path = models.CharField(_("path"), max_length=255, db_index=True, editable=False, default="")

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="team_unique_name_in_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_head_office(self) -> bool:
        return self.parent_id is None

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2 if self.path else 0


class Role(models.TextChoices):
    SALESPERSON = "salesperson", _("Salesperson")
    SALES_MANAGER = "sales_manager", _("Sales manager")
    SERVICE_AGENT = "service_agent", _("Service agent")
    MARKETING = "marketing", _("Marketing")
    ANALYST = "analyst", _("Analyst")
    ADMIN = "admin", _("Administrator")
    # A person of a partner organisation (代理商/经销商的员工): sees only the customers,
    # orders and cases of their partner and the sub-partners below it (kehu/org/policies.py).
    PARTNER = "partner", _("Partner user")


class PartnerType(models.TextChoices):
    DISTRIBUTOR = "distributor", _("Distributor")
    AGENT_L1 = "agent_l1", _("Level-1 agent")
    AGENT_L2 = "agent_l2", _("Level-2 agent")
    INDUSTRY_AGENT = "industry_agent", _("Industry agent")
    VAR = "var", _("Value-added reseller")
    SERVICE_PROVIDER = "service_provider", _("Service provider")
    SUPPLIER = "supplier", _("Supplier")


class Partner(TimeStamped):
    """A partner organisation of the channel (渠道伙伴): a distributor, an agent, a
    reseller, a service provider or a supplier.

    Partners form a tree like teams: a level-1 agent may have level-2 agents below
    it (``parent``). ``path`` is a materialised path of ids (``/3/8/``) so that a
    partner's subtree is one indexed prefix query; ``level`` is its depth (1 for a
    partner that deals with the company directly). Both are kept by the services.
    The channel manager (``manager``) is the Kehu user who looks after the partner.
    """

    code = models.CharField(_("partner code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("type"), max_length=20, choices=PartnerType.choices, default=PartnerType.AGENT_L1)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent partner"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="children",
    )
    path = models.CharField(_("path"), max_length=255, db_index=True, editable=False, default="")
    level = models.PositiveSmallIntegerField(_("level"), default=1, editable=False)
    manager = models.ForeignKey(
        "User", verbose_name=_("channel manager"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="managed_partners",
    )
    # Territory (区域): lists of region codes, provinces, cities and industries.
    regions = models.JSONField(_("regions"), default=list, blank=True)
    provinces = models.JSONField(_("provinces"), default=list, blank=True)
    cities = models.JSONField(_("cities"), default=list, blank=True)
    industries = models.JSONField(_("industries"), default=list, blank=True)
    contract_start = models.DateField(_("contract start"), null=True, blank=True)
    contract_end = models.DateField(_("contract end"), null=True, blank=True)
    terms = models.TextField(_("contract terms"), blank=True, default="", max_length=4000)
    # The partner's margin on what it sells (the discount off the list price), in percent;
    # an order sold through the partner starts with it.
    margin_pct = models.DecimalField(
        _("partner margin (%)"), max_digits=5, decimal_places=2, default=Decimal("0"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True, default="")
    email = models.EmailField(_("email"), blank=True, default="")
    address = models.CharField(_("address"), max_length=300, blank=True, default="")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                condition=Q(contract_end__isnull=True) | Q(contract_start__isnull=True)
                | Q(contract_end__gte=models.F("contract_start")),
                name="partner_contract_dates_in_order",
                violation_error_message=_("The contract cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(margin_pct__gte=0) & Q(margin_pct__lte=100),
                name="partner_margin_in_range",
                violation_error_message=_("The partner margin must be between 0 and 100%."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PartnerTarget(TimeStamped):
    """What a partner is to sell in one period (目标): revenue and new customers."""

    partner = models.ForeignKey(Partner, verbose_name=_("partner"), on_delete=models.CASCADE, related_name="targets")
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    revenue = models.DecimalField(_("revenue target"), max_digits=16, decimal_places=2, default=Decimal("0"),
                                  validators=[MinValueValidator(Decimal(0))])
    new_customers = models.PositiveIntegerField(_("new customers target"), default=0)

    class Meta:
        verbose_name = _("partner target")
        verbose_name_plural = _("partner targets")
        ordering = ["partner", "period_start"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "period_start"], name="partner_target_once_per_period",
                                    violation_error_message=_("This partner already has a target for that period.")),
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")),
                                   name="partner_target_period_in_order",
                                   violation_error_message=_("The period cannot end before it starts.")),
            models.CheckConstraint(condition=Q(revenue__gte=0), name="partner_target_revenue_not_negative",
                                   violation_error_message=_("The revenue target cannot be negative.")),
        ]

    def __str__(self) -> str:
        return f"{self.partner} {self.period_start}–{self.period_end}"


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.SALESPERSON)
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="members",
    )
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True, default="")
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    # Partner users (role "partner") belong to one partner; nobody else does.
    partner = models.ForeignKey(Partner, verbose_name=_("partner"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="users")

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(role="partner") & Q(partner__isnull=False)) | (~Q(role="partner") & Q(partner__isnull=True)),
                name="user_partner_iff_partner_role",
                violation_error_message=_("A partner user needs a partner, and only partner users have one."),
            ),
        ]

    def __str__(self) -> str:
        return self.label(self.display_name, self.first_name, self.last_name, self.username)

    @staticmethod
    def label(display_name, first_name, last_name, username) -> str:
        """How a person is named on a page, from the four columns (for rows read as plain
        values): the display name, else the full name, else the username."""
        return display_name or f"{first_name or ''} {last_name or ''}".strip() or (username or "")


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(TimeStamped):
    """A personal API token. Only its SHA-256 digest is stored."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class Employee(TimeStamped):
    """A member of staff without a Kehu login (drivers, warehouse, workshop…),
    imported from a file (``kehu import employees``) so that the employee
    satisfaction survey reaches everyone. Kehu users are employees too:
    the survey invites active users and active rows of this table alike
    (kehu/surveys/staff)."""

    name = models.CharField(_("name"), max_length=100)
    email = models.EmailField(_("email"), blank=True, default="")
    phone = models.CharField(_("phone"), max_length=30, blank=True, default="")
    team = models.ForeignKey(Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="staff")
    position = models.CharField(_("job position"), max_length=60, blank=True, default="")
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("employee")
        verbose_name_plural = _("employees")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["email"], condition=~models.Q(email=""), name="employee_email_unique",
                                    violation_error_message=_("Another employee has this e-mail address.")),
        ]

    def __str__(self) -> str:
        return self.name
