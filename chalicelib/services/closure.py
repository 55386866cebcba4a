"""Closing an account: what it cancels, what it settles, what it erases and what a stated rule keeps.

The rules (docs/threat-model.md, "What closing an account erases", is the full table):

- Refused while something is in progress that needs the account: a car parked under one of its reservations
  (`stay_in_progress`: drive out first, the gate bills it), a bill being paid or recorded on the ledger
  (`order_unsettled`: its ledger entry is sealed to the parker's key, which closure destroys), or a car parked on
  one of its spaces (`space_in_use`).
- Its reservations that have not started are cancelled free of charge, anything captured refunded in full; one whose
  window has begun (the car not in yet) is cancelled under the ordinary late-cancellation rule (the reserved price is
  due, charged to the saved card). Reservations on its spaces that have not been driven into are cancelled by the
  sharer: the parker owes nothing and is told.
- Copies of its plate held by others are erased: the car parks' movements (gate events) and the notifications in
  sharers' and car parks' feeds. Evidence zips holding its photos, or fetched by it, are deleted; its sealed photos
  and photo-set records go; its claims close with their description erased; its staff memberships end; its spaces
  are withdrawn (title and address erased, ownership document deleted).
- Then its key is destroyed (everything sealed to it, ledger fields and ID documents included, is unreadable for
  everyone; ledger proofs still verify), its sign-in is deleted (the address may sign up again at once, as a new
  account with nothing of the old one), and the account is marked closed with its name and address erased.
- Kept, by stated rule: each reservation's times, amounts, bill and ids (bookkeeping: 7 years), with the plate
  erased; payouts and balances; the ledger's entries (ciphertext and hashes only).

Each step is idempotent and everything that needs the plate in clear happens before the plates are erased and the
key destroyed, so a closure interrupted part-way can simply be asked for again.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from ..domain.accounts import CLOSED, ERASED, Principal, User
from ..domain.errors import ConflictError
from ..domain.reservations import BILLED, DISPUTED, ENTERED, PAID, RESERVED, Reservation
from ..domain.spaces import WITHDRAWN
from ..domain.staff import ACTIVE, INVITED
from . import console_hooks
from . import reservations as booking
from .carpark_ports import GateEventLog, GateEventRecord, StaffRepository
from .evidence import EvidenceStores, erase_exports_of
from .order_ports import Notification
from .orders import OrderLifecycle, settle_cancellation
from .ports import IdentityProvider, KeyEraser, UserRepository
from .retry import on_conflict

UNSETTLED = frozenset({BILLED, PAID, DISPUTED})
MAX_PER_PLATE = 1000  # movements erased per car park and plate: a one-off cost, bounded
MAX_NOTICES = 50  # notifications about one reservation (a handful are ever written)


@dataclass(frozen=True)
class Closure:
    users: UserRepository
    keys: KeyEraser
    idp: IdentityProvider
    orders: OrderLifecycle  # the reservations, spaces and feeds closure reads and writes, and how cancellations settle
    gate_events: GateEventLog
    staff: StaffRepository
    evidence: EvidenceStores


@dataclass(frozen=True)
class ClosureReport:
    user: User
    cancelled: tuple[str, ...]  # reservations cancelled by the closure (as parker or on its spaces)


def close_account(principal: Principal, *, c: Closure) -> ClosureReport:
    user = c.users.get(principal.user_id)
    if user.status == CLOSED:
        return ClosureReport(user, ())
    o = c.orders
    as_parker = o.reservations.by_parker(user.user_id)
    on_spaces = o.reservations.by_sharer(user.user_id)
    _refuse_unsettled(as_parker, on_spaces)
    cancelled = _cancel_open(principal, as_parker, on_spaces, o)
    mine = o.reservations.by_parker(user.user_id)  # again: the cancellations changed them
    _erase_copies(user.user_id, mine, c)
    _erase_evidence(user.user_id, mine, c.evidence)
    _end_memberships(user.user_id, c)
    _withdraw_spaces(user.user_id, o, c.evidence)
    _erase_plates(mine, o)
    c.keys.erase_user(user.user_id)  # after every step that needs a plate in clear
    c.idp.delete_user(user.user_id)
    return ClosureReport(_mark_closed(user.user_id, c), cancelled)


def _refuse_unsettled(as_parker: list[Reservation], on_spaces: list[Reservation]) -> None:
    if any(r.state == ENTERED for r in as_parker):
        raise ConflictError("a car is parked under one of your reservations; close the account once it has left (the gate bills "
                            "the stay)", field="reservation_id", code="stay_in_progress")
    if any(r.state in UNSETTLED for r in as_parker):
        raise ConflictError("a bill of yours is still being paid or recorded; close the account once it is completed (a failed "
                            "payment is retried when you save a card)", field="reservation_id", code="order_unsettled")
    if any(r.state == ENTERED for r in on_spaces):
        raise ConflictError("a car is parked on one of your spaces; close the account once it has left", field="space_id",
                            code="space_in_use")


def _cancel_open(principal: Principal, as_parker: list[Reservation], on_spaces: list[Reservation], o: OrderLifecycle) -> tuple[str, ...]:
    """Every booking not yet driven into ends: the parker's own under the ordinary cancellation rule, those on the
    closing sharer's spaces as a sharer's cancellation (the parker owes nothing and is told)."""
    settle = functools.partial(settle_cancellation, o)
    done = []
    for r in (x for x in as_parker + on_spaces if x.state == RESERVED):
        cancelled = booking.cancel(principal, r.reservation_id, spaces=o.spaces, reservations=o.reservations, clock=o.clock,
                                   settle=settle)
        if cancelled.parker_id != principal.user_id:
            o.notifications.add(Notification(cancelled.parker_id, f"{r.reservation_id}:withdrawn", "reservation_cancelled",
                                             "Reservation cancelled", "The space is no longer offered; you owe nothing and "
                                             "anything paid is refunded in full", o.clock.now(), r.reservation_id))
        done.append(r.reservation_id)
    return tuple(done)


def _is_theirs(e: GateEventRecord, plate: str, reservation_ids: set[str]) -> bool:
    reply = e.response or {}
    if reply.get("reservation_id") in reservation_ids:
        return True
    return plate in (e.plate, reply.get("plate")) and not reply.get("membership_id")  # a member's visit is the car park's


def _erase_copies(user_id: str, mine: list[Reservation], c: Closure) -> None:
    """The plate as others hold it, sealed to them: car parks' movements and other feeds' notifications."""
    ids = {r.reservation_id for r in mine}
    o = c.orders
    for carpark_id, plate in {(r.carpark_id, r.plate) for r in mine if r.carpark_id and r.plate != ERASED}:
        for e in c.gate_events.by_plate(carpark_id, plate, MAX_PER_PLATE):
            if e.plate != ERASED and _is_theirs(e, plate, ids):
                c.gate_events.erase(e)
    for r in mine:
        if r.plate == ERASED:
            continue
        for n in o.notifications.about(r.reservation_id, MAX_NOTICES):
            if n.feed_id != user_id and r.plate in n.body:
                o.notifications.rewrite(Notification(n.feed_id, n.notification_id, n.kind, n.title, n.body.replace(r.plate, ERASED),
                                                     n.created_at, n.reservation_id))


def _erase_evidence(user_id: str, mine: list[Reservation], st: EvidenceStores) -> None:
    erase_exports_of(user_id, st)
    for r in mine:
        for s in st.photo_sets.for_order(r.reservation_id):
            for p in s.photos:
                for key in (p.sealed_key, p.incoming_key):
                    if key:
                        st.blobs.delete(key)
            st.photo_sets.forget(r.reservation_id, s.phase)
        for claim in st.claims.for_order(r.reservation_id):
            if claim.parker_id == user_id and claim.description != ERASED:
                st.claims.save(claim.parker_closed(st.clock.now()), claim.version)


def _end_memberships(user_id: str, c: Closure) -> None:
    for m in c.staff.by_user(user_id, 1000):
        if m.state in (INVITED, ACTIVE):
            c.staff.save(m.account_closed(c.orders.clock.now()), m.version)


def _withdraw_spaces(user_id: str, o: OrderLifecycle, st: EvidenceStores) -> None:
    for space in o.spaces.by_owner(user_id):
        if space.status == WITHDRAWN:
            continue
        if space.document is not None:
            st.blobs.delete(space.document.key)
        o.spaces.save(space.withdrawn(), space.version)


def _erase_plates(mine: list[Reservation], o: OrderLifecycle) -> None:
    """Each reservation is kept (its bill is a bookkeeping record) without its plate or the plate's blind index; the
    console's copies of the plate at that car park (books, cars inside, feed, overrides, alerts) go with it."""
    for r in mine:
        if r.plate == ERASED:
            continue
        if r.carpark_id is not None:
            console_hooks.erase_plate(o.console, r.carpark_id, r.plate)

        def attempt(reservation_id: str = r.reservation_id) -> None:
            current = o.reservations.get(reservation_id)
            if current.plate != ERASED:
                o.reservations.change(current.plate_erased(), current.version)

        on_conflict(attempt)


def _mark_closed(user_id: str, c: Closure) -> User:
    def attempt() -> User:
        user = c.users.get(user_id)
        if user.status == CLOSED:
            return user
        closed = user.closed(c.orders.clock.now())
        c.users.save(closed, user.version)
        return closed

    return on_conflict(attempt)
