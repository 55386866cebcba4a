// Identity verification. Each image is encrypted on this device to the enclave's key before it is sent; CarParker's
// servers store it sealed to you, and a reviewer sees it only while your case is open.
import { useState } from "preact/hooks";
import { fieldError } from "../api/errors";
import { useSession } from "../auth/session";
import { useConfig } from "../config/context";
import { FileField, Loading, Notice, Page, ProblemNotice } from "../ui/components";
import { instantText } from "../ui/format";
import { useMutation, useQuery } from "../ui/query";
import { type IdentityCase, myCase, type Side, SIDES, submitCase, uploadSide } from "./api";

const LABEL: Record<Side, string> = { front: "Photograph the front of your ID", back: "Photograph the back of your ID", selfie: "Take a selfie holding your ID" };
const STATUS: Record<string, string> = {
  collecting: "Not submitted yet", open: "Under review", approved: "Verified", rejected: "Rejected",
};

function SideUpload({ side, done, onCase }: { side: Side; done: boolean; onCase: (c: IdentityCase) => void }) {
  const session = useSession();
  const send = useMutation((file: File) => uploadSide(session?.userId ?? "", side, file));
  const [last, setLast] = useState<File | null>(null);
  const pick = async (file: File) => {
    setLast(file);
    const result = await send.submit(file);
    if (result.ok) onCase(result.data);
  };
  const error = fieldError(send.problem, "envelope") ?? fieldError(send.problem, "content_type");
  return (
    <li class="step">
      <FileField label={done ? `${LABEL[side]} again` : LABEL[side]} accept="image/jpeg,image/png" capture={side === "selfie" ? "user" : "environment"}
        onFile={(f) => void pick(f)} error={error} disabled={send.status === "pending"} />
      {send.status === "pending" && <p role="status">Encrypting on this device and uploading…</p>}
      {done && send.status !== "pending" && <p class="done" role="status">Encrypted on this device and uploaded.</p>}
      <ProblemNotice problem={send.problem} retry={() => last && void pick(last)} fields={["envelope", "content_type"]} />
    </li>
  );
}

export function IdentityScreen() {
  const zone = useConfig().timeZone;
  const found = useQuery("identity:mine", myCase);
  const [latest, setLatest] = useState<IdentityCase | null>(null);
  const submit = useMutation(submitCase);
  const c = latest ?? found.data ?? null;
  const uploaded = new Set(c?.status === "collecting" ? c.documents.map((d) => d.side) : []);
  const canUpload = !c || c.status === "collecting" || c.status === "rejected";
  return (
    <Page title="Identity verification">
      {found.status === "loading" && found.data === undefined && <Loading label="Loading your case…" />}
      <ProblemNotice problem={found.problem} retry={found.retry} />
      {c && (
        <p class={`status status--${c.status}`} aria-label="Status">{STATUS[c.status] ?? c.status}
          {c.opened_at && c.status === "open" ? ` since ${instantText(c.opened_at, zone)}` : ""}</p>
      )}
      {c?.status === "rejected" && <Notice kind="warn"><p>Reason: {c.reason}. Upload the three images again to start a new case.</p></Notice>}
      {c?.status === "approved" && <Notice kind="success"><p>Your identity is verified.</p></Notice>}
      {c?.status === "open" && <p>A reviewer is looking at your documents. They can see them only while the case is open; every view is recorded on the ledger.</p>}
      {canUpload && found.status !== "loading" && (
        <>
          <p>Three images: the front and back of your ID card, driving licence or passport, and a selfie holding it.
            They are <strong>encrypted on this device</strong> before they are sent, so only CarParker's enclave can open
            them, and they are stored sealed to you.</p>
          <ol class="steps">
            {SIDES.map((side) => <SideUpload key={side} side={side} done={uploaded.has(side)} onCase={setLatest} />)}
          </ol>
          <ProblemNotice problem={submit.problem} retry={() => void submit.submit(undefined)} />
          <button type="button" class="button" disabled={uploaded.size < 3 || submit.status === "pending"} onClick={async () => {
            const done = await submit.submit(undefined);
            if (done.ok) setLatest(done.data);
          }}>{uploaded.size < 3 ? `Upload ${3 - uploaded.size} more ${3 - uploaded.size === 1 ? "image" : "images"}` : "Submit for review"}</button>
        </>
      )}
    </Page>
  );
}

export default IdentityScreen;
