import { myNotifications } from "../auth/api";
import { useConfig } from "../config/context";
import { Loading, Page, ProblemNotice } from "../ui/components";
import { instantText } from "../ui/format";
import { useQuery } from "../ui/query";
import { href } from "../ui/router";

export function NotificationsScreen() {
  const zone = useConfig().timeZone;
  const feed = useQuery("notifications", myNotifications);
  return (
    <Page title="Notifications">
      {feed.status === "loading" && !feed.data && <Loading label="Loading your notifications…" />}
      <ProblemNotice problem={feed.problem} retry={feed.retry} />
      {feed.data && feed.data.length === 0 && <p>Nothing yet. Bookings, payments and payouts are announced here.</p>}
      <ul class="cards">
        {feed.data?.map((n) => (
          <li key={n.notification_id} class="card">
            <h2>{n.title}</h2>
            <p>{n.body}</p>
            <p class="muted">{instantText(n.created_at, zone)}
              {n.reservation_id && <> · <a href={href(`/bookings/${encodeURIComponent(n.reservation_id)}`)}>The booking</a></>}</p>
          </li>
        ))}
      </ul>
    </Page>
  );
}

export default NotificationsScreen;
