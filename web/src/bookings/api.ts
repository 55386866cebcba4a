// The bookings feature's calls: reserve (with an Idempotency-Key per attempt), list, one booking, quotes, extend, cancel.
import { api, type Schemas, unwrap } from "../api/client";
import { getSpace, type Space } from "../spaces/api";
import { onePage, type Paged } from "../ui/paging";

export type Booking = Schemas["ReservationOut"];
export type Quote = Schemas["QuoteOut"];
export type ExtensionQuote = Schemas["ExtensionQuoteOut"];

export function quote(spaceId: string, start: string, end: string, signal?: AbortSignal): Promise<Quote> {
  return unwrap(api().GET("/spaces/{space_id}/quote", { params: { path: { space_id: spaceId }, query: { start, end } }, signal }));
}

export function reserve(form: { space_id: string; plate: string; start: string; end: string }, key: string): Promise<Booking> {
  return unwrap(api().POST("/reservations", { body: form, params: { header: { "Idempotency-Key": key } } }));
}

export async function myBookings(signal: AbortSignal): Promise<Paged<Booking>> {
  return onePage((await unwrap(api().GET("/reservations", { signal }))).reservations);
}

export async function sharerBookings(signal: AbortSignal): Promise<Paged<Booking>> {
  return onePage((await unwrap(api().GET("/sharer/reservations", { signal }))).reservations);
}

export function getBooking(id: string, signal: AbortSignal): Promise<Booking> {
  return unwrap(api().GET("/reservations/{reservation_id}", { params: { path: { reservation_id: id } }, signal }));
}

export function quoteExtension(id: string, end: string): Promise<ExtensionQuote> {
  return unwrap(api().GET("/reservations/{reservation_id}/extension", { params: { path: { reservation_id: id }, query: { end } } }));
}

export function extend(id: string, end: string, key: string): Promise<Booking> {
  return unwrap(api().POST("/reservations/{reservation_id}/extend", {
    params: { path: { reservation_id: id }, header: { "Idempotency-Key": key } }, body: { end },
  }));
}

export function cancel(id: string, key: string): Promise<Booking> {
  return unwrap(api().POST("/reservations/{reservation_id}/cancel", { params: { path: { reservation_id: id }, header: { "Idempotency-Key": key } } }));
}

const spaces = new Map<string, Promise<Space>>();

/** The spaces of some bookings (a booking names only its space's id; its title and time zone are the space's).
 *  Each space is asked for once per page load. */
export async function spacesOf(ids: string[], signal: AbortSignal): Promise<Record<string, Space>> {
  const distinct = [...new Set(ids)];
  const found = await Promise.all(distinct.map((id) => {
    let pending = spaces.get(id);
    if (!pending) {
      pending = getSpace(id, signal);
      spaces.set(id, pending);
      pending.catch(() => spaces.delete(id));
    }
    return pending;
  }));
  return Object.fromEntries(found.map((s) => [s.space_id, s]));
}

export type Phase = "upcoming" | "active" | "past";

/** Upcoming: not started; active: its time has come or the car is in; past: everything else. */
export function phaseOf(b: Booking, now: number): Phase {
  const start = Date.parse(b.start);
  const end = Date.parse(b.end);
  if (b.state === "entered") return "active";
  if (b.state !== "reserved") return "past";
  if (now < start) return "upcoming";
  return now < end ? "active" : "past";
}

export const STATE_TEXT: Record<string, string> = {
  reserved: "Reserved", entered: "Parked", exited: "Left, being billed", billed: "Billed, payment pending", paid: "Paid",
  completed: "Completed", cancelled: "Cancelled", no_show: "No-show", disputed: "Disputed",
};

/** The plates of earlier bookings, newest first: what the reserve form offers again. */
export function rememberedPlates(bookings: Booking[]): string[] {
  return [...new Set(bookings.map((b) => b.plate).filter((p) => p && p !== "[erased]"))].slice(0, 5);
}
