// The parker and sharer app: routes, the header and tab bar, and who may see what. Sign-in and search are in the
// first load; every other screen loads on demand (ui/lazy.tsx).
import { useEffect } from "preact/hooks";
import { me } from "../auth/api";
import { useSession } from "../auth/session";
import { SignInScreen } from "../auth/SignInScreen";
import { SignUpScreen } from "../auth/SignUpScreen";
import { SearchScreen } from "../search/SearchScreen";
import { OfflineBanner, UpdateBanner } from "../ui/connection";
import { lazy } from "../ui/lazy";
import { useQuery } from "../ui/query";
import { href, match, navigate, useLocation } from "../ui/router";

const PUBLIC = new Set(["/signin", "/signup"]);

const Space = lazy(() => import("../spaces/SpaceScreen").then((m) => m.default), "the space");
const Bookings = lazy(() => import("../bookings/BookingsScreen").then((m) => m.default), "your bookings");
const Booking = lazy(() => import("../bookings/BookingScreen").then((m) => m.default), "the booking");
const Photos = lazy(() => import("../photos/PhotosScreen").then((m) => m.default), "the camera");
const Claim = lazy(() => import("../evidence/ClaimScreen").then((m) => m.default), "the claim");
const Account = lazy(() => import("../account/AccountScreen").then((m) => m.default), "your account");
const Payment = lazy(() => import("../payments/PaymentScreen").then((m) => m.default), "the payment method");
const Identity = lazy(() => import("../identity/IdentityScreen").then((m) => m.default), "identity verification");
const Notifications = lazy(() => import("../account/NotificationsScreen").then((m) => m.default), "your notifications");
const CloseAccount = lazy(() => import("../account/CloseAccountScreen").then((m) => m.default), "closing the account");
const MySpaces = lazy(() => import("../sharer/MySpacesScreen").then((m) => m.default), "your spaces");
const NewSpace = lazy(() => import("../sharer/NewSpaceScreen").then((m) => m.default), "a new space");
const ManageSpace = lazy(() => import("../sharer/ManageSpaceScreen").then((m) => m.default), "your space");
const SharerBookings = lazy(() => import("../sharer/SharerBookingsScreen").then((m) => m.default), "bookings on your spaces");
const Earnings = lazy(() => import("../sharer/EarningsScreen").then((m) => m.default), "your earnings");
const Review = lazy(() => import("../admin/ReviewScreen").then((m) => m.default), "the review queue");
const SpaceReview = lazy(() => import("../admin/SpaceReviewScreen").then((m) => m.default), "the review");
const Cases = lazy(() => import("../admin/IdentityCasesScreen").then((m) => m.default), "identity cases");
const Case = lazy(() => import("../admin/IdentityCaseScreen").then((m) => m.default), "the identity case");

function Header() {
  const session = useSession();
  return (
    <header class="topbar">
      <a class="brand" href={href("/")}>CarParker</a>
      {session && <a class="topbar-link" href={href("/notifications")}>Notifications</a>}
    </header>
  );
}

function TabBar({ path }: { path: string }) {
  const session = useSession();
  const profile = useQuery(session ? `me:${session.email}` : null, me);
  if (!session) return null;
  const roles = profile.data?.roles ?? [];
  const section = (prefixes: string[]) => prefixes.some((p) => (p === "/" ? path === "/" || path.startsWith("/spaces/") : path.startsWith(p)));
  const tab = (to: string, text: string, prefixes: string[]) => (
    <li><a href={href(to)} aria-current={section(prefixes) ? "page" : undefined}>{text}</a></li>
  );
  return (
    <nav class="tabbar" aria-label="Main">
      <ul>
        {tab("/", "Search", ["/"])}
        {tab("/bookings", "Bookings", ["/bookings", "/claims"])}
        {roles.includes("sharer") && tab("/my-spaces", "My spaces", ["/my-spaces", "/sharer", "/earnings"])}
        {session.groups.includes("admin") && tab("/admin", "Review", ["/admin"])}
        {tab("/account", "Account", ["/account", "/notifications"])}
      </ul>
    </nav>
  );
}

function Screen({ path, params }: { path: string; params: URLSearchParams }) {
  const done = () => navigate(params.get("next") ?? "/", undefined, true);
  const m = (pattern: string) => match(pattern, path);
  if (path === "/signin") {
    return <SignInScreen onSignedIn={done} note={params.get("created") ? "Your account is ready. Sign in once you have confirmed your email." : undefined} />;
  }
  if (path === "/signup") return <SignUpScreen onSignedIn={done} />;
  let p: Record<string, string> | null;
  if ((p = m("/spaces/:id"))) return <Space spaceId={p.id ?? ""} searchParams={params.get("search") ?? ""} />;
  if (path === "/bookings") return <Bookings />;
  if ((p = m("/bookings/:id"))) return <Booking bookingId={p.id ?? ""} justBooked={params.has("booked")} />;
  if ((p = m("/bookings/:id/photos/:phase")) && (p.phase === "arrival" || p.phase === "departure")) return <Photos orderId={p.id ?? ""} phase={p.phase} />;
  if ((p = m("/claims/:id"))) return <Claim claimId={p.id ?? ""} />;
  if (path === "/account") return <Account />;
  if (path === "/account/payment") return <Payment />;
  if (path === "/account/identity") return <Identity />;
  if (path === "/account/close") return <CloseAccount />;
  if (path === "/notifications") return <Notifications />;
  if (path === "/my-spaces") return <MySpaces />;
  if (path === "/my-spaces/new") return <NewSpace />;
  if ((p = m("/my-spaces/:id"))) return <ManageSpace spaceId={p.id ?? ""} created={params.has("created")} />;
  if (path === "/sharer/bookings") return <SharerBookings />;
  if (path === "/earnings") return <Earnings />;
  if (path === "/admin") return <Review />;
  if ((p = m("/admin/spaces/:id"))) return <SpaceReview spaceId={p.id ?? ""} />;
  if (path === "/admin/identity") return <Cases />;
  if ((p = m("/admin/identity/:userId"))) return <Case userId={p.userId ?? ""} />;
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
      <Header />
      <main id="main" tabIndex={-1} class={session ? "with-tabbar" : undefined}>
        {!mustSignIn && <Screen key={path} path={path} params={params} />}
      </main>
      <TabBar path={path} />
    </>
  );
}
