// The ownership document: picked here, PUT straight to storage with progress (and a retry that keeps the file), then
// checked by the API.
import { useState } from "preact/hooks";
import { problemOf, type Problem } from "../api/errors";
import type { Space } from "../spaces/api";
import { FileField, Notice, Progress, ProblemNotice } from "../ui/components";
import { bytes, putToStorage } from "../ui/upload";
import { completeDocument, DOCUMENT_TYPES, type DocumentType, documentLink, documentTicket, MAX_DOCUMENT_BYTES } from "./api";

export function DocumentLink({ spaceId }: { spaceId: string }) {
  const [url, setUrl] = useState<string | null>(null);
  const [problem, setProblem] = useState<Problem | undefined>();
  if (url) return <a href={url} target="_blank" rel="noopener">Open the ownership document</a>;
  return (
    <div class="stack">
      <button type="button" class="button button--secondary" onClick={async () => {
        try {
          setUrl((await documentLink(spaceId)).url);
        } catch (error) {
          setProblem(problemOf(error));
        }
      }}>Get a link to the document</button>
      <ProblemNotice problem={problem} />
    </div>
  );
}

export function DocumentUpload({ space, onDone }: { space: Space; onDone: (s: Space) => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [problem, setProblem] = useState<Problem | undefined>();
  const [local, setLocal] = useState<string | undefined>();
  const doc = space.document;

  const send = async (f: File) => {
    setProblem(undefined);
    setProgress(0);
    try {
      const ticket = await documentTicket(space.space_id, f.type as DocumentType, f.size);
      await putToStorage(ticket, f, setProgress);
      onDone(await completeDocument(space.space_id));
      setFile(null);
    } catch (error) {
      setProblem(problemOf(error));
    } finally {
      setProgress(null);
    }
  };
  const pick = (f: File) => {
    if (!DOCUMENT_TYPES.includes(f.type as DocumentType)) return setLocal("Choose a PDF, JPEG or PNG file.");
    if (f.size > MAX_DOCUMENT_BYTES) return setLocal(`The file is ${bytes(f.size)}; the limit is 10 MB.`);
    setLocal(undefined);
    setFile(f);
    void send(f);
  };
  return (
    <section class="panel" aria-labelledby="document-title">
      <h2 id="document-title">Proof of ownership</h2>
      {doc?.status === "uploaded" ? (
        <Notice kind="success"><p>Document uploaded ({bytes(doc.size)}). It is waiting for review.</p></Notice>
      ) : (
        <p>Upload a title deed, a lease or a letter from the car park that shows the space is yours to share. Only our reviewers see it.</p>
      )}
      <FileField label={doc?.status === "uploaded" ? "Replace the ownership document" : "Choose the ownership document"} accept="application/pdf,image/jpeg,image/png"
        hint="PDF, JPEG or PNG, up to 10 MB." onFile={pick} error={local ?? (problem?.kind === "refused" && problem.field === "document" ? problem.message : undefined)}
        disabled={progress !== null} />
      {progress !== null && file && <Progress label={`Uploading ${file.name}`} fraction={progress} />}
      <ProblemNotice problem={problem} retry={file ? () => void send(file) : undefined} fields={["document"]} />
      {problem && file && problem.kind !== "network" && <button type="button" class="button button--secondary" onClick={() => void send(file)}>Try the upload again</button>}
      {doc?.status === "uploaded" && <DocumentLink spaceId={space.space_id} />}
    </section>
  );
}
