// What a week of a space looks like, day by day in its own zone: the time it is offered and the time already booked.
import type { Space, Window } from "../spaces/api";
import { instantOf, localInputValue } from "../ui/format";

export interface Segment { from: number; to: number } // minutes into the day, 0..1440
export interface Day { date: string; offered: Segment[]; booked: Segment[] }

const DAY_MS = 86_400_000;

function addDays(date: string, n: number): string {
  const d = new Date(`${date}T12:00:00Z`);
  return new Date(d.getTime() + n * DAY_MS).toISOString().slice(0, 10);
}

/** The Monday (local date) of the week holding `instant` in `zone`. */
export function mondayOf(instant: Date, zone: string): string {
  const date = localInputValue(instant, zone).slice(0, 10);
  const weekday = (new Date(`${date}T12:00:00Z`).getUTCDay() + 6) % 7;
  return addDays(date, -weekday);
}

export function weekAfter(monday: string, weeks: number): string {
  return addDays(monday, 7 * weeks);
}

function clock(text: string | null | undefined): number {
  const [h = "0", m = "0"] = (text ?? "00:00").split(":");
  return Number(h) * 60 + Number(m);
}

function clip(startIso: string, endIso: string, date: string, zone: string): Segment | null {
  const dayStart = instantOf(`${date}T00:00`, zone)?.getTime() ?? 0;
  const dayEnd = instantOf(`${addDays(date, 1)}T00:00`, zone)?.getTime() ?? dayStart + DAY_MS;
  const s = Math.max(Date.parse(startIso), dayStart);
  const e = Math.min(Date.parse(endIso), dayEnd);
  if (e <= s) return null;
  const scale = 1440 / (dayEnd - dayStart); // a daylight-saving day has 23 or 25 hours
  return { from: Math.round((s - dayStart) * scale), to: Math.round((e - dayStart) * scale) };
}

function offeredOn(w: Window, date: string, weekday: number, zone: string): Segment | null {
  if (w.kind === "once") return w.start && w.end ? clip(w.start, w.end, date, zone) : null;
  if (!(w.days ?? []).includes(weekday)) return null;
  if (w.valid_from && date < w.valid_from) return null;
  if (w.valid_until && date > w.valid_until) return null;
  return { from: clock(w.start_time), to: clock(w.end_time) };
}

function merged(segments: Segment[]): Segment[] {
  const sorted = [...segments].sort((a, b) => a.from - b.from);
  const out: Segment[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && s.from <= last.to) last.to = Math.max(last.to, s.to);
    else out.push({ ...s });
  }
  return out;
}

export function week(space: Space, monday: string): Day[] {
  const zone = space.timezone;
  return Array.from({ length: 7 }, (_, weekday) => {
    const date = addDays(monday, weekday);
    const offered = space.windows.map((w) => offeredOn(w, date, weekday, zone)).filter((s): s is Segment => s !== null);
    const booked = space.booked.map((b) => clip(b.start ?? "", b.end ?? "", date, zone)).filter((s): s is Segment => s !== null);
    return { date, offered: merged(offered), booked: merged(booked) };
  });
}

export function hhmm(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}
