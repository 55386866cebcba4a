// Members (add, renew, end; those expiring soon flagged), allow and block lists, alerts, and the audit trail.
import { useState } from "preact/hooks";
import { Checkbox, Field, Page, ProblemNotice, Select } from "../ui/components";
import { useMutation } from "../ui/query";
import * as c from "./api";
import { Badge, type Column, DataTable, errorFor, Refusal, shortTime, usePaged } from "./kit";

const STATE_TEXT: Record<string, string> = { upcoming: "Upcoming", active: "Active", expiring: "Expiring soon", expired: "Expired", ended: "Ended" };

export function MembersScreen({ cp, zone }: { cp: string; zone: string }) {
  const [expiring, setExpiring] = useState(false);
  const list = usePaged(`members:${cp}:${expiring}`, (next) => c.members(cp, expiring, next));
  const [plate, setPlate] = useState("");
  const [holder, setHolder] = useState("");
  const [plan, setPlan] = useState<c.MemberForm["plan"]>("monthly");
  const [validFrom, setValidFrom] = useState("");
  const add = useMutation((form: c.MemberForm) => c.addMember(cp, form));
  const change = useMutation(({ id, end }: { id: string; end: boolean }) => (end ? c.endMember(cp, id) : c.renewMember(cp, id)));
  const submit = async (e: Event) => {
    e.preventDefault();
    const done = await add.submit({ plate, holder, plan, valid_from: validFrom || null });
    if (done.ok) {
      setPlate("");
      setHolder("");
      list.reload();
    }
  };
  const act = async (id: string, end: boolean) => {
    if ((await change.submit({ id, end })).ok) list.reload();
  };
  const p = add.problem;
  const columns: Column<c.Member>[] = [
    { key: "plate", label: "Plate", render: (m) => <strong class="plate">{m.plate}</strong>, sort: (m) => m.plate },
    { key: "holder", label: "Holder", render: (m) => m.holder, sort: (m) => m.holder },
    { key: "plan", label: "Plan", render: (m) => m.plan, sort: (m) => m.plan },
    { key: "from", label: "From", render: (m) => m.valid_from, sort: (m) => m.valid_from },
    { key: "until", label: "Until", render: (m) => m.valid_until, sort: (m) => m.valid_until },
    { key: "state", label: "State", render: (m) => <Badge kind={m.state}>{STATE_TEXT[m.state]}</Badge>, sort: (m) => m.state },
    { key: "act", label: "Action", render: (m) => (m.state === "ended" ? "—" : (
      <span class="actions">
        <button type="button" class="button button--secondary button--small" onClick={() => void act(m.membership_id, false)}>Renew<span class="sr-only"> {m.plate}</span></button>
        {m.state !== "expired" && <button type="button" class="button button--secondary button--small" onClick={() => void act(m.membership_id, true)}>End<span class="sr-only"> {m.plate}</span></button>}
      </span>)) },
  ];
  return (
    <Page title="Members">
      <section class="panel" aria-labelledby="add-member">
        <h2 id="add-member">Add a member</h2>
        <form class="form form--inline" onSubmit={submit} noValidate>
          <Field label="Plate" value={plate} onValue={setPlate} error={errorFor(p, "plate")} autoCapitalize="characters" maxLength={20} />
          <Field label="Holder" value={holder} onValue={setHolder} error={errorFor(p, "holder")} maxLength={120} />
          <Select label="Plan" value={plan} onChange={setPlan} options={[["monthly", "Monthly"], ["quarterly", "Quarterly"], ["annual", "Annual"]] as const} />
          <Field label="Starts" type="date" value={validFrom} onValue={setValidFrom} error={errorFor(p, "valid_from")} hint="Empty: today" />
          <button type="submit" class="button" disabled={add.status === "pending"}>Add member</button>
        </form>
        <Refusal problem={p} fields={["plate", "holder", "valid_from"]} />
      </section>
      <ProblemNotice problem={change.problem} />
      <Checkbox label="Only those expiring within 14 days" checked={expiring} onChange={setExpiring} />
      <DataTable caption="Members" columns={columns} rows={list.items} rowKey={(m) => m.membership_id} filterText={(m) => `${m.plate} ${m.holder}`}
        next={list.next} onMore={list.more} loadingMore={list.loadingMore} empty="No members." />
      <p class="muted">Times and days are the car park's ({zone}). {shortTime(new Date().toISOString(), zone)}</p>
    </Page>
  );
}

export function ListsScreen({ cp }: { cp: string }) {
  const list = usePaged(`lists:${cp}`, (next) => c.listed(cp, next));
  const [kind, setKind] = useState<c.ListedForm["kind"]>("block");
  const [plate, setPlate] = useState("");
  const [reason, setReason] = useState("");
  const [until, setUntil] = useState("");
  const add = useMutation((form: c.ListedForm) => c.addListed(cp, form));
  const remove = useMutation((id: string) => c.removeListed(cp, id));
  const submit = async (e: Event) => {
    e.preventDefault();
    if ((await add.submit({ kind, plate, reason, valid_until: until || null })).ok) {
      setPlate("");
      setReason("");
      list.reload();
    }
  };
  const p = add.problem;
  const columns: Column<c.Listed>[] = [
    { key: "kind", label: "List", render: (e) => <Badge kind={e.kind === "block" ? "deny" : "open"}>{e.kind === "block" ? "Blocked" : "Allowed"}</Badge>, sort: (e) => e.kind },
    { key: "plate", label: "Plate", render: (e) => <strong class="plate">{e.plate}</strong>, sort: (e) => e.plate },
    { key: "reason", label: "Reason", render: (e) => e.reason },
    { key: "until", label: "Until", render: (e) => e.valid_until ?? "Removed by hand", sort: (e) => e.valid_until ?? "9" },
    { key: "act", label: "Action", render: (e) => (
      <button type="button" class="button button--secondary button--small" onClick={async () => (await remove.submit(e.entry_id)).ok && list.reload()}>
        Remove<span class="sr-only"> {e.plate}</span>
      </button>) },
  ];
  return (
    <Page title="Allow and block lists">
      <section class="panel" aria-labelledby="add-listed">
        <h2 id="add-listed">Add a plate</h2>
        <form class="form form--inline" onSubmit={submit} noValidate>
          <Select label="List" value={kind} onChange={setKind} options={[["block", "Block"], ["allow", "Allow"]] as const} />
          <Field label="Plate" value={plate} onValue={setPlate} error={errorFor(p, "plate")} autoCapitalize="characters" maxLength={20} />
          <Field label="Reason" value={reason} onValue={setReason} error={errorFor(p, "reason")} maxLength={200} />
          <Field label="Until" type="date" value={until} onValue={setUntil} error={errorFor(p, "valid_until")} hint="Empty: until removed" />
          <button type="submit" class="button" disabled={add.status === "pending"}>Add</button>
        </form>
        <Refusal problem={p} fields={["plate", "reason", "valid_until"]} />
        <p class="muted">A blocked plate is refused at the entry even with a reservation, and its parker is told why.</p>
      </section>
      <ProblemNotice problem={remove.problem} />
      <DataTable caption="Listed plates" columns={columns} rows={list.items} rowKey={(e) => e.entry_id} filterText={(e) => `${e.plate} ${e.reason}`}
        next={list.next} onMore={list.more} loadingMore={list.loadingMore} empty="No plates listed." />
    </Page>
  );
}

export function AlertsScreen({ cp, zone }: { cp: string; zone: string }) {
  const [state, setState] = useState<"open" | "all">("open");
  const list = usePaged(`alerts:${cp}:${state}`, (next) => c.alerts(cp, state, next));
  const ack = useMutation((id: string) => c.acknowledge(cp, id));
  const columns: Column<c.Alert>[] = [
    { key: "at", label: "Raised", render: (a) => shortTime(a.raised_at, zone), sort: (a) => a.raised_at },
    { key: "kind", label: "Alert", render: (a) => <Badge kind={a.state === "open" ? "deny" : "muted"}>{a.title}</Badge>, sort: (a) => a.kind },
    { key: "body", label: "What", render: (a) => a.body },
    { key: "state", label: "State", render: (a) => (a.state === "open" ? (
      <button type="button" class="button button--secondary button--small" onClick={async () => (await ack.submit(a.alert_id)).ok && list.reload()}>
        Acknowledge<span class="sr-only"> {a.title}</span>
      </button>) : `Acknowledged ${a.acknowledged_at ? shortTime(a.acknowledged_at, zone) : ""}`) },
  ];
  return (
    <Page title="Alerts">
      <Select label="Show" value={state} onChange={setState} options={[["open", "Open alerts"], ["all", "All alerts"]] as const} />
      <ProblemNotice problem={list.problem ?? ack.problem} retry={list.reload} />
      <DataTable caption="Alerts" columns={columns} rows={list.items} rowKey={(a) => a.alert_id} filterText={(a) => `${a.title} ${a.body}`}
        next={list.next} onMore={list.more} loadingMore={list.loadingMore} empty="No alerts." />
    </Page>
  );
}

export function AuditScreen({ cp, zone }: { cp: string; zone: string }) {
  const list = usePaged(`audit:${cp}`, (next) => c.audit(cp, next));
  const columns: Column<c.AuditEntry>[] = [
    { key: "at", label: "When", render: (a) => shortTime(a.at, zone), sort: (a) => a.at },
    { key: "actor", label: "Who", render: (a) => <>{a.actor} <span class="muted">({a.role})</span></>, sort: (a) => a.actor },
    { key: "action", label: "Did", render: (a) => a.action, sort: (a) => a.action },
    { key: "target", label: "To", render: (a) => a.target },
    { key: "summary", label: "Details", render: (a) => a.summary },
  ];
  return (
    <Page title="Audit trail">
      <ProblemNotice problem={list.problem} retry={list.reload} />
      <DataTable caption="Audit trail" columns={columns} rows={list.items} rowKey={(a) => a.entry_id}
        filterText={(a) => `${a.actor} ${a.action} ${a.target} ${a.summary}`} next={list.next} onMore={list.more} loadingMore={list.loadingMore}
        empty="Nothing recorded yet." />
    </Page>
  );
}
