// One claim: what it says, whom it shares the evidence with and until when, who downloaded it; its parker closes it.
import { useState } from "preact/hooks";
import { useSession } from "../auth/session";
import { getBooking } from "../bookings/api";
import { useConfig } from "../config/context";
import { Loading, Notice, Page, ProblemNotice } from "../ui/components";
import { instantText, zoneLabel } from "../ui/format";
import { useMutation, useQuery } from "../ui/query";
import { href } from "../ui/router";
import { type Claim, claimEvidence, closeClaim, getClaim } from "./api";
import { DownloadEvidence } from "./EvidencePanel";

const ROLE: Record<string, string> = { parker: "You (the parker)", sharer: "The sharer", carpark: "The car park's staff", admin: "CarParker" };

export function ClaimScreen({ claimId }: { claimId: string }) {
  const zone = useConfig().timeZone;
  const session = useSession();
  const claim = useQuery(`claim:${claimId}`, (signal) => getClaim(claimId, signal));
  const [closed, setClosed] = useState<Claim | null>(null);
  const close = useMutation(() => closeClaim(claimId));
  const c = closed ?? claim.data;
  const order = useQuery(c ? `booking:${c.order_id}` : null, (signal) => getBooking(c?.order_id ?? "", signal));
  const mine = !!order.data && order.data.parker_id === session?.userId;
  return (
    <Page title="Claim" actions={c && <a class="back" href={href(`/bookings/${encodeURIComponent(c.order_id)}`)}>Back to the booking</a>}>
      {claim.status === "loading" && !c && <Loading label="Loading the claim…" />}
      <ProblemNotice problem={claim.problem} retry={claim.retry} />
      {c && (
        <>
          <p class={`status status--${c.status}`}>{c.status === "open" ? "Open" : "Closed"}</p>
          <blockquote class="quote-text">{c.description}</blockquote>
          <p>Shared with {[...c.share_with].sort().reverse().map((w) => (w === "sharer" ? "the sharer" : "the car park's staff")).join(" and ")}
            {c.status === "open" ? ` until ${instantText(c.expires_at, zone)}` : c.closed_at ? `; closed ${instantText(c.closed_at, zone)}` : ""}.</p>
          <p class="hint">Times in {zoneLabel(zone)}.</p>
          <h2>Who downloaded the evidence</h2>
          {c.access_log.length === 0 ? <p class="muted">Nobody yet.</p> : (
            <ul class="plain">{c.access_log.map((a) => <li key={`${a.user_id}${a.at}`}>{ROLE[a.role ?? ""] ?? a.role} · {instantText(a.at ?? "", zone)}</li>)}</ul>
          )}
          <DownloadEvidence orderId={c.order_id} run={() => claimEvidence(claimId)} />
          {mine && c.status === "open" && (
            <div class="stack">
              <button type="button" class="button button--secondary" disabled={close.status === "pending"} onClick={async () => {
                const done = await close.submit(undefined);
                if (done.ok) setClosed(done.data);
              }}>Close the claim</button>
              <p class="hint">Closing ends the sharing at once; the evidence stays yours.</p>
            </div>
          )}
          {closed && <Notice kind="success"><p>The claim is closed; nobody else can download the evidence through it.</p></Notice>}
          <ProblemNotice problem={close.problem} retry={() => void close.submit(undefined)} />
        </>
      )}
    </Page>
  );
}

export default ClaimScreen;
