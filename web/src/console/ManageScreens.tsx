// Owners' screens: gate devices (register with the secret shown once, rotate, revoke, health and quiet ones),
// staff (invite, remove; consent is the invitee's), and the tariff, lots, capacities and opening rules.
import { useEffect, useState } from "preact/hooks";
import { Field, Loading, Page, ProblemNotice, Select } from "../ui/components";
import { moneyInput, parseMoney } from "../ui/format";
import { useMutation, useQuery } from "../ui/query";
import * as c from "./api";
import { Badge, type Column, DataTable, errorFor, Refusal, shortTime } from "./kit";

export function DevicesScreen({ cp, zone, owner }: { cp: string; zone: string; owner: boolean }) {
  const list = useQuery(`devices:${cp}`, (signal) => c.devices(cp, signal));
  const [name, setName] = useState("");
  const register = useMutation((n: string) => c.registerDevice(cp, n));
  const rotate = useMutation((id: string) => c.rotateDevice(cp, id));
  const revoke = useMutation((id: string) => c.revokeDevice(cp, id));
  const shown = rotate.data ?? register.data;
  const submit = async (e: Event) => {
    e.preventDefault();
    if ((await register.submit(name)).ok) {
      setName("");
      rotate.reset();
      list.retry();
    }
  };
  const columns: Column<c.Device>[] = [
    { key: "name", label: "Device", render: (d) => <strong>{d.name}</strong>, sort: (d) => d.name },
    { key: "status", label: "Status", render: (d) => <Badge kind={d.status === "active" ? "open" : "muted"}>{d.status}</Badge>, sort: (d) => d.status },
    { key: "beat", label: "Last heartbeat", render: (d) => (d.health?.last_heartbeat_at ? shortTime(d.health.last_heartbeat_at, zone) : "Never"),
      sort: (d) => d.health?.last_heartbeat_at ?? "" },
    { key: "health", label: "Health", render: (d) => (d.status !== "active" ? "—" : d.health?.quiet
      ? <Badge kind="deny">Quiet</Badge> : <Badge kind="open">OK</Badge>) },
    { key: "secret", label: "Secret", render: (d) => `version ${d.secret_version}` },
    ...(owner ? [{ key: "act", label: "Action", render: (d: c.Device) => (d.status !== "active" ? "—" : (
      <span class="actions">
        <button type="button" class="button button--secondary button--small" onClick={async () => { register.reset(); if ((await rotate.submit(d.device_id)).ok) list.retry(); }}>
          Rotate secret<span class="sr-only"> of {d.name}</span>
        </button>
        <button type="button" class="button button--danger button--small" onClick={async () => {
          if (window.confirm(`Revoke ${d.name}? Its events are refused from now on.`) && (await revoke.submit(d.device_id)).ok) list.retry();
        }}>Revoke<span class="sr-only"> {d.name}</span></button>
      </span>)) }] : []),
  ];
  return (
    <Page title="Gate devices">
      {owner && (
        <section class="panel" aria-labelledby="add-device">
          <h2 id="add-device">Register a device</h2>
          <form class="form form--inline" onSubmit={submit} noValidate>
            <Field label="Name" value={name} onValue={setName} error={errorFor(register.problem, "name")} maxLength={80} />
            <button type="submit" class="button" disabled={register.status === "pending"}>Register</button>
          </form>
        </section>
      )}
      {shown?.secret && (
        <div class="notice notice--info" role="status" data-testid="device-secret">
          <p><strong>{shown.name}</strong>: its secret is shown this once. Copy it into the device now.</p>
          <p><code class="secret">{shown.secret}</code></p>
          <p class="muted">Device id {shown.device_id}</p>
        </div>
      )}
      <ProblemNotice problem={list.problem ?? rotate.problem ?? revoke.problem ?? register.problem} fields={["name"]} retry={list.retry} />
      {list.data ? <DataTable caption="Devices" columns={columns} rows={list.data} rowKey={(d) => d.device_id} empty="No devices yet." />
        : <Loading label="Loading devices…" />}
      <p class="muted">A device silent for more than 5 minutes is marked quiet and raises an alert.</p>
    </Page>
  );
}

export function StaffScreen({ cp }: { cp: string }) {
  const list = useQuery(`staff:${cp}`, (signal) => c.staff(cp, signal));
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<"staff" | "owner">("staff");
  const invite = useMutation(({ e, r }: { e: string; r: "staff" | "owner" }) => c.invite(cp, e, r));
  const remove = useMutation((id: string) => c.removeStaff(cp, id));
  const submit = async (ev: Event) => {
    ev.preventDefault();
    if ((await invite.submit({ e: email, r: role })).ok) {
      setEmail("");
      list.retry();
    }
  };
  const columns: Column<c.Staff>[] = [
    { key: "who", label: "Person", render: (m) => (m.person ? `${m.person.display_name} (${m.person.email})` : <span class="muted">Shown once they accept</span>) },
    { key: "role", label: "Role", render: (m) => m.role, sort: (m) => m.role },
    { key: "state", label: "State", render: (m) => <Badge kind={m.state === "active" ? "open" : "muted"}>{m.state}</Badge>, sort: (m) => m.state },
    { key: "act", label: "Action", render: (m) => (m.state === "active" || m.state === "invited" ? (
      <button type="button" class="button button--secondary button--small" onClick={async () => (await remove.submit(m.user_id)).ok && list.retry()}>
        {m.state === "invited" ? "Withdraw" : "Remove"}<span class="sr-only"> {m.person?.email ?? m.user_id}</span>
      </button>) : "—") },
  ];
  return (
    <Page title="Staff">
      <section class="panel" aria-labelledby="invite">
        <h2 id="invite">Invite someone</h2>
        <form class="form form--inline" onSubmit={submit} noValidate>
          <Field label="Email" type="email" value={email} onValue={setEmail} error={errorFor(invite.problem, "email", "user_id")} autoComplete="off" />
          <Select label="Role" value={role} onChange={setRole} options={[["staff", "Staff"], ["owner", "Co-owner"]] as const} />
          <button type="submit" class="button" disabled={invite.status === "pending"}>Invite</button>
        </form>
        <Refusal problem={invite.problem} fields={["email", "user_id"]} />
        <p class="muted">They count as staff only once they accept under their invitations. Staff cannot manage staff or devices.</p>
      </section>
      <ProblemNotice problem={list.problem ?? remove.problem} retry={list.retry} />
      {list.data ? <DataTable caption="Staff" columns={columns} rows={list.data} rowKey={(m) => m.user_id} empty="Nobody yet." />
        : <Loading label="Loading staff…" />}
    </Page>
  );
}

interface LotRow { name: string; capacity: string; rate: string; cap: string }

function money(v: number | null | undefined, cur: string): string {
  return v === null || v === undefined ? "" : moneyInput(v, cur);
}

export function SettingsScreen({ cp, owner }: { cp: string; owner: boolean }) {
  const loaded = useQuery(`settings:${cp}`, (signal) => c.settings(cp, signal));
  const s = loaded.data;
  const [rate, setRate] = useState("");
  const [cap, setCap] = useState("");
  const [plans, setPlans] = useState<Record<string, string>>({});
  const [lots, setLots] = useState<LotRow[]>([]);
  const [unassigned, setUnassigned] = useState("0");
  const [opening, setOpening] = useState<c.Settings["opening"]>([]);
  const [local, setLocal] = useState<string | null>(null);
  const save = useMutation((form: c.SettingsForm) => c.saveSettings(cp, form));
  useEffect(() => {
    if (!s) return;
    setRate(money(s.tariff.hourly_rate_minor, s.currency));
    setCap(money(s.tariff.daily_cap_minor, s.currency));
    setPlans(Object.fromEntries(Object.entries(s.tariff.plans ?? {}).map(([k, v]) => [k, money(v, s.currency)])));
    setLots(s.lots.map((l) => ({ name: l.name, capacity: l.capacity?.toString() ?? "", rate: money(l.hourly_rate_minor, s.currency),
      cap: money(l.daily_cap_minor, s.currency) })));
    setUnassigned(String(s.unassigned_capacity));
    setOpening(s.opening);
  }, [s?.version]);
  if (!s) return <Page title="Tariff and opening"><ProblemNotice problem={loaded.problem} retry={loaded.retry} /><Loading label="Loading…" /></Page>;
  const cur = s.currency;
  const amount = (text: string, field: string): number | null | "bad" => {
    if (!text.trim()) return null;
    const v = parseMoney(text, cur);
    if (v === null) setLocal(field);
    return v ?? "bad";
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    setLocal(null);
    const hourly = amount(rate, "tariff.hourly_rate_minor");
    const daily = amount(cap, "tariff.daily_cap_minor");
    const planPrices = Object.fromEntries(Object.entries(plans).filter(([, v]) => v.trim()).map(([k, v]) => [k, amount(v, `tariff.plans.${k}`)]));
    const lotRows = lots.map((l, i) => ({ name: l.name.trim(), capacity: l.capacity.trim() ? Number(l.capacity) : null,
      hourly_rate_minor: amount(l.rate, `lots.${i}.hourly_rate_minor`), daily_cap_minor: amount(l.cap, `lots.${i}.daily_cap_minor`) }));
    const all = [hourly, daily, ...Object.values(planPrices), ...lotRows.flatMap((l) => [l.hourly_rate_minor, l.daily_cap_minor])];
    if (all.includes("bad")) return;
    await save.submit({ version: s.version, currency: cur, unassigned_capacity: Number(unassigned) || 0, opening,
      tariff: { hourly_rate_minor: hourly as number | null, daily_cap_minor: daily as number | null, plans: planPrices as Record<string, number> },
      lots: lotRows as c.SettingsForm["lots"] });
    loaded.retry();
  };
  const p = save.problem;
  const err = (f: string) => (local === f ? `Enter an amount in ${cur}, like 2.50` : errorFor(p, f));
  const setLot = (i: number, patch: Partial<LotRow>) => setLots((old) => old.map((l, j) => (j === i ? { ...l, ...patch } : l)));
  return (
    <Page title="Tariff and opening">
      {!owner && <p class="notice notice--info">Only the car park's owners change these.</p>}
      <form class="form" onSubmit={submit} noValidate>
        <fieldset class="fieldset" disabled={!owner}>
          <legend>Tariff ({cur})</legend>
          <div class="row">
            <Field label="Hourly rate" value={rate} onValue={setRate} error={err("tariff.hourly_rate_minor")} inputMode="numeric" />
            <Field label="Daily cap" value={cap} onValue={setCap} error={err("tariff.daily_cap_minor")} inputMode="numeric" />
          </div>
          <div class="row">
            {(["monthly", "quarterly", "annual"] as const).map((plan) => (
              <Field key={plan} label={`${plan[0]?.toUpperCase()}${plan.slice(1)} plan`} value={plans[plan] ?? ""}
                onValue={(v) => setPlans((o) => ({ ...o, [plan]: v }))} error={err(`tariff.plans.${plan}`)} inputMode="numeric" />
            ))}
          </div>
        </fieldset>
        <fieldset class="fieldset" disabled={!owner}>
          <legend>Lots and capacity</legend>
          {lots.map((l, i) => (
            <div class="row row--4" key={i}>
              <Field label={`Lot ${i + 1} name`} value={l.name} onValue={(v) => setLot(i, { name: v })} error={errorFor(p, `lots.${i}.name`)} />
              <Field label="Capacity" value={l.capacity} onValue={(v) => setLot(i, { capacity: v })} error={errorFor(p, `lots.${i}.capacity`)}
                inputMode="numeric" hint="Empty: its accepted spaces" />
              <Field label="Hourly rate" value={l.rate} onValue={(v) => setLot(i, { rate: v })} error={err(`lots.${i}.hourly_rate_minor`)} />
              <Field label="Daily cap" value={l.cap} onValue={(v) => setLot(i, { cap: v })} error={err(`lots.${i}.daily_cap_minor`)} />
            </div>
          ))}
          <div class="actions">
            <button type="button" class="button button--secondary button--small" onClick={() => setLots((o) => [...o, { name: "", capacity: "", rate: "", cap: "" }])}>Add a lot</button>
          </div>
          <Field label="Places for cars of no lot (members, allowed plates)" value={unassigned} onValue={setUnassigned}
            error={errorFor(p, "unassigned_capacity")} inputMode="numeric" />
        </fieldset>
        <fieldset class="fieldset" disabled={!owner}>
          <legend>Opening hours</legend>
          {opening.length === 0 && <p class="muted">Open around the clock.</p>}
          {opening.map((r, i) => (
            <div class="row row--4" key={i}>
              <Field label={`Rule ${i + 1} days (0 = Monday)`} value={r.days.join(",")} error={errorFor(p, `opening.${i}`, `opening.${i}.days`)}
                onValue={(v) => setOpening((o) => o.map((x, j) => (j === i ? { ...x, days: v.split(",").map((d) => Number(d.trim())).filter((d) => d >= 0 && d <= 6) } : x)))} />
              <Field label="Opens" type="time" value={r.open} error={errorFor(p, `opening.${i}.open`)}
                onValue={(v) => setOpening((o) => o.map((x, j) => (j === i ? { ...x, open: v } : x)))} />
              <Field label="Closes" type="time" value={r.close} error={errorFor(p, `opening.${i}.close`)}
                onValue={(v) => setOpening((o) => o.map((x, j) => (j === i ? { ...x, close: v } : x)))} />
            </div>
          ))}
          <div class="actions">
            <button type="button" class="button button--secondary button--small" onClick={() => setOpening((o) => [...o, { days: [0, 1, 2, 3, 4], open: "07:00", close: "22:00" }])}>Add a rule</button>
          </div>
        </fieldset>
        <Refusal problem={p} fields={["tariff", "unassigned_capacity", "opening"]} />
        {owner && <button type="submit" class="button" disabled={save.status === "pending"}>Save</button>}
        {save.status === "success" && <p class="notice notice--success" role="status">Saved (version {save.data?.version}).</p>}
      </form>
    </Page>
  );
}
