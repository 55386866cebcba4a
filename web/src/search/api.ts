// The search feature's calls and the form <-> URL mapping (a search lives in the URL, so reload and back keep it).
import { api, type Schemas, unwrap } from "../api/client";
import { instantOf } from "../ui/format";

export type SearchAnswer = Schemas["SearchOut"];
export type Hit = Schemas["SearchHitOut"];
export type Sort = "distance" | "price";

export interface SearchForm {
  mode: "destination" | "position";
  q: string;
  lat: string;
  lng: string;
  start: string; // wall-clock "YYYY-MM-DDTHH:mm" in the search's zone
  end: string;
  covered: boolean;
  ev: boolean;
  accessible: boolean;
  height: string; // cm of clearance the vehicle needs
  sort: Sort;
  radius: string;
}

export function formFromParams(p: URLSearchParams, defaults: { start: string; end: string }): SearchForm {
  return {
    mode: p.get("lat") && p.get("lng") ? "position" : "destination",
    q: p.get("q") ?? "", lat: p.get("lat") ?? "", lng: p.get("lng") ?? "",
    start: p.get("start") ?? defaults.start, end: p.get("end") ?? defaults.end,
    covered: p.get("covered") === "1", ev: p.get("ev") === "1", accessible: p.get("accessible") === "1",
    height: p.get("height") ?? "", sort: p.get("sort") === "price" ? "price" : "distance", radius: p.get("radius") ?? "1000",
  };
}

export function paramsFromForm(f: SearchForm): Record<string, string | undefined> {
  const flag = (on: boolean) => (on ? "1" : undefined);
  const where = f.mode === "position" ? { lat: f.lat, lng: f.lng } : { q: f.q.trim() };
  return { ...where, start: f.start, end: f.end, covered: flag(f.covered), ev: flag(f.ev), accessible: flag(f.accessible),
    height: f.height.trim() || undefined, sort: f.sort === "price" ? "price" : undefined, radius: f.radius === "1000" ? undefined : f.radius };
}

/** Mistakes the browser can see before asking the server, keyed by the API's field names. */
export function localErrors(f: SearchForm, zone: string): Record<string, string> {
  const errors: Record<string, string> = {};
  if (f.mode === "destination" && !f.q.trim()) errors.q = "Enter a destination, or use your current position.";
  const start = instantOf(f.start, zone);
  const end = instantOf(f.end, zone);
  if (!start) errors.start = "Enter the date and time you arrive.";
  if (!end) errors.end = "Enter the date and time you leave.";
  if (start && end && end <= start) errors.end = "The end must be after the start.";
  if (f.height.trim() && !/^\d{3}$/.test(f.height.trim())) errors.min_height_cm = "Enter a height in centimetres, 100 to 600.";
  return errors;
}

export function search(p: URLSearchParams, zone: string, signal: AbortSignal): Promise<SearchAnswer> {
  const f = formFromParams(p, { start: "", end: "" });
  const iso = (local: string) => instantOf(local, zone)?.toISOString().replace(/\.000Z$/, "Z") ?? local;
  const query = {
    start: iso(f.start), end: iso(f.end), sort: f.sort, radius_m: Number(f.radius) || 1000,
    ...(f.mode === "position" ? { lat: Number(f.lat), lng: Number(f.lng) } : { q: f.q }),
    ...(f.covered ? { covered: true } : {}), ...(f.ev ? { ev_charger: true } : {}), ...(f.accessible ? { accessible: true } : {}),
    ...(f.height ? { min_height_cm: Number(f.height) } : {}),
  };
  return unwrap(api().GET("/search", { params: { query }, signal }));
}
