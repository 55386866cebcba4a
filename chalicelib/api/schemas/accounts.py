"""Wire formats of the accounts blueprint (routes/accounts.py): sign-up, sign-in, the profile, notifications."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from .common import Email, Strict


class SignUpRequest(Strict):
    email: str = Email
    password: str = Field(min_length=10, max_length=256)
    display_name: str = Field(min_length=1, max_length=80)
    roles: list[Literal["parker", "sharer"]] = Field(default=["parker", "sharer"], min_length=1)


class SignInRequest(Strict):
    email: str = Email
    password: str = Field(min_length=1, max_length=256)


class ConfirmRequest(Strict):
    email: str = Email
    code: str = Field(min_length=1, max_length=16)


class TokensOut(BaseModel):
    id_token: str
    access_token: str
    refresh_token: str | None
    expires_in: int
    token_type: Literal["Bearer"] = "Bearer"


class UserOut(BaseModel):
    user_id: str
    email: str
    display_name: str
    roles: list[str]
    groups: list[str] = []
    status: str
    created_at: str


class ClosedOut(BaseModel):
    user_id: str
    status: str
    closed_at: str | None
    data_erased: bool
    cancelled_reservations: list[str] = Field(default=[], description="bookings the closure cancelled (yours, and those on your spaces)")
    email_reusable: bool = Field(default=True, description="the address may sign up again at once, as a new account")


class ProfilePatch(Strict):
    display_name: str | None = Field(default=None, min_length=1, max_length=80)
    roles: list[Literal["parker", "sharer"]] | None = Field(default=None, min_length=1)


class NotificationOut(BaseModel):
    notification_id: str
    kind: str
    title: str
    body: str
    reservation_id: str | None
    created_at: str


class NotificationList(BaseModel):
    notifications: list[NotificationOut]
