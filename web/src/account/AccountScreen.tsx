// The account: profile and roles, the saved card, identity, notifications, the sharer's pages, sign out, closing.
import { useEffect, useState } from "preact/hooks";
import { me, type Role, updateProfile } from "../auth/api";
import { endSession, useSession } from "../auth/session";
import { myCard } from "../payments/api";
import { Checkbox, Field, Loading, Notice, Page, ProblemNotice } from "../ui/components";
import { invalidate, useMutation, useQuery } from "../ui/query";
import { href, navigate } from "../ui/router";

export function AccountScreen() {
  const session = useSession();
  const profile = useQuery(session ? `me:${session.email}` : null, me);
  const card = useQuery("card:mine", myCard);
  const p = profile.data;
  const [name, setName] = useState("");
  const [parker, setParker] = useState(true);
  const [sharer, setSharer] = useState(false);
  useEffect(() => {
    if (!p) return;
    setName(p.display_name);
    setParker(p.roles.includes("parker"));
    setSharer(p.roles.includes("sharer"));
  }, [p?.display_name, p?.roles.join()]);
  const roles: Role[] = [...(parker ? ["parker" as const] : []), ...(sharer ? ["sharer" as const] : [])];
  const save = useMutation(async () => {
    const updated = await updateProfile({ display_name: name.trim(), roles });
    invalidate("me:");
    return updated;
  });
  const isSharer = p?.roles.includes("sharer");
  return (
    <Page title="Account">
      {profile.status === "loading" && !p && <Loading label="Loading your account…" />}
      <ProblemNotice problem={profile.problem} retry={profile.retry} />
      {p && (
        <form class="form panel" noValidate onSubmit={(e) => { e.preventDefault(); void save.submit(undefined); }} aria-labelledby="profile-title">
          <h2 id="profile-title">Profile</h2>
          <p class="muted">{p.email}</p>
          <Field label="Your name" value={name} onValue={setName} autoComplete="name" error={save.problem?.kind === "refused" && save.problem.field === "display_name" ? save.problem.message : undefined} />
          <fieldset class="fieldset">
            <legend>I want to</legend>
            <Checkbox label="Park (find and reserve spaces)" checked={parker} onChange={setParker} />
            <Checkbox label="Share my parking space" checked={sharer} onChange={setSharer} />
          </fieldset>
          <ProblemNotice problem={save.problem} retry={() => void save.submit(undefined)} fields={["display_name"]} />
          {save.status === "success" && <Notice kind="success"><p>Saved.</p></Notice>}
          <button class="button" type="submit" disabled={save.status === "pending" || roles.length === 0}>Save the profile</button>
        </form>
      )}
      <nav aria-label="Account" class="panel">
        <ul class="menu">
          <li><a href={href("/account/payment")}>Payment method</a>
            <span class="muted">{card.data ? ` · ${card.data.brand} ending ${card.data.last4}` : card.status === "success" ? " · none saved" : ""}</span></li>
          <li><a href={href("/account/identity")}>Identity verification</a></li>
          <li><a href={href("/notifications")}>Notifications</a></li>
          {isSharer && <li><a href={href("/sharer/bookings")}>Bookings on my spaces</a></li>}
          {isSharer && <li><a href={href("/earnings")}>Earnings</a></li>}
          <li><a href={href("/account/close")}>Close my account</a></li>
        </ul>
      </nav>
      <button type="button" class="button button--secondary" onClick={() => { endSession(); navigate("/signin"); }}>Sign out</button>
    </Page>
  );
}

export default AccountScreen;
