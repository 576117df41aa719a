"""Writes to teams, users and API tokens."""

from __future__ import annotations

import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.audit.services import audit_record
from kehu.org.models import ApiToken, Role, Team, User, hash_token


def _require_admin(actor) -> None:
    """Teams and users are changed by administrators (the visibility policy decides who is
    one); ``actor=None`` is the ``kehu`` command, the demo and the benchmark generator."""
    from kehu.org.policies import policy_for

    if actor is not None and not policy_for(actor).is_admin:
        raise PermissionDenied(_("Only administrators may manage users and teams."))


def _require_manager_of(actor, role) -> None:
    """Partner users are also created and sent reset links by the channel's managers (the
    policy's ``may_manage_partners``: administrators and sales managers); everyone else's
    account by administrators only."""
    from kehu.org.policies import policy_for

    if role == Role.PARTNER and actor is not None and policy_for(actor).may_manage_partners:
        return
    _require_admin(actor)


def team_create(*, name: str, parent: Team | None = None, actor=None) -> Team:
    _require_admin(actor)
    team = Team(name=name.strip(), parent=parent)
    with transaction.atomic():
        team.full_clean(exclude=["path"])
        team.save()
        team.path = f"{parent.path if parent else '/'}{team.pk}/"
        team.save(update_fields=["path"])
        audit_record(actor=actor, action="create", instance=team, summary=team.name)
    return team


def team_move(*, team: Team, parent: Team | None, actor=None) -> Team:
    """Move a team (and its subtree) under another parent, rewriting paths."""
    _require_admin(actor)
    if parent is not None and parent.path.startswith(team.path):
        raise ValidationError(_("A team cannot be moved into its own subtree."))
    with transaction.atomic():
        old = team.path
        new = f"{parent.path if parent else '/'}{team.pk}/"
        for t in Team.objects.filter(path__startswith=old).select_for_update():
            t.path = new + t.path[len(old):]
            if t.pk == team.pk:
                t.parent = parent
            t.save(update_fields=["path", "parent"])
        audit_record(actor=actor, action="move", instance=team, summary=f"{old} → {new}")
    team.refresh_from_db()
    return team


def team_update(*, team: Team, name: str | None = None, parent: Team | None | object = ...,
                actor=None) -> Team:
    """Rename ``team`` and/or move it under ``parent`` (``...`` leaves the parent as it is).

    The head office (the root) stays the root: it cannot be moved, and no other team can
    become a second root. A team cannot move into its own subtree (no cycles).
    """
    _require_admin(actor)
    changes = {}
    with transaction.atomic():
        if parent is not ... and (parent.pk if parent else None) != team.parent_id:
            if team.parent_id is None:
                raise ValidationError({"parent": _("The head office cannot be moved.")})
            if parent is None:
                raise ValidationError({"parent": _("Choose the team to move this team under.")})
            if parent.path.startswith(team.path):
                raise ValidationError({"parent": _("A team cannot be moved into its own subtree.")})
            if Team.objects.filter(parent=parent, name=name.strip() if name else team.name).exclude(
                    pk=team.pk).exists():
                raise ValidationError({"name": _("The team under it already has a team of this name.")})
            changes["parent"] = [str(team.parent), str(parent)]
            team = team_move(team=team, parent=parent, actor=actor)
        if name is not None and name.strip() != team.name:
            changes["name"] = [team.name, name.strip()]
            team.name = name.strip()
            team.full_clean(exclude=["path"])
            team.save(update_fields=["name", "updated_at"])
        if changes:
            audit_record(actor=actor, action="update", instance=team, summary=team.name, changes=changes)
    return team


def user_create(*, username: str, password: str | None, role: str = Role.SALESPERSON,
                team: Team | None = None, display_name: str = "", email: str = "",
                language: str = "", is_superuser: bool = False, partner=None, actor=None) -> User:
    """A new user. A partner user (role ``partner``) names their ``partner``; nobody else does."""
    _require_manager_of(actor, role)
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    _check_partner(role, partner)
    user = User(username=username.strip(), role=role, team=team, display_name=display_name,
                email=email, language=language, is_superuser=is_superuser, is_staff=is_superuser,
                partner=partner)
    with transaction.atomic():
        user.full_clean(exclude=["password"])
        if password:
            # The same validators as the password pages (settings.AUTH_PASSWORD_VALIDATORS).
            try:
                validate_password(password, user)
            except ValidationError as exc:
                raise ValidationError({"password": exc.messages}) from None
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        audit_record(actor=actor, action="create", instance=user, summary=user.username)
    return user


USER_FIELDS = ("role", "team", "display_name", "email", "language", "phone", "is_active", "partner")


def _check_partner(role, partner) -> None:
    if role == Role.PARTNER and partner is None:
        raise ValidationError({"partner": _("Choose the partner this user works for.")})
    if role != Role.PARTNER and partner is not None:
        raise ValidationError({"partner": _("Only partner users belong to a partner.")})


def _active_admins():
    from django.db.models import Q

    return User.objects.filter(Q(is_superuser=True) | Q(role=Role.ADMIN), is_active=True)


def user_update(*, user: User, data: dict, actor=None) -> User:
    """Change a user's role, team, names, e-mail, language, phone or ``is_active``.

    An administrator stays an administrator only with the role ``admin``: changing the
    role away from it takes the superuser flag too. The last active administrator can
    neither lose the role nor be deactivated (else no one could run the company's
    settings). Deactivating someone who owns customers goes through
    :func:`user_deactivate`, which moves them to someone else first.
    """
    _require_admin(actor)
    from django.conf import settings

    unknown = set(data) - set(USER_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    if "role" in data and data["role"] not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    if data.get("language") and data["language"] not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Unknown language.")})
    if "role" in data or "partner" in data:
        _check_partner(data.get("role", user.role), data.get("partner", user.partner))
    changes = {}
    for field, value in data.items():
        old = getattr(user, field)
        if old != value:
            changes[field] = [str(old) if old is not None else "", str(value) if value is not None else ""]
    if not changes:
        return user
    losing_admin = ("role" in changes and changes["role"][0] == Role.ADMIN) or (
        "is_active" in changes and not data["is_active"])
    if actor is not None and getattr(actor, "pk", None) == user.pk and (
            "is_active" in changes or "role" in changes):
        raise ValidationError(_("You cannot change your own role or deactivate yourself."))
    with transaction.atomic():
        if losing_admin and (user.is_superuser or user.role == Role.ADMIN) and not _active_admins().exclude(
                pk=user.pk).exists():
            raise ValidationError(_("This is the last active administrator; make someone else one first."))
        if "is_active" in changes and not data["is_active"]:
            from kehu.customers.models import Customer

            if Customer.objects.filter(owner=user).exists():
                raise ValidationError({"is_active": _(
                    "This user still owns customers: deactivate them with a reassignment instead.")})
        saved = {f: getattr(user, f) for f in (*data, "is_superuser", "is_staff")}
        for field, value in data.items():
            setattr(user, field, value)
        if "role" in changes:
            user.is_superuser = user.is_staff = user.role == Role.ADMIN
        try:
            user.full_clean(exclude=["password"])
        except ValidationError:
            for field, value in saved.items():
                setattr(user, field, value)
            raise
        user.save()
        audit_record(actor=actor, action="update", instance=user, summary=user.username, changes=changes)
    return user


def user_deactivate(*, user: User, reassign_to: User | None = None, actor=None) -> int:
    """Deactivate ``user``; their customers (with their open tasks) go to ``reassign_to``
    through the bulk reassignment (:func:`kehu.customers.services.customer_reassign_bulk`,
    which audits each customer). Returns the number of customers moved. Their sign-in and
    API tokens stop working at once (both check ``is_active``); their history stays."""
    _require_admin(actor)
    from kehu.customers.models import Customer
    from kehu.customers.services import customer_reassign_bulk

    if not user.is_active:
        raise ValidationError(_("This user is already inactive."))
    owns = Customer.objects.filter(owner=user).exists()
    if reassign_to is not None:
        if reassign_to.pk == user.pk or not reassign_to.is_active:
            raise ValidationError({"reassign_to": _("Choose another, active user.")})
    elif owns:
        raise ValidationError({"reassign_to": _("This user owns customers: choose who takes them over.")})
    with transaction.atomic():
        moved = customer_reassign_bulk(actor=actor, from_owner=user, to_owner=reassign_to) if owns else 0
        user_update(user=user, data={"is_active": False}, actor=actor)
        audit_record(actor=actor, action="deactivate", instance=user, summary=user.username,
                     changes={"reassigned_to": str(reassign_to or ""), "customers": moved})
    return moved


def user_send_password_reset(*, user: User, actor=None, base_url: str | None = None) -> str:
    """E-mail ``user`` a link to choose a new password (Django's PasswordResetTokenGenerator:
    it works once and for ``PASSWORD_RESET_TIMEOUT``), in the user's language, through the
    configured e-mail backend; returns the link. ``base_url`` is the site's address
    (default ``KEHU_PUBLIC_URL``)."""
    _require_manager_of(actor, user.role)
    from urllib.parse import urlsplit

    from django.conf import settings
    from django.contrib.auth.tokens import default_token_generator
    from django.core.mail import EmailMultiAlternatives
    from django.template.loader import render_to_string
    from django.utils import translation
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    if not user.is_active:
        raise ValidationError(_("An inactive user cannot reset their password."))
    if not user.email:
        raise ValidationError({"email": _("This user has no e-mail address.")})
    parts = urlsplit(base_url or settings.KEHU_PUBLIC_URL)
    context = {"user": user, "uid": urlsafe_base64_encode(force_bytes(user.pk)),
               "token": default_token_generator.make_token(user), "protocol": parts.scheme or "http",
               "domain": parts.netloc, "site_name": parts.netloc, "email": user.email}
    with translation.override(user.language or translation.get_language()):
        subject = "".join(render_to_string("accounts/password_reset_subject.txt", context).splitlines())
        body = render_to_string("accounts/password_reset_email.txt", context)
    EmailMultiAlternatives(subject, body, None, [user.email]).send()
    audit_record(actor=actor, action="password_reset_sent", instance=user, summary=user.username)
    from django.urls import reverse

    return f"{context['protocol']}://{context['domain']}" + reverse(
        "password_reset_confirm", kwargs={"uidb64": context["uid"], "token": context["token"]})


def user_set_language(*, user: User, language: str) -> None:
    """A user's own choice of language (the language menu, the profile page, ``PATCH
    /api/v1/me``); audited when it changes."""
    from django.conf import settings

    if language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Unknown language.")})
    if user.language == language:
        return
    with transaction.atomic():
        old = user.language
        user.language = language
        user.save(update_fields=["language"])
        audit_record(actor=user, action="update", instance=user, summary=user.username,
                     changes={"language": [old, language]})


TOKEN_PREFIX = "kehu_"


def token_create(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Create an API token; returns the record and the raw token (shown once)."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name or _("API token"), prefix=raw[: len(TOKEN_PREFIX) + 6], digest=hash_token(raw)
    )
    audit_record(actor=user, action="token_create", instance=token, summary=token.name)
    return token, raw


def token_revoke(*, token: ApiToken, actor=None) -> None:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at", "updated_at"])
    audit_record(actor=actor, action="token_revoke", instance=token, summary=token.name)


def token_authenticate(raw: str) -> User | None:
    """The active user of a valid, unrevoked token, or None."""
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(digest=hash_token(raw), revoked_at__isnull=True).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
