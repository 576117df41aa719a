"""Writes to teams, users and API tokens."""

from __future__ import annotations

import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.audit.services import audit_record
from kehu.org.models import ApiToken, Role, Team, User, hash_token


def team_create(*, name: str, parent: Team | None = None, actor=None) -> Team:
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


def user_create(*, username: str, password: str | None, role: str = Role.SALESPERSON,
                team: Team | None = None, display_name: str = "", email: str = "",
                language: str = "", is_superuser: bool = False, actor=None) -> User:
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    user = User(username=username.strip(), role=role, team=team, display_name=display_name,
                email=email, language=language, is_superuser=is_superuser, is_staff=is_superuser)
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


def user_set_language(*, user: User, language: str) -> None:
    from django.conf import settings

    if language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Unknown language.")})
    user.language = language
    user.save(update_fields=["language"])


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
