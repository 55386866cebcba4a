// The sharer's earnings: what parkers paid, the platform's fee, and the payouts credited to the balance.
import { spacesOf } from "../bookings/api";
import { useConfig } from "../config/context";
import { myEarnings } from "../payments/api";
import { Loading, Page, ProblemNotice } from "../ui/components";
import { instantText, money } from "../ui/format";
import { useQuery } from "../ui/query";
import { href } from "../ui/router";

export function EarningsScreen() {
  const zone = useConfig().timeZone;
  const found = useQuery("earnings", myEarnings);
  const e = found.data;
  const ids = e?.payouts.map((p) => p.space_id) ?? [];
  const spaces = useQuery(ids.length ? `spaces:${[...new Set(ids)].sort().join(",")}` : null, (signal) => spacesOf(ids, signal));
  const currency = e?.currency ?? e?.payouts[0]?.currency ?? "EUR";
  const fee = e ? `${(e.platform_fee_bp / 100).toLocaleString(undefined, { maximumFractionDigits: 2 })}%` : "";
  return (
    <Page title="Earnings" actions={<a class="back" href={href("/my-spaces")}>My spaces</a>}>
      {found.status === "loading" && !e && <Loading label="Loading your earnings…" />}
      <ProblemNotice problem={found.problem} retry={found.retry} />
      {e && (
        <>
          <dl class="totals" aria-label="Totals">
            <div><dt>Paid by parkers</dt><dd>{money(e.paid_minor, currency)}</dd></div>
            <div><dt>Platform fee ({fee})</dt><dd>{money(e.fee_minor, currency)}</dd></div>
            <div><dt>Paid out to you</dt><dd><strong>{money(e.balance_minor, currency)}</strong></dd></div>
          </dl>
          <p class="hint">Each paid order is credited to your balance at once, less the platform fee of {fee}.</p>
          <h2>Paid orders</h2>
          {e.payouts.length === 0 ? <p class="muted">No paid orders yet.</p> : (
            <table class="earnings">
              <caption class="sr-only">Paid orders, newest first</caption>
              <thead><tr><th scope="col">Order</th><th scope="col">Paid</th><th scope="col">Fee</th><th scope="col">To you</th></tr></thead>
              <tbody>
                {e.payouts.map((p) => (
                  <tr key={p.reservation_id}>
                    <th scope="row"><a href={href(`/bookings/${encodeURIComponent(p.reservation_id)}`)}>{spaces.data?.[p.space_id]?.title ?? "A booking"}</a>
                      <span class="muted"> {instantText(p.credited_at, zone)}</span></th>
                    <td>{money(p.paid_minor, p.currency)}</td><td>{money(p.fee_minor, p.currency)}</td><td>{money(p.payout_minor, p.currency)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </Page>
  );
}

export default EarningsScreen;
