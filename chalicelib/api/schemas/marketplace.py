"""Wire formats of the marketplace blueprint (routes/marketplace.py): spaces, windows, search, reservations."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from .common import Day, Instant, Money, Strict


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
