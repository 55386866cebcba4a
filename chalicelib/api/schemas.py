"""Wire formats. Requests are validated here; responses are documented here for /openapi.json."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..domain.timeutil import FIRST_DAY, LAST_DAY

Email = Field(pattern=r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$", max_length=254, examples=["pat@example.com"])
Instant = Field(description="RFC 3339 timestamp with offset", examples=["2026-12-01T09:00:00Z"])
# A calendar day in the range every instant must lie in (domain/timeutil.py), so no date arithmetic overflows.
Day = Annotated[date, Field(ge=FIRST_DAY, le=LAST_DAY)]
Money = Field(ge=0, le=10_000_000, description="integer minor units (cents)")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Error(BaseModel):
    code: str
    message: str
    field: str | None = None


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


class AttributesIn(Strict):
    covered: bool = False
    ev_charger: bool = False
    accessible: bool = False
    max_height_cm: int | None = Field(default=None, ge=100, le=600)
    vehicle_size: Literal["small", "medium", "large"] = "medium"


class SpaceIn(Strict):
    title: str = Field(min_length=1, max_length=120)
    address: str = Field(min_length=3, max_length=300)
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)
    carpark_id: str | None = Field(default=None, min_length=1, max_length=64)
    lot: str | None = Field(default=None, min_length=1, max_length=32)
    timezone: str = Field(default="Europe/Amsterdam", min_length=1, max_length=64)
    attributes: AttributesIn = AttributesIn()


class WindowIn(Strict):
    kind: Literal["once", "weekly"]
    rate_minor: int = Money
    daily_cap_minor: int | None = Field(default=None, ge=0, le=10_000_000)
    start: str | None = Field(default=None, description="once: RFC 3339 start")
    end: str | None = Field(default=None, description="once: RFC 3339 end")
    days: list[int] = Field(default=[], max_length=7, description="weekly: 0=Monday .. 6=Sunday")
    start_time: str | None = Field(default=None, pattern=r"^\d\d:\d\d$", description="weekly: local HH:MM")
    end_time: str | None = Field(default=None, pattern=r"^\d\d:\d\d$", description="weekly: local HH:MM, 24:00 allowed")
    valid_from: Day | None = None
    valid_until: Day | None = None


class WindowOut(BaseModel):
    window_id: str
    kind: str
    rate_minor: int
    daily_cap_minor: int | None
    increment_min: int
    start: str | None = None
    end: str | None = None
    days: list[int] | None = None
    start_time: str | None = None
    end_time: str | None = None
    valid_from: str | None = None
    valid_until: str | None = None


class DocumentOut(BaseModel):
    status: str
    content_type: str
    size: int


class CarParkLinkOut(BaseModel):
    carpark_id: str
    state: Literal["pending", "accepted", "refused"] = Field(
        description="accepted: the car park's gate admits this space's parkers and its stays count at the car park; "
                    "pending: waiting for one of the car park's owners (the space cannot be booked meanwhile)")
    decided_at: str | None
    decided_by: str | None = Field(description="the car-park owner who decided (the space's own owner when it owns the car park)")


class SpaceOut(BaseModel):
    space_id: str
    owner_id: str
    title: str
    address: str
    lat: float
    lng: float
    status: str
    reject_reason: str | None
    carpark_id: str | None = Field(description="the car park this space names (others see it only once the link is accepted)")
    carpark_link: CarParkLinkOut | None = None
    lot: str | None
    timezone: str
    currency: str
    attributes: dict[str, object]
    windows: list[WindowOut]
    document: DocumentOut | None
    booked: list[dict[str, str]]
    created_at: str
    navigation: dict[str, str] = Field(default={}, description="directions to the space: geo: URI, Google, Apple and OpenStreetMap URLs")


class SpaceList(BaseModel):
    spaces: list[SpaceOut]


class DocumentRequest(Strict):
    content_type: Literal["application/pdf", "image/jpeg", "image/png"]
    size: int = Field(gt=0, le=10 * 1024 * 1024)


class UploadTicketOut(BaseModel):
    url: str
    method: str
    headers: dict[str, str]
    expires_in: int


class DocumentLinkOut(BaseModel):
    url: str = Field(description="a short-lived download URL (presigned GET) of the ownership document")
    expires_in: int
    content_type: str
    size: int


class SpaceLinkQuery(Strict):
    state: Literal["pending", "accepted", "refused"] = "pending"


class ReviewRequest(Strict):
    reason: str | None = Field(default=None, max_length=500)


class ReservationIn(Strict):
    space_id: str = Field(min_length=1, max_length=64)
    plate: str = Field(min_length=1, max_length=20)
    start: str = Instant
    end: str = Instant


class ExtendIn(Strict):
    end: str = Instant


class QuoteQuery(Strict):
    start: str = Instant
    end: str = Instant


class QuoteOut(BaseModel):
    """What reserving this window now would cost (the price POST /reservations fixes)."""

    space_id: str
    start: str
    end: str
    price_minor: int
    rate_minor: int
    daily_cap_minor: int | None
    currency: str
    timezone: str = Field(description="the space's IANA time zone")


class ExtensionQuery(Strict):
    end: str = Instant


class ExtensionQuoteOut(BaseModel):
    """What extending to `end` now would cost: the new price of the whole stay, and how much more that is."""

    reservation_id: str
    start: str
    end: str
    price_minor: int
    current_price_minor: int
    extra_minor: int
    currency: str


class CancellationOut(BaseModel):
    fee_minor: int = Field(description="what cancelling now costs the caller")
    refund_minor: int = Field(description="what cancelling now refunds (or leaves uncharged)")


class ReservationOut(BaseModel):
    reservation_id: str
    space_id: str
    parker_id: str
    sharer_id: str
    plate: str
    start: str
    end: str
    price_minor: int
    currency: str
    state: str
    fee_minor: int
    refund_minor: int
    cancelled_by: str | None
    carpark_id: str | None
    lot: str | None
    created_at: str
    entered_at: str | None = None
    exited_at: str | None = None
    bill: dict[str, int] | None = Field(default=None, description="reserved, overstay, surcharge, cap discount, refund (minor units)")
    amount_due_minor: int = 0
    payment_status: str | None = None
    paid_at: str | None = None
    completed_at: str | None = None
    ledger_entry: str | None = None
    cancellation: CancellationOut | None = Field(
        default=None, description="GET /reservations/{id} only: what cancelling it now would cost you; null when you cannot")


class ReservationList(BaseModel):
    reservations: list[ReservationOut]


class SearchHitOut(BaseModel):
    space_id: str
    title: str
    address: str
    lat: float
    lng: float
    distance_m: int
    rate_minor: int
    total_price_minor: int
    currency: str
    timezone: str = Field(description="the space's IANA time zone, in which its times are shown")
    attributes: dict[str, object]
    navigation: dict[str, str]


class SearchOut(BaseModel):
    center: dict[str, float]
    place: str | None
    start: str
    end: str
    results: list[SearchHitOut]
    items_read: int


class HealthOut(BaseModel):
    status: str
    version: str
    backend: str
    stage: str


class SearchQuery(Strict):
    lat: float | None = Field(default=None, ge=-90, le=90)
    lng: float | None = Field(default=None, ge=-180, le=180)
    q: str | None = Field(default=None, min_length=1, max_length=100, description="destination name from the gazetteer")
    start: str = Instant
    end: str = Instant
    radius_m: int = Field(default=1000, ge=1, le=10_000)
    max_price_minor: int | None = Field(default=None, ge=0)
    covered: bool = False
    ev_charger: bool = False
    accessible: bool = False
    min_height_cm: int | None = Field(default=None, ge=100, le=600)
    vehicle_size: Literal["small", "medium", "large"] | None = None
    sort: Literal["distance", "price"] = "distance"
    limit: int = Field(default=20, ge=1, le=100)


class GroupGrant(Strict):
    group: Literal["staff", "admin"]
    carpark_id: str | None = Field(default=None, max_length=64)


# ---------------------------------------------------------------- enclave and identity verification

Base64 = Field(description="standard base64")


class EnclaveKeyOut(BaseModel):
    public_key_pem: str
    scheme: str
    envelope: str = "0x01 || device P-256 public key (65 bytes, uncompressed) || nonce (12) || AES-GCM ciphertext+tag"


class CaCertificateOut(BaseModel):
    certificate_pem: str


class RevocationListOut(BaseModel):
    crl_pem: str


class ValidatorIn(Strict):
    node_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    public_key_pem: str = Field(min_length=100, max_length=1000, description="P-256 SubjectPublicKeyInfo, PEM")


class ValidatorOut(BaseModel):
    node_id: str
    status: str
    certificate_pem: str | None = None


class ValidatorList(BaseModel):
    ca_certificate_pem: str
    validators: list[ValidatorOut]


class IdentityDocumentIn(Strict):
    content_type: Literal["image/jpeg", "image/png"]
    envelope: str = Field(min_length=124, max_length=8 * 1024 * 1024, description="base64 device envelope (see /enclave/public-key)")


class IdentityDocumentMeta(BaseModel):
    side: str
    content_type: str
    uploaded_at: str


class IdentityCaseOut(BaseModel):
    user_id: str
    case_id: str
    status: str
    documents: list[IdentityDocumentMeta]
    opened_at: str | None
    decided_at: str | None
    reason: str | None


class IdentityCaseList(BaseModel):
    cases: list[IdentityCaseOut]


class IdentityDocumentOut(BaseModel):
    side: str
    content_type: str
    data: str = Base64
    retrieve_entry: str = Field(description="the ledger entry that records this read")


class DecisionIn(Strict):
    reason: str | None = Field(default=None, max_length=500)
