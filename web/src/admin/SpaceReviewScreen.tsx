// One space under review: what the sharer registered, where, the ownership document; approve or reject with a reason.
import { useState } from "preact/hooks";
import { MapView } from "../map/MapView";
import { attributeNames } from "../search/ResultList";
import { DocumentLink } from "../sharer/DocumentUpload";
import { getSpace, type Space } from "../spaces/api";
import { Loading, Notice, Page, ProblemNotice } from "../ui/components";
import { bytes } from "../ui/upload";
import { useQuery } from "../ui/query";
import { href } from "../ui/router";
import { approveSpace, rejectSpace } from "./api";
import { Decision } from "./Decision";

export function SpaceReviewScreen({ spaceId }: { spaceId: string }) {
  const found = useQuery(`space:${spaceId}`, (signal) => getSpace(spaceId, signal));
  const [decided, setDecided] = useState<Space | null>(null);
  const s = decided ?? found.data;
  return (
    <Page title={s ? `Review: ${s.title}` : "Review"} actions={<a class="back" href={href("/admin")}>The queue</a>}>
      {found.status === "loading" && !s && <Loading label="Loading the space…" />}
      <ProblemNotice problem={found.problem} retry={found.retry} />
      {s && (
        <div class="detail">
          <p>{s.address}{s.lot ? ` · lot ${s.lot}` : ""}</p>
          <ul class="tags">{attributeNames(s.attributes).map((a) => <li key={a}>{a}</li>)}<li>Fits a {String(s.attributes.vehicle_size ?? "medium")} car</li></ul>
          <h2>Ownership document</h2>
          {s.document?.status === "uploaded"
            ? <><p>{s.document.content_type === "application/pdf" ? "PDF" : s.document.content_type}, {bytes(s.document.size)}</p><DocumentLink spaceId={s.space_id} /></>
            : <p>No document uploaded yet: the space cannot be approved until there is one.</p>}
          <h2>Where it is</h2>
          <MapView label={`Map: where ${s.title} is`} center={[s.lat, s.lng]} centerLabel={s.title} pins={[]} />
          {s.status === "pending" && !decided && (
            <Decision what={s.title} decide={(approve, reason) => (approve ? approveSpace(s.space_id) : rejectSpace(s.space_id, reason))}
              onDecided={(space) => setDecided(space)} />
          )}
          {decided && <Notice kind="success"><p>{decided.status === "approved" ? "Approved: the sharer can now offer it." : `Rejected: ${decided.reject_reason}`}</p></Notice>}
          {!decided && s.status !== "pending" && <p>Already {s.status}.</p>}
        </div>
      )}
    </Page>
  );
}

export default SpaceReviewScreen;
