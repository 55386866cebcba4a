// The parker and sharer app: routes, the header, and who may see what.
import { useEffect } from "preact/hooks";
import { ReviewScreen } from "../admin/ReviewScreen";
import { me } from "../auth/api";
import { endSession, useSession } from "../auth/session";
import { SignInScreen } from "../auth/SignInScreen";
import { SignUpScreen } from "../auth/SignUpScreen";
import { SearchScreen } from "../search/SearchScreen";
import { MySpacesScreen } from "../sharer/MySpacesScreen";
import { SpaceScreen } from "../spaces/SpaceScreen";
import { OfflineBanner, UpdateBanner } from "../ui/connection";
import { useQuery } from "../ui/query";
import { href, match, navigate, useLocation } from "../ui/router";

const PUBLIC = new Set(["/signin", "/signup"]);

function Header({ path }: { path: string }) {
  const session = useSession();
  const profile = useQuery(session ? `me:${session.email}` : null, me);
  const roles = profile.data?.roles ?? [];
  const link = (to: string, text: string) => (
    <li><a href={href(to)} aria-current={path === to ? "page" : undefined}>{text}</a></li>
  );
  return (
    <header class="topbar">
      <a class="brand" href={href("/")}>CarParker</a>
      {session && (
        <nav aria-label="Main">
          <ul>
            {link("/", "Search")}
            {roles.includes("sharer") && link("/my-spaces", "My spaces")}
            {session.groups.includes("admin") && link("/admin", "Review")}
            <li><button type="button" class="button button--link" onClick={() => { endSession(); navigate("/signin"); }}>Sign out</button></li>
          </ul>
        </nav>
      )}
    </header>
  );
}

function Screen({ path, params }: { path: string; params: URLSearchParams }) {
  const done = () => navigate(params.get("next") ?? "/", undefined, true);
  if (path === "/signin") {
    return <SignInScreen onSignedIn={done} note={params.get("created") ? "Your account is ready. Sign in once you have confirmed your email." : undefined} />;
  }
  if (path === "/signup") return <SignUpScreen onSignedIn={done} />;
  const space = match("/spaces/:id", path);
  if (space?.id) return <SpaceScreen spaceId={space.id} searchParams={params.get("search") ?? ""} />;
  if (path === "/my-spaces") return <MySpacesScreen />;
  if (path === "/admin") return <ReviewScreen />;
  return <SearchScreen key="search" />;
}

export function App() {
  const { path, params } = useLocation();
  const session = useSession();
  const mustSignIn = !session && !PUBLIC.has(path);
  useEffect(() => {
    if (mustSignIn) navigate("/signin", { next: path === "/" ? undefined : path }, true);
    else if (session && PUBLIC.has(path)) navigate("/", undefined, true);
  }, [mustSignIn, session, path]);
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById("main")?.focus(); }}>Skip to content</a>
      <OfflineBanner />
      <UpdateBanner />
      <Header path={path} />
      <main id="main" tabIndex={-1}>
        {!mustSignIn && <Screen path={path} params={params} />}
      </main>
    </>
  );
}
