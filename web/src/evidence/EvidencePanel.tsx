// Download an order's evidence (the photos and their ledger proofs, in a zip anyone can verify offline) and open a claim
// that shares it with the sharer and/or the car park for 30 days.
import { useState } from "preact/hooks";
import { fieldError } from "../api/errors";
import { Checkbox, Notice, ProblemNotice, TextArea } from "../ui/components";
import { instantText } from "../ui/format";
import { useAttemptKey } from "../ui/keys";
import { useMutation, useQuery } from "../ui/query";
import { href } from "../ui/router";
import { bytes, saveBlob } from "../ui/upload";
import { claimsOf, download, exportEvidence, openClaim } from "./api";

export function DownloadEvidence({ orderId, label = "Download the evidence (zip)", run = () => exportEvidence(orderId) }: {
  orderId: string; label?: string; run?: () => ReturnType<typeof exportEvidence>;
}) {
  const fetchZip = useMutation(async () => {
    const link = await run();
    const zip = await download(link.url);
    saveBlob(zip, `evidence-${orderId}.zip`);
    return { size: zip.size, photos: link.photos };
  });
  return (
    <div class="stack">
      <button type="button" class="button button--secondary" disabled={fetchZip.status === "pending"} onClick={() => void fetchZip.submit(undefined)}>
        {fetchZip.status === "pending" ? "Preparing the evidence…" : label}
      </button>
      {fetchZip.data && <Notice kind="success"><p>Saved evidence-{orderId}.zip ({fetchZip.data.photos} photos, {bytes(fetchZip.data.size)}). Anyone can check it offline with the CarParker verifier.</p></Notice>}
      <ProblemNotice problem={fetchZip.problem} retry={() => void fetchZip.submit(undefined)} />
    </div>
  );
}

function OpenClaim({ orderId, inCarPark, onOpened }: { orderId: string; inCarPark: boolean; onOpened: (id: string) => void }) {
  const [sharer, setSharer] = useState(true);
  const [carpark, setCarpark] = useState(inCarPark);
  const [description, setDescription] = useState("");
  const [local, setLocal] = useState<string | undefined>();
  const share = [...(sharer ? ["sharer" as const] : []), ...(carpark ? ["carpark" as const] : [])];
  const key = useAttemptKey(`${share.join()}|${description.trim()}`);
  const open = useMutation(() => openClaim(orderId, { share_with: share, description: description.trim() }, key));
  const submit = async () => {
    setLocal(!description.trim() ? "Say what happened, so the people you share it with know what to look at." : undefined);
    if (!description.trim()) return;
    const done = await open.submit(undefined);
    if (done.ok) onOpened(done.data.claim_id);
  };
  return (
    <form class="form" noValidate onSubmit={(e) => { e.preventDefault(); void submit(); }} aria-labelledby="claim-title">
      <h3 id="claim-title">Open a claim</h3>
      <TextArea label="What happened?" value={description} onValue={setDescription} maxLength={2000}
        error={local ?? fieldError(open.problem, "description")} />
      <fieldset class="fieldset">
        <legend>Share the evidence with</legend>
        <Checkbox label="The sharer of the space" checked={sharer} onChange={setSharer} />
        {inCarPark && <Checkbox label="The car park's staff" checked={carpark} onChange={setCarpark} />}
        {fieldError(open.problem, "share_with") && <p class="field-error" role="alert">{fieldError(open.problem, "share_with")}</p>}
      </fieldset>
      <p class="hint">They can download it for 30 days, or until you close the claim; every download is recorded.</p>
      <ProblemNotice problem={open.problem} retry={() => void submit()} fields={["description", "share_with"]} />
      <button type="submit" class="button" disabled={open.status === "pending" || share.length === 0}>
        {open.status === "pending" ? "Opening the claim…" : "Open the claim"}
      </button>
    </form>
  );
}

export function EvidencePanel({ orderId, inCarPark, zone }: { orderId: string; inCarPark: boolean; zone: string }) {
  const claims = useQuery(`claims:${orderId}`, (signal) => claimsOf(orderId, signal));
  const [opening, setOpening] = useState(false);
  return (
    <section class="panel" aria-labelledby="evidence-title">
      <h2 id="evidence-title">Evidence</h2>
      <p>The photos you took, sealed and recorded on the ledger, with the proofs that they were not changed since.</p>
      <DownloadEvidence orderId={orderId} />
      <ProblemNotice problem={claims.problem} retry={claims.retry} />
      {claims.data && claims.data.length > 0 && (
        <ul class="cards" aria-label="Claims">
          {claims.data.map((c) => (
            <li key={c.claim_id} class="card">
              <a href={href(`/claims/${encodeURIComponent(c.claim_id)}`)}>Claim of {instantText(c.opened_at, zone)}</a>
              <p class="muted">{c.status === "open" ? `Open until ${instantText(c.expires_at, zone)}` : "Closed"} · shared with {c.share_with.join(" and ")}</p>
            </li>
          ))}
        </ul>
      )}
      {opening
        ? <OpenClaim orderId={orderId} inCarPark={inCarPark} onOpened={(id) => { window.location.hash = href(`/claims/${encodeURIComponent(id)}`); }} />
        : <button type="button" class="button button--secondary" onClick={() => setOpening(true)}>Open a claim…</button>}
    </section>
  );
}
