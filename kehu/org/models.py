"""Users, teams, roles and API tokens."""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractUser
from django.db import models
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


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.SALESPERSON)
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="members",
    )
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True, default="")
    phone = models.CharField(_("phone"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

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
