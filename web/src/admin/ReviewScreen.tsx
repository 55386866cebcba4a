import { Loading, Page, ProblemNotice } from "../ui/components";
import { instantText } from "../ui/format";
import { useQuery } from "../ui/query";
import { href } from "../ui/router";
import { pendingSpaces } from "./api";

export function AdminTabs({ current }: { current: "spaces" | "identity" }) {
  return (
    <nav aria-label="Review" class="tabs">
      <a href={href("/admin")} aria-current={current === "spaces" ? "page" : undefined}>Spaces</a>
      <a href={href("/admin/identity")} aria-current={current === "identity" ? "page" : undefined}>Identity cases</a>
    </nav>
  );
}

/** The platform reviewers' queue: spaces waiting for review, with their ownership document's state. */
export function ReviewScreen() {
  const list = useQuery("admin:pending", pendingSpaces);
  return (
    <Page title="Spaces to review">
      <AdminTabs current="spaces" />
      {list.status === "loading" && !list.data && <Loading label="Loading the queue…" />}
      <ProblemNotice problem={list.problem} retry={list.retry} />
      {list.data && list.data.items.length === 0 && <p>Nothing waits for review.</p>}
      <ul class="cards">
        {list.data?.items.map((s) => (
          <li key={s.space_id} class="card">
            <h2><a href={href(`/admin/spaces/${encodeURIComponent(s.space_id)}`)}>{s.title}</a></h2>
            <p class="muted">{s.address}</p>
            <p>Registered {instantText(s.created_at, s.timezone)} · document: {s.document ? s.document.status : "none yet"}</p>
          </li>
        ))}
      </ul>
    </Page>
  );
}

export default ReviewScreen;
