"""Writes for signing in: passwords, lockouts and the second factor. Each is audited."""

from __future__ import annotations

import hashlib
import secrets

import pyotp
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import TotpDevice
from kehu.audit.models import AuditEvent
from kehu.audit.services import audit_record

RECOVERY_CODES = 10
ISSUER = "Kehu"


def password_set(*, user, password: str, actor=None, action: str = "password_change") -> None:
    """Set ``user``'s password after Django's validators (settings.AUTH_PASSWORD_VALIDATORS)
    have accepted it; ``ValidationError`` on ``password`` otherwise."""
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit_record(actor=actor or user, action=action, instance=user, summary=user.username)


def login_unlock(*, actor, username: str = "", address: str = "") -> int:
    """Lift the lockout of an account (``username``) and/or an address; returns the records removed."""
    from axes.handlers.proxy import AxesProxyHandler

    username, address = (username or "").strip(), (address or "").strip()
    if not username and not address:
        raise ValidationError({"username": _("Give a username or an address to unlock.")})
    if "\x00" in username + address:  # PostgreSQL refuses NUL in text
        raise ValidationError({"username" if "\x00" in username else "address": _("Null characters are not allowed.")})
    if address:
        from django.core.validators import validate_ipv46_address

        try:  # axes keeps addresses in a GenericIPAddressField: PostgreSQL's inet refuses anything else
            validate_ipv46_address(address)
        except ValidationError as exc:
            raise ValidationError({"address": exc.messages}) from None
    removed = 0
    with transaction.atomic():
        if username:
            removed += AxesProxyHandler.reset_attempts(username=username)
        if address:
            removed += AxesProxyHandler.reset_attempts(ip_address=address)
        target = username or address
        AuditEvent.objects.create(
            actor=actor if getattr(actor, "pk", None) else None, action="login_unlock",
            entity="user" if username else "address", entity_id=_user_id(username),
            summary=target[:300], changes={"username": username, "address": address, "removed": removed},
        )
    return removed


def _user_id(username: str) -> int:
    from kehu.org.models import User

    return User.objects.filter(username=username).values_list("pk", flat=True).first() or 0 if username else 0


# -- the second factor (TOTP, RFC 6238) --------------------------------------


def _digest(code: str) -> str:
    return hashlib.sha256(code.strip().lower().replace("-", "").encode()).hexdigest()


def totp_device(user) -> TotpDevice | None:
    return TotpDevice.objects.filter(user=user).first() if getattr(user, "pk", None) else None


def totp_required(user) -> bool:
    """Whether signing in as ``user`` asks for a code after the password."""
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def totp_uri(device: TotpDevice) -> str:
    """The ``otpauth://`` address an authenticator app reads from the QR code."""
    return pyotp.TOTP(device.secret).provisioning_uri(name=device.user.get_username(), issuer_name=ISSUER)


def totp_begin(*, user) -> TotpDevice:
    """A new secret for ``user``'s authenticator app, not yet guarding the login."""
    from kehu.org.policies import policy_for

    if not policy_for(user).is_admin:
        raise ValidationError(_("Only administrators can turn on two-step sign-in."))
    device = totp_device(user)
    if device is not None and device.confirmed:
        raise ValidationError(_("Two-step sign-in is already on."))
    if device is None:
        device = TotpDevice(user=user)
    device.secret = pyotp.random_base32()
    device.last_step = 0
    device.recovery_codes = []
    device.save()
    return device


def _totp_matches(device: TotpDevice, code: str) -> bool:
    """Accept the code of the current 30-second step or its neighbours (clock drift), each once."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return False
    totp = pyotp.TOTP(device.secret)
    now = timezone.now()
    step = totp.timecode(now)
    for offset in (0, -1, 1):
        candidate = step + offset
        if candidate > device.last_step and secrets.compare_digest(totp.generate_otp(candidate), code):
            # Compare-and-set: two requests with the same code cannot both win.
            return bool(TotpDevice.objects.filter(pk=device.pk, last_step__lt=candidate)
                        .update(last_step=candidate))
    return False


def totp_confirm(*, user, code: str) -> list[str]:
    """Turn the second factor on once ``code`` from the app matches; returns the recovery codes (shown once)."""
    device = totp_device(user)
    if device is None or device.confirmed:
        raise ValidationError(_("Start the set-up again."))
    if not _totp_matches(device, code):
        raise ValidationError({"code": [_("The code does not match. Check the time on your phone and try again.")]})
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _i in range(RECOVERY_CODES)]
    with transaction.atomic():
        device.refresh_from_db()
        device.confirmed_at = timezone.now()
        device.recovery_codes = [_digest(c) for c in codes]
        device.save(update_fields=["confirmed_at", "recovery_codes", "updated_at"])
        audit_record(actor=user, action="totp_enable", instance=user, summary=user.username)
    return codes


def totp_verify(*, user, code: str) -> bool:
    """Whether ``code`` (a 6-digit code or an unused recovery code) proves the second factor."""
    device = totp_device(user)
    if device is None or not device.confirmed:
        return False
    if _totp_matches(device, code):
        return True
    digest = _digest(code)
    with transaction.atomic():
        device = TotpDevice.objects.select_for_update().get(pk=device.pk)
        if digest in device.recovery_codes:
            device.recovery_codes = [d for d in device.recovery_codes if d != digest]
            device.save(update_fields=["recovery_codes", "updated_at"])
            audit_record(actor=user, action="totp_recovery_code", instance=user,
                         summary=_("%(count)d recovery codes left") % {"count": len(device.recovery_codes)})
            return True
    return False


def totp_disable(*, user, actor) -> bool:
    """Turn the second factor off for ``user``; returns whether it was on."""
    with transaction.atomic():
        deleted, _rows = TotpDevice.objects.filter(user=user).delete()
        if deleted:
            audit_record(actor=actor, action="totp_disable", instance=user, summary=user.username)
    return bool(deleted)
