// The receipt of an order: what was reserved, what the stay added or took off, what was paid and when.
import { instantText, money } from "../ui/format";
import type { Booking } from "./api";

const PAYMENT: Record<string, string> = { pending: "Payment in progress", succeeded: "Paid", failed: "Payment failed: update your card" };

export function Receipt({ b, zone }: { b: Booking; zone: string }) {
  const bill = b.bill;
  const c = b.currency;
  const rows: [string, number][] = bill
    ? [
      ["Reserved time", bill.reserved_minor ?? 0],
      [`Overstay (${bill.overstay_min ?? 0} min)`, bill.overstay_minor ?? 0],
      ["Overstay surcharge", bill.surcharge_minor ?? 0],
      ["Daily cap discount", -(bill.cap_discount_minor ?? 0)],
      ["Unused time refunded", -(bill.refund_minor ?? 0)],
    ].filter(([label, amount]) => amount !== 0 || label === "Reserved time") as [string, number][]
    : [[b.state === "no_show" ? "No-show fee" : "Cancellation fee", b.fee_minor]];
  return (
    <section class="panel" aria-labelledby="receipt-title">
      <h2 id="receipt-title">Receipt</h2>
      <table class="receipt">
        <caption class="sr-only">Fee breakdown</caption>
        <tbody>
          {rows.map(([label, amount]) => <tr key={label}><th scope="row">{label}</th><td>{money(amount, c)}</td></tr>)}
        </tbody>
        <tfoot>
          <tr><th scope="row">Total</th><td>{money(b.amount_due_minor, c)}</td></tr>
        </tfoot>
      </table>
      <p>{b.payment_status ? PAYMENT[b.payment_status] ?? b.payment_status : b.amount_due_minor === 0 ? "Nothing to pay" : "Payment not started"}
        {b.paid_at ? ` · ${instantText(b.paid_at, zone)}` : ""}</p>
      {b.entered_at && <p class="muted">In {instantText(b.entered_at, zone)}{b.exited_at ? ` · out ${instantText(b.exited_at, zone)}` : ""}</p>}
      {b.ledger_entry && <p class="muted">Recorded on the ledger as entry {b.ledger_entry}.</p>}
    </section>
  );
}
