// Approve, or reject with a reason the person will read.
import { useState } from "preact/hooks";
import { fieldError } from "../api/errors";
import { ProblemNotice, TextArea } from "../ui/components";
import { useMutation } from "../ui/query";

export function Decision<T>({ what, decide, onDecided }: { what: string; decide: (approve: boolean, reason: string) => Promise<T>; onDecided: (t: T, approved: boolean) => void }) {
  const [rejecting, setRejecting] = useState(false);
  const [reason, setReason] = useState("");
  const [local, setLocal] = useState<string | undefined>();
  const go = useMutation(({ approve }: { approve: boolean }) => decide(approve, reason.trim()));
  const run = async (approve: boolean) => {
    if (!approve && !reason.trim()) return setLocal("Say why, so they can put it right.");
    setLocal(undefined);
    const done = await go.submit({ approve });
    if (done.ok) onDecided(done.data, approve);
  };
  return (
    <div class="panel stack" role="group" aria-label={`Decide on ${what}`}>
      {rejecting && <TextArea label="Reason for rejecting" value={reason} onValue={setReason} maxLength={500} error={local ?? fieldError(go.problem, "reason")} />}
      <ProblemNotice problem={go.problem} retry={() => void run(!rejecting)} fields={["reason"]} />
      <div class="actions">
        {!rejecting && <button type="button" class="button" disabled={go.status === "pending"} onClick={() => void run(true)}>Approve</button>}
        {!rejecting && <button type="button" class="button button--secondary" onClick={() => setRejecting(true)}>Reject…</button>}
        {rejecting && <button type="button" class="button button--danger" disabled={go.status === "pending"} onClick={() => void run(false)}>Reject with this reason</button>}
        {rejecting && <button type="button" class="button button--secondary" onClick={() => setRejecting(false)}>Back</button>}
      </div>
    </div>
  );
}
