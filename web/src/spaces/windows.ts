import { money, windowText } from "../ui/format";
import type { Window } from "./api";

const DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

function days(list: number[]): string {
  if (list.length === 7) return "Every day";
  const sorted = [...list].sort();
  const contiguous = sorted.every((d, i) => i === 0 || d === (sorted[i - 1] ?? -2) + 1);
  return contiguous && sorted.length > 2 ? `${DAYS[sorted[0] ?? 0]}–${DAYS[sorted[sorted.length - 1] ?? 0]}` : sorted.map((d) => DAYS[d]).join(", ");
}

/** "Mon–Fri 08:00–18:00 · €2.00/h, at most €15.00 a day" */
export function describeWindow(w: Window, currency: string, zone: string): string {
  const when = w.kind === "weekly"
    ? `${days(w.days ?? [])} ${w.start_time ?? ""}–${w.end_time ?? ""}`
    : windowText(w.start ?? "", w.end ?? "", zone);
  const cap = w.daily_cap_minor != null ? `, at most ${money(w.daily_cap_minor, currency)} a day` : "";
  return `${when} · ${money(w.rate_minor, currency)}/h${cap}`;
}
