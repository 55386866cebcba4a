// The car-park console: desktop-first, for staff beside the barrier (usable on a tablet). Sign in, pick a car park
// (or accept an invitation), then its screens: live view, transactions, report, members, lists, alerts, devices,
// staff, settings, audit. Owners see everything; staff do the day-to-day work (docs/console.md).
import { me } from "../auth/api";
import { endSession, useSession } from "../auth/session";
import { SignInScreen } from "../auth/SignInScreen";
import { Loading, Page, ProblemNotice } from "../ui/components";
import { OfflineBanner, UpdateBanner } from "../ui/connection";
import { lazy } from "../ui/lazy";
import { useMutation, useQuery } from "../ui/query";
import { href, match, useLocation } from "../ui/router";
import * as c from "./api";
import { today } from "./kit";
import { LiveScreen } from "./LiveScreen";
import "./console.css";

const TransactionsScreen = lazy(() => import("./MoneyScreens").then((m) => m.TransactionsScreen), "Loading transactions…");
const ReportScreen = lazy(() => import("./ReportScreen").then((m) => m.ReportScreen), "Loading the report…");
const MembersScreen = lazy(() => import("./PeopleScreens").then((m) => m.MembersScreen), "Loading members…");
const ListsScreen = lazy(() => import("./PeopleScreens").then((m) => m.ListsScreen), "Loading lists…");
const AlertsScreen = lazy(() => import("./PeopleScreens").then((m) => m.AlertsScreen), "Loading alerts…");
const AuditScreen = lazy(() => import("./PeopleScreens").then((m) => m.AuditScreen), "Loading the audit trail…");
const DevicesScreen = lazy(() => import("./ManageScreens").then((m) => m.DevicesScreen), "Loading devices…");
const StaffScreen = lazy(() => import("./ManageScreens").then((m) => m.StaffScreen), "Loading staff…");
const SettingsScreen = lazy(() => import("./ManageScreens").then((m) => m.SettingsScreen), "Loading settings…");

const SCREENS = [
  ["live", "Live"], ["transactions", "Transactions"], ["report", "Report"], ["members", "Members"], ["lists", "Lists"],
  ["alerts", "Alerts"], ["devices", "Devices"], ["staff", "Staff"], ["settings", "Tariff"], ["audit", "Audit"],
] as const;
const OWNERS_ONLY = new Set(["staff", "audit"]);

function Home() {
  const parks = useQuery("console:carparks", c.myCarParks);
  const invites = useQuery("console:invitations", c.myInvitations);
  const answer = useMutation(({ id, yes }: { id: string; yes: boolean }) => c.answerInvitation(id, yes));
  const decide = async (id: string, yes: boolean) => {
    if ((await answer.submit({ id, yes })).ok) {
      invites.retry();
      parks.retry();
    }
  };
  return (
    <Page title="Your car parks">
      <ProblemNotice problem={parks.problem ?? invites.problem ?? answer.problem} retry={parks.retry} />
      {(invites.data ?? []).length > 0 && (
        <section class="panel" aria-labelledby="invitations">
          <h2 id="invitations">Invitations</h2>
          <ul class="cards">
            {(invites.data ?? []).map((i) => (
              <li key={i.carpark_id} class="card">
                <h3>{i.carpark_name}</h3>
                <p>{i.carpark_address}: you are invited as {i.role}.</p>
                <div class="actions">
                  <button type="button" class="button" onClick={() => void decide(i.carpark_id, true)}>Accept<span class="sr-only"> {i.carpark_name}</span></button>
                  <button type="button" class="button button--secondary" onClick={() => void decide(i.carpark_id, false)}>Decline<span class="sr-only"> {i.carpark_name}</span></button>
                </div>
              </li>
            ))}
          </ul>
        </section>
      )}
      {parks.status === "loading" && !parks.data && <Loading label="Loading your car parks…" />}
      {parks.data && parks.data.length === 0 && <p>You do not work at any car park yet. An owner can invite you.</p>}
      <ul class="cards">
        {(parks.data ?? []).map((p) => (
          <li key={p.carpark.carpark_id} class="card">
            <h2><a href={href(`/cp/${p.carpark.carpark_id}/live`)}>{p.carpark.name}</a></h2>
            <p>{p.carpark.address} · you are {p.role}</p>
          </li>
        ))}
      </ul>
    </Page>
  );
}

function CarParkScreens({ cp, screen }: { cp: string; screen: string }) {
  const parks = useQuery("console:carparks", c.myCarParks);
  const mine = parks.data?.find((p) => p.carpark.carpark_id === cp);
  const profile = useQuery("console:me", me);
  const admin = profile.data?.groups.includes("admin") ?? false;
  if (!mine && !admin) {
    return parks.data ? <Page title="Not found"><p>No such car park of yours. <a href={href("/")}>Your car parks</a></p></Page>
      : <Loading label="Loading…" />;
  }
  const owner = admin || mine?.role === "owner";
  const zone = mine?.carpark.timezone ?? "Europe/Amsterdam";
  const day = today(zone);
  const props = { cp, zone };
  return (
    <>
      <nav class="console-nav" aria-label="Car park">
        <p class="console-park">{mine?.carpark.name ?? cp}</p>
        <ul>
          {SCREENS.filter(([id]) => owner || !OWNERS_ONLY.has(id)).map(([id, label]) => (
            <li key={id}><a href={href(`/cp/${cp}/${id}`)} aria-current={screen === id ? "page" : undefined}>{label}</a></li>
          ))}
        </ul>
      </nav>
      <div class="console-body">
        {screen === "live" && <LiveScreen {...props} />}
        {screen === "transactions" && <TransactionsScreen {...props} today={day} />}
        {screen === "report" && <ReportScreen cp={cp} today={day} />}
        {screen === "members" && <MembersScreen {...props} />}
        {screen === "lists" && <ListsScreen cp={cp} />}
        {screen === "alerts" && <AlertsScreen {...props} />}
        {screen === "devices" && <DevicesScreen {...props} owner={owner} />}
        {screen === "staff" && owner && <StaffScreen cp={cp} />}
        {screen === "settings" && <SettingsScreen cp={cp} owner={owner} />}
        {screen === "audit" && owner && <AuditScreen {...props} />}
      </div>
    </>
  );
}

function Shell() {
  const session = useSession();
  const profile = useQuery(session ? `me:${session.email}` : null, me);
  const location = useLocation();
  const at = match("/cp/:cp/:screen", location.path);
  return (
    <div class="console">
      <header class="topbar topbar--console no-print">
        <a class="brand" href={href("/")}>CarParker console</a>
        <p class="who">{profile.data ? `${profile.data.display_name} (${profile.data.email})` : session?.email}</p>
        <button type="button" class="button button--link" onClick={() => endSession()}>Sign out</button>
      </header>
      <main id="main" tabIndex={-1} class={`console-main${at ? " console-main--park" : ""}`}>
        {at ? <CarParkScreens cp={at.cp ?? ""} screen={at.screen ?? "live"} /> : <Home />}
      </main>
    </div>
  );
}

export function ConsoleApp() {
  const session = useSession();
  return (
    <>
      <OfflineBanner />
      <UpdateBanner />
      {session ? <Shell /> : (
        <main id="main" tabIndex={-1} class="console-signin">
          <SignInScreen title="Sign in to the console" signUpLink={false} onSignedIn={() => undefined} />
        </main>
      )}
    </>
  );
}
