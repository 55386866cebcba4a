import { pendingSpaces } from "../spaces/api";
import { Loading, Page, ProblemNotice } from "../ui/components";
import { instantText } from "../ui/format";
import { useQuery } from "../ui/query";

/** The platform reviewers' queue: spaces waiting for review, with their ownership document's state. */
export function ReviewScreen() {
  const list = useQuery("admin:pending", pendingSpaces);
  return (
    <Page title="Spaces to review">
      {list.status === "loading" && !list.data && <Loading label="Loading the queue…" />}
      <ProblemNotice problem={list.problem} retry={list.retry} />
      {list.data && list.data.spaces.length === 0 && <p>Nothing waits for review.</p>}
      <ul class="cards">
        {list.data?.spaces.map((s) => (
          <li key={s.space_id} class="card">
            <h2>{s.title}</h2>
            <p class="muted">{s.address}</p>
            <p>Registered {instantText(s.created_at, s.timezone)} · document: {s.document ? s.document.status : "none yet"}</p>
          </li>
        ))}
      </ul>
    </Page>
  );
}
