import { mySpaces } from "../spaces/api";
import { Loading, Page, ProblemNotice } from "../ui/components";
import { useQuery } from "../ui/query";

const STATUS: Record<string, string> = { pending: "Waiting for review", approved: "Approved", rejected: "Rejected" };

export function MySpacesScreen() {
  const list = useQuery("my-spaces", mySpaces);
  return (
    <Page title="My spaces">
      {list.status === "loading" && !list.data && <Loading label="Loading your spaces…" />}
      <ProblemNotice problem={list.problem} retry={list.retry} />
      {list.data && list.data.spaces.length === 0 && <p>You have not registered a space yet.</p>}
      <ul class="cards">
        {list.data?.spaces.map((s) => (
          <li key={s.space_id} class="card">
            <h2>{s.title}</h2>
            <p class="muted">{s.address}</p>
            <p>Status: {STATUS[s.status] ?? s.status}{s.reject_reason ? ` (${s.reject_reason})` : ""}</p>
          </li>
        ))}
      </ul>
    </Page>
  );
}
