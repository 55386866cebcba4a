// One identity case. Its documents open only while the case is open (the API enforces it and records every view on
// the ledger); deciding ends the reviewer's access, and the images leave this page.
import { useState } from "preact/hooks";
import { type Problem, problemOf } from "../api/errors";
import { Notice, Page, ProblemNotice } from "../ui/components";
import { href } from "../ui/router";
import { caseDocument, decideCase, type IdentityCase, type Side } from "./api";
import { Decision } from "./Decision";

const SIDES: [Side, string][] = [["front", "Front"], ["back", "Back"], ["selfie", "Selfie"]];

function DocumentView({ userId, side, label }: { userId: string; side: Side; label: string }) {
  const [src, setSrc] = useState<string | null>(null);
  const [problem, setProblem] = useState<Problem | undefined>();
  const [entry, setEntry] = useState<string | null>(null);
  const show = async () => {
    setProblem(undefined);
    try {
      const doc = await caseDocument(userId, side);
      setSrc(`data:${doc.content_type};base64,${doc.data}`);
      setEntry(doc.retrieve_entry);
    } catch (error) {
      setProblem(problemOf(error));
    }
  };
  return (
    <li class="card">
      <h3>{label}</h3>
      {src ? <img class="id-image" src={src} alt={`${label} of the ID document`} /> : <button type="button" class="button button--secondary" onClick={() => void show()}>Show the {label.toLowerCase()}</button>}
      {entry && <p class="muted">This view is recorded on the ledger ({entry}).</p>}
      <ProblemNotice problem={problem} />
    </li>
  );
}

export function IdentityCaseScreen({ userId }: { userId: string }) {
  const [decided, setDecided] = useState<IdentityCase | null>(null);
  const [round, setRound] = useState(0);
  return (
    <Page title="Identity case" actions={<a class="back" href={href("/admin/identity")}>All cases</a>}>
      <p>Check that the three images show one person and one valid document. Each time you open an image, the view is
        recorded on the ledger; once you decide, the images can no longer be opened.</p>
      <ul class="cards id-docs" key={round}>
        {SIDES.map(([side, label]) => <DocumentView key={side} userId={userId} side={side} label={label} />)}
      </ul>
      {!decided && <Decision what="this identity" decide={(approve, reason) => decideCase(userId, approve, reason)}
        onDecided={(c) => { setDecided(c); setRound((r) => r + 1); }} />}
      {decided && <Notice kind="success"><p>{decided.status === "approved" ? "Approved." : `Rejected: ${decided.reason}`} The case is closed to review.</p></Notice>}
    </Page>
  );
}

export default IdentityCaseScreen;
