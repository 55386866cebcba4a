"""Sign-up, sign-in and the caller's profile."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from .. import bootstrap
from ..api.http import Api
from ..api.present import notification_out, user_out
from ..api.schemas import accounts as s
from ..domain.timeutil import format_instant
from ..services import accounts, closure

bp = Blueprint(__name__)
api = Api(bp)



@api.route("POST", "/auth/signup", "signUp", "Create an account (email + password)", "accounts", request=s.SignUpRequest,
     response=s.UserOut, status=201, errors=(409,), auth=False)
def sign_up() -> dict[str, Any]:
    req = api.body(s.SignUpRequest)
    d = bootstrap.deps()
    user = accounts.sign_up(req.email, req.password, req.display_name, tuple(req.roles), idp=d.idp, users=d.users, clock=d.clock)
    return user_out(user, frozenset())


@api.route("POST", "/auth/confirm", "confirmSignUp", "Confirm an account with the emailed code", "accounts",
     request=s.ConfirmRequest, auth=False)
def confirm() -> dict[str, str]:
    req = api.body(s.ConfirmRequest)
    accounts.confirm(req.email, req.code, idp=bootstrap.deps().idp)
    return {"status": "confirmed"}


@api.route("POST", "/auth/signin", "signIn", "Sign in; returns Cognito tokens", "accounts", request=s.SignInRequest,
     response=s.TokensOut, errors=(401,), auth=False)
def sign_in() -> dict[str, Any]:
    req = api.body(s.SignInRequest)
    d = bootstrap.deps()
    tokens = accounts.sign_in(req.email, req.password, idp=d.idp, users=d.users, clock=d.clock)
    return s.TokensOut(id_token=tokens.id_token, access_token=tokens.access_token, refresh_token=tokens.refresh_token,
                       expires_in=tokens.expires_in).model_dump()


@api.route("GET", "/me", "getMe", "My profile", "accounts", response=s.UserOut)
def me() -> dict[str, Any]:
    who = api.principal()
    return user_out(accounts.profile(who, users=bootstrap.deps().users), who.groups)


@api.route("PATCH", "/me", "updateMe", "Change my display name or roles", "accounts", request=s.ProfilePatch, response=s.UserOut)
def update_me() -> dict[str, Any]:
    req = api.body(s.ProfilePatch)
    who = api.principal()
    user = accounts.update_profile(who, req.display_name, tuple(req.roles) if req.roles else None, users=bootstrap.deps().users)
    return user_out(user, who.groups)


@api.route("POST", "/me/close", "closeAccount",
           "Close my account: open bookings cancelled, copies of my plate erased, my key destroyed, my sign-in deleted",
           "accounts", response=s.ClosedOut, errors=(409,))
def close_me() -> dict[str, Any]:
    report = closure.close_account(api.principal(), c=bootstrap.deps().closure)
    user = report.user
    return {"user_id": user.user_id, "status": user.status, "closed_at": format_instant(user.closed_at) if user.closed_at else None,
            "data_erased": True, "cancelled_reservations": list(report.cancelled), "email_reusable": True}


@api.route("GET", "/me/notifications", "listMyNotifications", "My notifications, newest first", "accounts",
           response=s.NotificationList)
def my_notifications() -> dict[str, Any]:
    return {"notifications": [notification_out(n) for n in accounts.notifications(api.principal(), feed=bootstrap.deps().notifications, limit=50)]}
