// Guided capture of the four required views of the parked car (front, rear, left, right), with the phone's camera
// (a `capture` file input), uploaded straight to storage with progress and a retry per photo, then recorded.
import { useEffect, useMemo, useState } from "preact/hooks";
import { fieldError, type Problem, problemOf } from "../api/errors";
import { FileField, Loading, Notice, Page, Progress, ProblemNotice } from "../ui/components";
import { newKey } from "../ui/keys";
import { useQuery } from "../ui/query";
import { href } from "../ui/router";
import { bytes, putToStorage, sha256Hex } from "../ui/upload";
import { completeSet, photoSets, type PhotoPhase, requestUploads, type Ticket, type View, VIEWS } from "./api";

const HOW: Record<View, string> = {
  front: "Stand a few steps in front of the car: the whole front and its number plate in the picture.",
  rear: "Now from behind: the whole back and its number plate.",
  left: "The left side (the driver's side in most of Europe), from front wheel to back wheel.",
  right: "The right side, from front wheel to back wheel.",
};
const TITLE: Record<View, string> = { front: "Front", rear: "Rear", left: "Left side", right: "Right side" };

type Status = "waiting" | "uploading" | "uploaded" | "failed";
interface Shot { file: File; preview: string; status: Status; progress: number }

function useShots() {
  const [shots, setShots] = useState<Partial<Record<View, Shot>>>({});
  useEffect(() => () => Object.values(shots).forEach((s) => s && URL.revokeObjectURL(s.preview)), []);
  const take = (view: View, file: File) => setShots((all) => {
    const old = all[view];
    if (old) URL.revokeObjectURL(old.preview);
    return { ...all, [view]: { file, preview: URL.createObjectURL(file), status: "waiting", progress: 0 } };
  });
  const update = (view: View, change: Partial<Shot>) => setShots((all) => {
    const s = all[view];
    return s ? { ...all, [view]: { ...s, ...change } } : all;
  });
  return { shots, take, update };
}

function Step({ view, index, shot, onFile, error, busy }: {
  view: View; index: number; shot: Shot | undefined; onFile: (f: File) => void; error: string | undefined; busy: boolean;
}) {
  return (
    <li class={`step${shot ? " step--done" : ""}`} aria-labelledby={`step-${view}`}>
      <h2 id={`step-${view}`}>Step {index + 1} of 4: {TITLE[view]}</h2>
      <p class="hint">{HOW[view]}</p>
      {shot && (
        <div class="shot">
          <img src={shot.preview} alt={`Your ${TITLE[view].toLowerCase()} photo`} width={120} height={90} />
          <div>
            <p>{shot.status === "uploaded" ? "Uploaded" : shot.status === "failed" ? "Not uploaded yet" : "Taken"} · {bytes(shot.file.size)}</p>
            {shot.status === "uploading" && <Progress label={`Uploading the ${TITLE[view].toLowerCase()} photo`} fraction={shot.progress} />}
          </div>
        </div>
      )}
      <FileField label={shot ? `Retake the ${TITLE[view].toLowerCase()} photo` : `Take the ${TITLE[view].toLowerCase()} photo`}
        accept="image/jpeg" capture="environment" onFile={onFile} error={error} disabled={busy} />
    </li>
  );
}

export function PhotosScreen({ orderId, phase }: { orderId: string; phase: PhotoPhase }) {
  const sets = useQuery(`photos:${orderId}`, (signal) => photoSets(orderId, signal));
  const { shots, take, update } = useShots();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | undefined>();
  const [local, setLocal] = useState<Partial<Record<View, string>>>({});
  const [recorded, setRecorded] = useState<number | null>(null);
  const completeKey = useMemo(newKey, [orderId, phase]);
  const taken = VIEWS.filter((v) => shots[v]).length;
  const already = sets.data?.find((s) => s.phase === phase && s.status === "recorded");
  const back = href(`/bookings/${encodeURIComponent(orderId)}`);

  const pick = (view: View, file: File) => {
    setProblem(undefined);
    if (file.type && file.type !== "image/jpeg") {
      setLocal((l) => ({ ...l, [view]: "This is not a JPEG photo. Take it with the camera (or choose the camera's JPEG file)." }));
      return;
    }
    setLocal((l) => ({ ...l, [view]: undefined }));
    take(view, file);
  };

  const uploadAll = async (tickets: Ticket[]) => {
    let failed = false;
    for (const ticket of tickets) {
      const view = ticket.view as View;
      const shot = shots[view];
      if (!shot || shot.status === "uploaded") continue;
      update(view, { status: "uploading", progress: 0 });
      try {
        await putToStorage(ticket, shot.file, (progress) => update(view, { progress }));
        update(view, { status: "uploaded", progress: 1 });
      } catch (error) {
        update(view, { status: "failed" });
        failed = true;
        setProblem(problemOf(error));
      }
    }
    return !failed;
  };

  const send = async () => {
    setBusy(true);
    setProblem(undefined);
    try {
      const declared = await Promise.all(VIEWS.map(async (view) => {
        const file = shots[view]?.file as File;
        return { view, sha256: await sha256Hex(file), size: file.size };
      }));
      const tickets = await requestUploads(orderId, phase, declared); // fresh URLs each attempt (they expire)
      if (!(await uploadAll(tickets))) return;
      const done = await completeSet(orderId, phase, completeKey);
      setRecorded(done.photos.length);
      sets.retry();
    } catch (error) {
      setProblem(problemOf(error));
      VIEWS.forEach((v) => shots[v]?.status === "uploading" && update(v, { status: "failed" }));
    } finally {
      setBusy(false);
    }
  };

  const title = phase === "arrival" ? "Arrival photos" : "Departure photos";
  if (sets.status === "loading" && !sets.data) return <Page title={title}><Loading label="Loading…" /></Page>;
  if (sets.problem?.kind === "refused") {
    // not this person's order, or no such order: nothing to photograph here
    return <Page title={title} actions={<a class="back" href={back}>Back to the booking</a>}><ProblemNotice problem={sets.problem} /></Page>;
  }
  if (recorded !== null || already) {
    return (
      <Page title={title}>
        <Notice kind="success">
          <p>{recorded ?? already?.photos.length} photos are recorded on the ledger: proof of the car's condition {phase === "arrival" ? "when you parked" : "when you left"}.</p>
        </Notice>
        <p><a class="button" href={back}>Back to the booking</a></p>
      </Page>
    );
  }
  const failedAny = VIEWS.some((v) => shots[v]?.status === "failed");
  return (
    <Page title={title} actions={<a class="back" href={back}>Back to the booking</a>}>
      <p>Photograph the parked car from all four sides {phase === "arrival" ? "now that you have parked" : "before you drive off"}. Each photo is checked for the time your camera took it, so take them here and now.</p>
      <ProblemNotice problem={sets.problem} retry={sets.retry} />
      <p class="progress-text" role="status">{taken} of 4 photos taken</p>
      <ol class="steps">
        {VIEWS.map((view, i) => (
          <Step key={view} view={view} index={i} shot={shots[view]} busy={busy} onFile={(f) => pick(view, f)}
            error={local[view] ?? fieldError(problem, `photos.${view}`)} />
        ))}
      </ol>
      <ProblemNotice problem={problem} fields={VIEWS.map((v) => `photos.${v}`)} />
      <button type="button" class="button" disabled={busy || taken < 4} onClick={() => void send()}>
        {busy ? "Uploading…" : failedAny ? "Try the upload again" : taken < 4 ? `Take ${4 - taken} more ${4 - taken === 1 ? "photo" : "photos"}` : "Upload the 4 photos"}
      </button>
    </Page>
  );
}

export default PhotosScreen;
