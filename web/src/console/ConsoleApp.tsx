// The car-park console: desktop-first, for staff beside the barrier. For now a signed-in shell; its screens
// (live view, gate actions, transactions, reports, members, devices) build on this frame (issue 14).
import { me } from "../auth/api";
import { endSession, useSession } from "../auth/session";
import { SignInScreen } from "../auth/SignInScreen";
import { Loading, Page, ProblemNotice } from "../ui/components";
import { OfflineBanner, UpdateBanner } from "../ui/connection";
import { useQuery } from "../ui/query";

function Shell() {
  const session = useSession();
  const profile = useQuery(session ? `me:${session.email}` : null, me);
  return (
    <div class="console">
      <header class="topbar topbar--console">
        <span class="brand">CarParker console</span>
        <p class="who">{profile.data ? `${profile.data.display_name} (${profile.data.email})` : session?.email}</p>
        <button type="button" class="button button--link" onClick={() => endSession()}>Sign out</button>
      </header>
      <main id="main" tabIndex={-1} class="console-main">
        <Page title="Your car parks">
          {profile.status === "loading" && <Loading label="Loading your account…" />}
          <ProblemNotice problem={profile.problem} retry={profile.retry} />
          {profile.data && (
            <p>
              Signed in as {profile.data.display_name}
              {profile.data.groups.length ? ` (${profile.data.groups.join(", ")})` : ""}. The live view, gate actions, transactions,
              reports, members and devices open here.
            </p>
          )}
        </Page>
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
