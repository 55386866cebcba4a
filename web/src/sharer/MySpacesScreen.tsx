import { Loading, Page, ProblemNotice } from "../ui/components";
import { useQuery } from "../ui/query";
import { href } from "../ui/router";
import { mySpaces } from "./api";

export const STATUS: Record<string, string> = { pending: "Waiting for review", approved: "Approved", rejected: "Rejected" };

export function MySpacesScreen() {
  const list = useQuery("my-spaces", mySpaces);
  return (
    <Page title="My spaces" actions={<a class="button button--small" href={href("/my-spaces/new")}>Add a space</a>}>
      <p class="links-inline"><a href={href("/sharer/bookings")}>Bookings on my spaces</a> · <a href={href("/earnings")}>Earnings</a></p>
      {list.status === "loading" && !list.data && <Loading label="Loading your spaces…" />}
      <ProblemNotice problem={list.problem} retry={list.retry} />
      {list.data && list.data.items.length === 0 && <p>You have not registered a space yet. <a href={href("/my-spaces/new")}>Add your first space</a></p>}
      <ul class="cards">
        {list.data?.items.map((s) => (
          <li key={s.space_id} class="card">
            <h2><a href={href(`/my-spaces/${encodeURIComponent(s.space_id)}`)}>{s.title}</a></h2>
            <p class="muted">{s.address}</p>
            <p>Status: {STATUS[s.status] ?? s.status}{s.reject_reason ? ` (${s.reject_reason})` : ""}
              {s.status === "pending" && !s.document ? " · ownership document missing" : ""}
              {s.status === "approved" ? ` · ${s.windows.length ? `${s.windows.length} ${s.windows.length === 1 ? "window" : "windows"}` : "not offered yet"}` : ""}</p>
          </li>
        ))}
      </ul>
    </Page>
  );
}

export default MySpacesScreen;
