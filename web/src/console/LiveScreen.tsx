// The live view: occupancy against capacity per lot, the cars inside, the movements feed (polled every 3 s with the
// API's since-cursor: only what is new comes back), and the staff override form (let in, let out, mark as left).
import { useEffect, useRef, useState } from "preact/hooks";
import { Field, Loading, Page, Select } from "../ui/components";
import { useMutation, useQuery } from "../ui/query";
import { duration } from "../ui/time";
import * as c from "./api";
import { Badge, type Column, DataTable, errorFor, Refusal, shortTime, useEvery, usePaged } from "./kit";

export const FEED_POLL_MS = 3000;
const OCCUPANCY_POLL_MS = 5000;
const KEEP = 200;

function OccupancyPanel({ cp }: { cp: string }) {
  const occ = useQuery(`occ:${cp}`, (signal) => c.occupancy(cp, signal));
  useEvery(OCCUPANCY_POLL_MS, occ.retry);
  const o = occ.data;
  if (!o) return <Loading label="Counting cars…" />;
  return (
    <section class="panel" aria-labelledby="occ-title">
      <h2 id="occ-title">Occupancy now</h2>
      <p class="big" data-testid="occupied"><strong>{o.occupied}</strong> of {o.capacity} places taken</p>
      <ul class="lots">
        {o.lots.map((lot) => {
          const pct = lot.capacity ? Math.min(100, Math.round((lot.occupied / lot.capacity) * 100)) : lot.occupied ? 100 : 0;
          return (
            <li key={lot.lot ?? "-"} class="lot">
              <span class="lot-name">{lot.lot ?? "No lot"}</span>
              <span class="meter" role="meter" aria-valuemin={0} aria-valuemax={lot.capacity} aria-valuenow={lot.occupied}
                aria-label={`${lot.lot ?? "No lot"}: ${lot.occupied} of ${lot.capacity}`}>
                <span class={`meter-fill${pct >= 90 ? " meter-fill--full" : ""}`} style={{ width: `${pct}%` }} />
              </span>
              <span class="lot-count">{lot.occupied}/{lot.capacity || "—"}</span>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function Feed({ cp, zone }: { cp: string; zone: string }) {
  const [movements, setMovements] = useState<c.Movement[]>([]);
  const [failed, setFailed] = useState(false);
  const cursor = useRef<string | null>(null);
  const busy = useRef(false);
  const pull = () => {
    if (busy.current) return;
    busy.current = true;
    c.poll(cp, cursor.current).then((page) => {
      const fresh = cursor.current === null ? page.movements : [...page.movements].reverse();
      cursor.current = page.next;
      setMovements((old) => [...fresh, ...old].slice(0, KEEP));
      setFailed(false);
    }, () => setFailed(true)).finally(() => void (busy.current = false));
  };
  useEffect(() => {
    cursor.current = null;
    setMovements([]);
    pull();
  }, [cp]);
  useEvery(FEED_POLL_MS, pull);
  return (
    <section class="panel" aria-labelledby="feed-title">
      <h2 id="feed-title">Movements</h2>
      {failed && <p class="notice notice--warn" role="status">The feed could not be refreshed; it tries again every few seconds.</p>}
      <ol class="feed" aria-live="polite" aria-label="Movements, newest first">
        {movements.map((m) => (
          <li key={m.movement_id} class={`move move--${m.decision}`} data-testid="movement">
            <span class="move-time">{shortTime(m.occurred_at, zone)}</span>
            <Badge kind={m.decision}>{m.decision === "open" ? "Opened" : "Refused"}</Badge>
            <span class="move-what">
              {m.source === "override" ? `Staff: ${m.direction.replace("_", " ")}` : m.direction === "entry" ? "Entry" : "Exit"}
              {" · read "}<strong class="plate">{m.read ?? "—"}</strong>
              {m.matched && m.matched !== m.read ? <> → <strong class="plate">{m.matched}</strong></> : null}
            </span>
            <span class="move-why">{m.message ?? m.reason}{m.source === "gate" ? ` (${m.reason})` : ""}</span>
          </li>
        ))}
      </ol>
      {movements.length === 0 && <p class="muted">No movements yet today.</p>}
    </section>
  );
}

function OverrideForm({ cp, prefill, onDone }: { cp: string; prefill: { plate: string; action: c.OverrideForm["action"] } | null;
  onDone: () => void }) {
  const devices = useQuery(`devices:${cp}`, (signal) => c.devices(cp, signal));
  const active = (devices.data ?? []).filter((d) => d.status === "active");
  const [action, setAction] = useState<c.OverrideForm["action"]>("let_out");
  const [plate, setPlate] = useState("");
  const [reason, setReason] = useState("");
  const [device, setDevice] = useState("");
  const send = useMutation((form: c.OverrideForm) => c.override(cp, form));
  useEffect(() => {
    if (prefill) {
      setPlate(prefill.plate);
      setAction(prefill.action);
    }
  }, [prefill]);
  const gate = device || active[0]?.device_id || "";
  const submit = async (e: Event) => {
    e.preventDefault();
    const done = await send.submit({ action, plate, reason, device_id: action === "mark_left" ? null : gate || null, reservation_id: null });
    if (done.ok) {
      setReason("");
      onDone();
    }
  };
  const p = send.problem;
  return (
    <section class="panel" aria-labelledby="override-title">
      <h2 id="override-title">Gate override</h2>
      <form class="form" onSubmit={submit} noValidate>
        <div class="row">
          <Select label="Action" value={action} onChange={setAction}
            options={[["let_out", "Let out"], ["let_in", "Let in"], ["mark_left", "Mark as left (no gate)"]] as const} />
          <Field label="Plate" value={plate} onValue={setPlate} autoCapitalize="characters" error={errorFor(p, "plate")} maxLength={20} />
        </div>
        {action !== "mark_left" && (
          <Select label="Gate" value={gate} onChange={setDevice}
            options={active.map((d) => [d.device_id, d.name] as const)} />
        )}
        {errorFor(p, "device_id") && <p class="field-error" role="alert">{errorFor(p, "device_id")}</p>}
        <Field label="Reason" value={reason} onValue={setReason} error={errorFor(p, "reason")} maxLength={200}
          hint="Kept with your name in the audit trail." />
        <Refusal problem={p} fields={["plate", "reason", "device_id"]} />
        <button type="submit" class="button" disabled={send.status === "pending"}>Send to the gate</button>
      </form>
      {send.data && (
        <div class="notice notice--success" role="status">
          <p>Done: {send.data.action.replace("_", " ")} {send.data.plate}. Billed: {send.data.billed}.</p>
          {send.data.command_id && <p class="muted">Gate command {send.data.command_id} is waiting for the gate.</p>}
        </div>
      )}
    </section>
  );
}

export function LiveScreen({ cp, zone }: { cp: string; zone: string }) {
  const cars = usePaged(`inside:${cp}`, (next) => c.inside(cp, next));
  const [prefill, setPrefill] = useState<{ plate: string; action: c.OverrideForm["action"] } | null>(null);
  useEvery(OCCUPANCY_POLL_MS, cars.reload);
  const now = Date.now();
  const columns: Column<c.Presence>[] = [
    { key: "plate", label: "Plate", render: (p) => <strong class="plate">{p.plate}</strong>, sort: (p) => p.plate },
    { key: "kind", label: "As", render: (p) => p.kind, sort: (p) => p.kind },
    { key: "lot", label: "Lot", render: (p) => p.lot ?? "—", sort: (p) => p.lot ?? "" },
    { key: "in", label: "Entered", render: (p) => shortTime(p.entered_at, zone), sort: (p) => p.entered_at },
    { key: "stay", label: "Stay so far", render: (p) => duration(now - Date.parse(p.entered_at)), sort: (p) => p.stay_min, align: "end" },
    { key: "due", label: "Due out", render: (p) => (p.due ? <>{shortTime(p.due, zone)} {p.overstaying && <Badge kind="deny">overstay</Badge>}</> : "—") },
    { key: "act", label: "Action", render: (p) => (
      <button type="button" class="button button--secondary button--small" onClick={() => setPrefill({ plate: p.plate, action: "let_out" })}>
        Let out…
      </button>) },
  ];
  return (
    <Page title="Live view">
      <div class="live-grid">
        <div>
          <OccupancyPanel cp={cp} />
          <section class="panel" aria-labelledby="inside-title">
            <h2 id="inside-title">Cars inside</h2>
            {cars.loading && !cars.items.length ? <Loading label="Loading the cars inside…" /> : (
              <DataTable caption="Cars inside" columns={columns} rows={cars.items} rowKey={(p) => p.key} filterText={(p) => p.plate}
                next={cars.next} onMore={cars.more} loadingMore={cars.loadingMore} empty="No cars inside." />
            )}
            <Refusal problem={cars.problem} fields={[]} retry={cars.reload} />
          </section>
        </div>
        <div>
          <OverrideForm cp={cp} prefill={prefill} onDone={cars.reload} />
          <Feed cp={cp} zone={zone} />
        </div>
      </div>
    </Page>
  );
}
