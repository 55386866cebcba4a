// The history report: revenue by day, week or month and occupancy by hour of day (uPlot charts), the weekday x hour
// heat map, average stay, no-show rate and overstays; CSV of the rows behind each chart; a print-friendly page.
import { useEffect, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { Loading, Page, ProblemNotice, Select } from "../ui/components";
import { money } from "../ui/format";
import { useQuery } from "../ui/query";
import * as c from "./api";
import { ExportButton, PeriodFields } from "./MoneyScreens";

const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/** "2026-12-04" → "12-04" on a crowded axis (the CSV and the aria label keep the whole date). */
function short(label: string): string {
  return /^\d{4}-\d{2}-\d{2}$/.test(label) ? label.slice(5) : label;
}

function Chart({ title, labels, values, bars, unit }: { title: string; labels: string[]; values: number[]; bars: boolean; unit: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const xs = labels.map((_, i) => i);
    const width = Math.max(320, el.clientWidth || 600);
    const plot = new uPlot({
      width, height: 220, legend: { show: false }, cursor: { show: false },
      scales: { x: { time: false } },
      axes: [
        { values: (_u, ticks) => ticks.map((t) => short(labels[Math.round(t)] ?? "")), space: 56, stroke: "#374151", grid: { show: false } },
        { label: unit, stroke: "#374151", grid: { stroke: "#e5e7eb" } },
      ],
      series: [{}, {
        label: title, stroke: "#1d4ed8", width: 2, fill: "rgba(29, 78, 216, 0.25)",
        ...(bars ? { paths: uPlot.paths.bars?.({ size: [0.7, 60] }), points: { show: false } } : {}),
      }],
    }, [xs, values], el);
    return () => plot.destroy();
  }, [labels.join("|"), values.join("|"), bars]);
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div ref={box} role="img" aria-label={`${title}: ${labels.map((l, i) => `${l} ${values[i]}`).slice(0, 40).join(", ")}`} />
    </figure>
  );
}

function Heatmap({ grid }: { grid: number[][] }) {
  const top = Math.max(0.01, ...grid.flat());
  return (
    <div class="table-scroll">
      <table class="heatmap">
        <caption>Average cars present by weekday and hour (local time)</caption>
        <thead><tr><th scope="col">Day</th>{Array.from({ length: 24 }, (_, h) => <th key={h} scope="col">{String(h).padStart(2, "0")}</th>)}</tr></thead>
        <tbody>
          {grid.map((row, w) => (
            <tr key={w}>
              <th scope="row">{WEEKDAYS[w]}</th>
              {row.map((v, h) => {
                const level = Math.round((v / top) * 5);
                return <td key={h} class={`heat heat--${level}`} title={`${WEEKDAYS[w]} ${h}:00: ${v}`}>{v ? v.toFixed(1) : ""}</td>;
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function ReportScreen({ cp, today }: { cp: string; today: string }) {
  const monthAgo = new Date(Date.parse(`${today}T12:00:00Z`) - 29 * 86_400_000).toISOString().slice(0, 10);
  const [from, setFrom] = useState(monthAgo);
  const [to, setTo] = useState(today);
  const [granularity, setGranularity] = useState<"day" | "week" | "month">("day");
  const report = useQuery(from && to ? `report:${cp}:${from}:${to}:${granularity}` : null, (signal) => c.report(cp, from, to, granularity, signal));
  const r = report.data;
  return (
    <Page title="History report" actions={<button type="button" class="button button--secondary no-print" onClick={() => window.print()}>Print</button>}>
      <div class="no-print report-form">
        <PeriodFields from={from} to={to} setFrom={setFrom} setTo={setTo} problem={report.problem} />
        <Select label="Revenue by" value={granularity} onChange={setGranularity} options={[["day", "Day"], ["week", "Week"], ["month", "Month"]] as const} />
      </div>
      <ProblemNotice problem={report.problem} fields={["from", "to"]} retry={report.retry} />
      {!r && report.status === "loading" && <Loading label="Building the report…" />}
      {r && (
        <>
          <p class="print-only">Report for {r.since} to {r.until}</p>
          <dl class="tiles" aria-label="Summary">
            <div><dt>Revenue</dt><dd data-testid="report-revenue">{money(r.summary.revenue_minor, r.currency)}</dd></div>
            <div><dt>Paid stays</dt><dd>{r.summary.paid_stays}</dd></div>
            <div><dt>Member visits</dt><dd>{r.summary.member_visits}</dd></div>
            <div><dt>Average stay</dt><dd>{r.summary.average_stay_min} min</dd></div>
            <div><dt>No-show rate</dt><dd>{(r.summary.no_show_rate * 100).toFixed(1)} %</dd></div>
            <div><dt>Overstays</dt><dd>{r.summary.overstays}</dd></div>
          </dl>
          <section class="panel">
            <div class="panel-head">
              <h2>Revenue</h2>
              <ExportButton cp={cp} dataset="series" from={r.since} to={r.until} granularity={granularity} label="CSV" />
            </div>
            <Chart title={`Revenue by ${granularity} (${r.currency})`} labels={r.series.map((s) => s.period)} bars unit={r.currency}
              values={r.series.map((s) => s.revenue_minor / 100)} />
          </section>
          <section class="panel">
            <div class="panel-head">
              <h2>Occupancy by hour of day</h2>
              <ExportButton cp={cp} dataset="heatmap" from={r.since} to={r.until} label="CSV" />
            </div>
            <Chart title="Average cars present by hour" labels={r.by_hour.map((_, h) => `${h}h`)} values={r.by_hour} bars={false} unit="cars" />
            <Heatmap grid={r.heatmap} />
          </section>
        </>
      )}
    </Page>
  );
}

export default ReportScreen;
