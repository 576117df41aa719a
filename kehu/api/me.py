"""/me: who the caller is, their role and team, and what they may do."""


from typing import Optional

from ninja import Field, Router, Schema

from kehu.api.common import READ_ERRORS
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


@router.get("", response={200: MeOut, **READ_ERRORS}, url_name="me", summary="The authenticated user")
def get_me(request):
    user = request.auth
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
