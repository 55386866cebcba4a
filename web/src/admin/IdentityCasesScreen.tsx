import { useConfig } from "../config/context";
import { Loading, Page, ProblemNotice } from "../ui/components";
import { instantText } from "../ui/format";
import { useQuery } from "../ui/query";
import { href } from "../ui/router";
import { openCases } from "./api";
import { AdminTabs } from "./ReviewScreen";

export function IdentityCasesScreen() {
  const zone = useConfig().timeZone;
  const list = useQuery("admin:cases", openCases);
  return (
    <Page title="Identity cases">
      <AdminTabs current="identity" />
      {list.status === "loading" && !list.data && <Loading label="Loading the cases…" />}
      <ProblemNotice problem={list.problem} retry={list.retry} />
      {list.data && list.data.items.length === 0 && <p>No case is open for review.</p>}
      <ul class="cards">
        {list.data?.items.map((c) => (
          <li key={c.case_id} class="card">
            <h2><a href={href(`/admin/identity/${encodeURIComponent(c.user_id)}`)}>Case opened {c.opened_at ? instantText(c.opened_at, zone) : ""}</a></h2>
            <p class="muted">{c.documents.length} documents · user {c.user_id}</p>
          </li>
        ))}
      </ul>
    </Page>
  );
}

export default IdentityCasesScreen;
