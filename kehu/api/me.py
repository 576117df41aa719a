"""/me: who the caller is, their role and team, and what they may do."""


from typing import Optional

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.responses import Status

from kehu.api.common import READ_ERRORS, WRITE_ERRORS, api_field_names
from kehu.org.models import Role
from kehu.org.policies import policy_for

router = Router(tags=["me"])


class TeamOut(Schema):
    id: int
    name: str
    path: str = Field(description="Ids from head office down, e.g. /1/4/9/.")
    parent_id: Optional[int]


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    email: str
    role: Role
    role_label: str
    team: Optional[TeamOut]
    language: str
    is_admin: bool
    sees_all_customers: bool = Field(description="The caller sees every customer (admin, analyst, head office).")
    read_only: bool = Field(description="The caller may read but not change customers (analyst, marketing).")


class MePatchIn(Schema):
    language: str = Field(description="The caller's language: zh-hans or en.")


class PasswordChangeIn(Schema):
    current_password: str = Field(max_length=128)
    new_password: str = Field(max_length=128)


@router.get("", response={200: MeOut, **READ_ERRORS}, url_name="me", summary="The authenticated user")
def get_me(request):
    return _me(request.auth)


@router.patch("", response={200: MeOut, **WRITE_ERRORS}, url_name="me-update",
              summary="Change the caller's own language (audited)")
def update_me(request, payload: MePatchIn):
    from kehu.org.services import user_set_language

    user_set_language(user=request.auth, language=payload.language)
    return _me(request.auth)


@router.post("/password", response={204: None, **WRITE_ERRORS}, url_name="me-password",
             summary="Change the caller's own password (audited)")
def change_password(request, payload: PasswordChangeIn):
    """The current password must be given; the new one passes the same rules as the password page.
    API tokens keep working (they are not the password)."""
    from django.core.exceptions import ValidationError

    from kehu.accounts.services import password_set

    user = request.auth
    if not user.check_password(payload.current_password):
        raise ValidationError({"current_password": [_("Your current password was entered incorrectly.")]})
    with api_field_names({"password": "new_password"}):
        password_set(user=user, password=payload.new_password, actor=user)
    return Status(204, None)


def _me(user):
    policy = policy_for(user)
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": str(user),
        "email": user.email,
        "role": user.role,
        "role_label": str(user.get_role_display()),
        "team": user.team,
        "language": user.language,
        "is_admin": policy.is_admin,
        "sees_all_customers": policy.sees_everything,
        "read_only": policy.read_only,
    }
