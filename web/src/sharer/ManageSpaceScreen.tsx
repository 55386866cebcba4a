// One of my spaces: its review, the ownership document, the windows it is offered in (with a week view that shows
// what is booked) and its bookings.
import { useState } from "preact/hooks";
import { BookingCard } from "../bookings/BookingsScreen";
import { getSpace, type Space, type Window } from "../spaces/api";
import { describeWindow } from "../spaces/windows";
import { Loading, Notice, Page, ProblemNotice } from "../ui/components";
import { invalidate, useMutation, useQuery } from "../ui/query";
import { href } from "../ui/router";
import { spaceBookings, withdrawWindow } from "./api";
import { DocumentUpload } from "./DocumentUpload";
import { STATUS } from "./MySpacesScreen";
import { WeekView } from "./WeekView";
import { WindowForm } from "./WindowForm";

function Windows({ space, onChange }: { space: Space; onChange: (s: Space) => void }) {
  const [editing, setEditing] = useState<Window | null>(null);
  const [adding, setAdding] = useState(space.windows.length === 0);
  const withdraw = useMutation((w: Window) => withdrawWindow(space.space_id, w.window_id));
  const saved = (s: Space) => { setEditing(null); setAdding(false); onChange(s); };
  return (
    <section class="panel" aria-labelledby="windows-title">
      <h2 id="windows-title">When it is offered</h2>
      {space.windows.length === 0 && <p>Not offered yet: add the times parkers may book it.</p>}
      <ul class="cards">
        {space.windows.map((w) => {
          const text = describeWindow(w, space.currency, space.timezone);
          return (
            <li key={w.window_id} class="card">
              <p>{text}</p>
              <div class="actions">
                <button type="button" class="button button--small button--secondary" aria-label={`Change: ${text}`} onClick={() => { setAdding(false); setEditing(w); }}>Change</button>
                <button type="button" class="button button--small button--secondary" aria-label={`Withdraw: ${text}`} onClick={async () => {
                  const done = await withdraw.submit(w);
                  if (done.ok) onChange(done.data);
                }}>Withdraw</button>
              </div>
            </li>
          );
        })}
      </ul>
      <ProblemNotice problem={withdraw.problem} />
      {editing && <WindowForm key={editing.window_id} space={space} editing={editing} onSaved={saved} onCancel={() => setEditing(null)} />}
      {!editing && (adding
        ? <WindowForm key="new" space={space} editing={null} onSaved={saved} onCancel={space.windows.length ? () => setAdding(false) : undefined} />
        : <button type="button" class="button" onClick={() => setAdding(true)}>Offer more time</button>)}
      <WeekView space={space} />
    </section>
  );
}

function Bookings({ space }: { space: Space }) {
  const list = useQuery(`space-bookings:${space.space_id}`, (signal) => spaceBookings(space.space_id, signal));
  return (
    <section class="panel" aria-labelledby="space-bookings-title">
      <h2 id="space-bookings-title">Bookings</h2>
      <ProblemNotice problem={list.problem} retry={list.retry} />
      {list.data && list.data.items.length === 0 && <p class="muted">No bookings yet.</p>}
      <ul class="cards">{list.data?.items.map((b) => <BookingCard key={b.reservation_id} b={b} space={space} />)}</ul>
    </section>
  );
}

export function ManageSpaceScreen({ spaceId, created }: { spaceId: string; created: boolean }) {
  const found = useQuery(`space:${spaceId}`, (signal) => getSpace(spaceId, signal));
  const [latest, setLatest] = useState<Space | null>(null);
  const s = latest?.space_id === spaceId ? latest : found.data;
  const update = (next: Space) => { setLatest(next); found.retry(); invalidate("my-spaces"); };
  return (
    <Page title={s?.title ?? "My space"} actions={<a class="back" href={href("/my-spaces")}>My spaces</a>}>
      {found.status === "loading" && !s && <Loading label="Loading the space…" />}
      <ProblemNotice problem={found.problem} retry={found.retry} />
      {s && (
        <div class="detail">
          {created && s.status === "pending" && s.document?.status !== "uploaded" && <Notice kind="success"><p>The space is registered. Upload the ownership document next.</p></Notice>}
          <p class="muted">{s.address}{s.lot ? ` · lot ${s.lot}` : ""}</p>
          <p class={`status status--${s.status}`} aria-label="Review status">{STATUS[s.status] ?? s.status}{s.reject_reason ? `: ${s.reject_reason}` : ""}</p>
          {s.carpark_link && (
            <p aria-label="Car park">{s.carpark_link.state === "accepted" ? "In the car park: its gate recognises the parkers' plates."
              : s.carpark_link.state === "pending" ? "Waiting for the car park to accept the space; it can be booked once they do."
                : "The car park did not accept the space; it is offered on its own."}</p>
          )}
          {s.status === "pending" && <DocumentUpload space={s} onDone={update} />}
          {s.status === "approved" ? <Windows space={s} onChange={update} /> : s.status === "pending" && <p class="hint">Once it is approved you can offer it.</p>}
          {s.status === "approved" && <Bookings space={s} />}
        </div>
      )}
    </Page>
  );
}

export default ManageSpaceScreen;
