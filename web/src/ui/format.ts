// Money with its currency; times in a named zone (the space's), whatever zone the browser is in.

const digitsCache = new Map<string, number>();

function minorDigits(currency: string): number {
  let digits = digitsCache.get(currency);
  if (digits === undefined) {
    digits = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
    digitsCache.set(currency, digits);
  }
  return digits;
}

export function money(minor: number, currency: string): string {
  return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(minor / 10 ** minorDigits(currency));
}

interface Parts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

function partsIn(instant: Date, zone: string): Parts {
  const fields = new Intl.DateTimeFormat("en-US", {
    timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
  }).formatToParts(instant);
  const get = (type: string) => Number(fields.find((f) => f.type === type)?.value ?? "0");
  return { year: get("year"), month: get("month"), day: get("day"), hour: get("hour"), minute: get("minute") };
}

const pad = (n: number) => String(n).padStart(2, "0");

/** The value for an <input type="datetime-local"> showing `instant` in `zone`. */
export function localInputValue(instant: Date, zone: string): string {
  const p = partsIn(instant, zone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}`;
}

/** The instant a wall-clock time in `zone` names ("2026-12-05T10:00"); null if the text is no such time.
 *  In a daylight-saving gap the clock moves forward, as the zone's own clocks do. */
export function instantOf(local: string, zone: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(local);
  if (!m) return null;
  const [year, month, day, hour, minute] = m.slice(1).map(Number) as [number, number, number, number, number];
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  let guess = wall;
  for (let i = 0; i < 2; i++) {
    const p = partsIn(new Date(guess), zone);
    const shown = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute);
    guess += wall - shown;
  }
  return new Date(guess);
}

/** "CET", "GMT+1": the zone's short name at that instant. */
function shortZone(instant: Date, zone: string): string {
  const part = new Intl.DateTimeFormat("en-GB", { timeZone: zone, timeZoneName: "short" })
    .formatToParts(instant).find((p) => p.type === "timeZoneName");
  return part?.value ?? "";
}

export function zoneLabel(zone: string, at: Date = new Date()): string {
  const short = shortZone(at, zone);
  return short && short !== zone ? `${zone} (${short})` : zone;
}

export function dateTime(iso: string, zone: string): string {
  return new Intl.DateTimeFormat(undefined, {
    timeZone: zone, weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
  }).format(new Date(iso));
}

/** "Fri 4 Dec, 19:43 CET": one instant, its zone named. */
export function instantText(iso: string, zone: string): string {
  return `${dateTime(iso, zone)} ${shortZone(new Date(iso), zone) || zone}`;
}

/** "Sat 5 Dec, 10:00 – 13:00, Europe/Amsterdam (CET)" (the end's date only when it differs). */
export function windowText(startIso: string, endIso: string, zone: string): string {
  const start = new Date(startIso);
  const end = new Date(endIso);
  const sameDay = localInputValue(start, zone).slice(0, 10) === localInputValue(end, zone).slice(0, 10);
  const endText = sameDay
    ? new Intl.DateTimeFormat(undefined, { timeZone: zone, hour: "2-digit", minute: "2-digit" }).format(end)
    : dateTime(endIso, zone);
  return `${dateTime(startIso, zone)} – ${endText}, ${zoneLabel(zone, start)}`;
}

export function distance(m: number): string {
  return m < 1000 ? `${m} m` : `${(m / 1000).toFixed(1)} km`;
}

/** "3.50" or "3,50" in a currency's major unit → integer minor units; null when it is not an amount. */
export function parseMoney(text: string, currency: string): number | null {
  const t = text.trim().replace(",", ".");
  const digits = minorDigits(currency);
  if (!new RegExp(`^\\d{1,7}(\\.\\d{1,${Math.max(digits, 1)}})?$`).test(t)) return null;
  const [whole = "0", frac = ""] = t.split(".");
  return Number(whole) * 10 ** digits + Number((frac + "0".repeat(digits)).slice(0, digits) || "0");
}

/** Minor units → the text a money input shows ("350" → "3.50"). */
export function moneyInput(minor: number, currency: string): string {
  const digits = minorDigits(currency);
  return digits ? (minor / 10 ** digits).toFixed(digits) : String(minor);
}
