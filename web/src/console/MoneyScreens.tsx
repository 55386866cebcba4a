// Transactions (a day's or a period's paid stays, no-shows, fees, refunds, with totals and each paid stay's proof)
// and the CSV export every list and chart offers.
import { useState } from "preact/hooks";
import { problemOf } from "../api/errors";
import { Field, Page, ProblemNotice } from "../ui/components";
import { money } from "../ui/format";
import * as c from "./api";
import { Badge, type Column, DataTable, download, shortTime, usePaged } from "./kit";

/** The rows behind a chart or list: saved from the answer when small, else fetched from the presigned download. */
export function ExportButton({ cp, dataset, from, to, granularity = "day", label }: {
  cp: string; dataset: "series" | "heatmap" | "transactions"; from: string; to: string; granularity?: "day" | "week" | "month"; label: string;
}) {
  const [state, setState] = useState<"idle" | "busy" | "done" | "failed">("idle");
  const [message, setMessage] = useState("");
  const run = async () => {
    setState("busy");
    try {
      const x = await c.exportCsv(cp, { dataset, from, to, granularity });
      if (x.csv !== null && x.csv !== undefined) download(x.filename, x.csv, "text/csv");
      else if (x.url) {
        const a = document.createElement("a");
        a.href = x.url;
        a.download = x.filename;
        document.body.append(a);
        a.click();
        a.remove();
      }
      setMessage(`${x.rows} rows exported (${x.filename})`);
      setState("done");
    } catch (e) {
      setMessage(problemOf(e).message);
      setState("failed");
    }
  };
  return (
    <span class="export">
      <button type="button" class="button button--secondary button--small" disabled={state === "busy"} onClick={run}>{label}</button>
      {state !== "idle" && state !== "busy" && <span class={state === "failed" ? "field-error" : "muted"} role="status"> {message}</span>}
    </span>
  );
}

export function PeriodFields({ from, to, setFrom, setTo, problem }: { from: string; to: string; setFrom: (v: string) => void;
  setTo: (v: string) => void; problem?: ReturnType<typeof problemOf> | undefined }) {
  const err = problem?.kind === "refused" && (problem.field === "to" || problem.field === "from") ? problem.message : undefined;
  return (
    <div class="row period">
      <Field label="From" type="date" value={from} onValue={setFrom} />
      <Field label="To" type="date" value={to} onValue={setTo} error={err} />
    </div>
  );
}

const KINDS: Record<string, string> = { paid: "Paid stay", refund: "Refund", no_show: "No-show", fee: "Fee" };

export function TransactionsScreen({ cp, zone, today }: { cp: string; zone: string; today: string }) {
  const [from, setFrom] = useState(today);
  const [to, setTo] = useState(today);
  const [totals, setTotals] = useState<c.Transactions | null>(null);
  const rows = usePaged(`books:${cp}:${from}:${to}`, async (next) => {
    const t = await c.books(cp, from, to || from, next);
    setTotals(t);
    return { items: t.transactions, next: t.next };
  });
  const [proofProblem, setProofProblem] = useState<string | null>(null);
  const getProof = async (rid: string) => {
    try {
      download(`proof-${rid}.json`, JSON.stringify(await c.proof(cp, rid), null, 2), "application/json");
      setProofProblem(null);
    } catch (e) {
      setProofProblem(problemOf(e).message);
    }
  };
  const cur = totals?.currency ?? "EUR";
  const columns: Column<c.Transaction>[] = [
    { key: "at", label: "When", render: (t) => shortTime(t.at, zone), sort: (t) => t.at },
    { key: "kind", label: "What", render: (t) => <Badge kind={t.kind}>{KINDS[t.kind] ?? t.kind}</Badge>, sort: (t) => t.kind },
    { key: "plate", label: "Plate", render: (t) => <span class="plate">{t.plate ?? "—"}</span>, sort: (t) => t.plate ?? "" },
    { key: "lot", label: "Lot", render: (t) => t.lot ?? "—" },
    { key: "stay", label: "Stay (min)", render: (t) => (t.kind === "paid" ? t.stay_min : "—"), sort: (t) => t.stay_min, align: "end" },
    { key: "amount", label: "Amount", render: (t) => money(t.amount_minor, t.currency), sort: (t) => t.amount_minor, align: "end" },
    { key: "state", label: "Payment", render: (t) => t.payment_status ?? t.state ?? "—" },
    { key: "proof", label: "Proof", render: (t) => (t.proof ? (
      <button type="button" class="button button--link" onClick={() => void getProof(t.reservation_id)}>
        Ledger proof<span class="sr-only"> of {t.reservation_id}</span>
      </button>) : "—") },
  ];
  return (
    <Page title="Transactions" actions={<ExportButton cp={cp} dataset="transactions" from={from} to={to || from} label="Export CSV" />}>
      <PeriodFields from={from} to={to} setFrom={setFrom} setTo={setTo} problem={rows.problem} />
      {totals && (
        <dl class="tiles" aria-label="Totals for the period">
          <div><dt>Revenue</dt><dd data-testid="revenue">{money(totals.totals.revenue_minor, cur)}</dd></div>
          <div><dt>Paid stays</dt><dd>{totals.totals.paid_stays}</dd></div>
          <div><dt>No-shows</dt><dd>{totals.totals.no_shows}</dd></div>
          <div><dt>Fees</dt><dd>{money(totals.totals.fees_minor, cur)}</dd></div>
          <div><dt>Refunds</dt><dd>{totals.totals.refunds} ({money(totals.totals.refunded_minor, cur)})</dd></div>
        </dl>
      )}
      {proofProblem && <p class="notice notice--error" role="alert">{proofProblem}</p>}
      <ProblemNotice problem={rows.problem} fields={["from", "to"]} retry={rows.reload} />
      <DataTable caption="Transactions" columns={columns} rows={rows.items} rowKey={(t) => `${t.at}${t.kind}${t.reservation_id}`}
        filterText={(t) => `${t.plate ?? ""} ${t.kind} ${t.reservation_id}`} next={rows.next} onMore={rows.more} loadingMore={rows.loadingMore}
        empty="Nothing was paid in this period." />
      <p class="muted">Each proof is the stay's ledger bundle: check it offline with <code>verify-bundle proof.json</code>.</p>
    </Page>
  );
}
