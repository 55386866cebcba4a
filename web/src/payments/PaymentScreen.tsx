// Save a card through the payment provider's hosted fields: the card is typed into the provider's own page (another
// origin, in a frame this app's script cannot read); the provider hands back a single-use token, and only the token
// reaches CarParker (PUT /me/payment-method).
import { useEffect, useRef, useState } from "preact/hooks";
import { useConfig } from "../config/context";
import { Loading, Notice, Page, ProblemNotice } from "../ui/components";
import { invalidate, useMutation, useQuery } from "../ui/query";
import { type Card, myCard, saveCard } from "./api";

interface TokenMessage { type: "carparker-card-token"; token: string; brand: string; last4: string }

function isToken(data: unknown): data is TokenMessage {
  const d = data as Partial<TokenMessage> | null;
  return !!d && d.type === "carparker-card-token" && typeof d.token === "string";
}

export function PaymentScreen() {
  const fieldsUrl = useConfig().payments.hostedFieldsUrl;
  const card = useQuery("card:mine", myCard);
  const [saved, setSaved] = useState<Card | null>(null);
  const [frameKey, setFrameKey] = useState(0);
  const lastToken = useRef<string | null>(null);
  const save = useMutation(saveCard);

  useEffect(() => {
    if (!fieldsUrl) return;
    const provider = new URL(fieldsUrl).origin;
    const onMessage = async (event: MessageEvent) => {
      if (event.origin !== provider || !isToken(event.data)) return; // only the provider's frame speaks for a card
      lastToken.current = event.data.token;
      const done = await save.submit(event.data.token);
      if (done.ok) {
        setSaved(done.data);
        invalidate("card:");
      }
    };
    window.addEventListener("message", onMessage);
    return () => window.removeEventListener("message", onMessage);
  }, [fieldsUrl]);

  const current = saved ?? card.data;
  const src = fieldsUrl ? `${fieldsUrl}?origin=${encodeURIComponent(window.location.origin)}` : "";
  const tokenRefused = save.problem?.kind === "refused" && save.problem.field === "token";
  return (
    <Page title="Payment method">
      <p>Your card pays for each stay automatically when the gate lets you out, and for fees the booking rules name.</p>
      {card.status === "loading" && !card.data && <Loading label="Loading your card…" />}
      <ProblemNotice problem={card.problem} retry={card.retry} />
      {current && <p class="panel" aria-label="Saved card"><strong>{current.brand[0]?.toUpperCase()}{current.brand.slice(1)} ending {current.last4}</strong> is saved.</p>}
      {saved && <Notice kind="success"><p>Card saved. Any payment that failed is tried again on it.</p></Notice>}
      {!fieldsUrl && <Notice kind="warn"><p>Cards cannot be entered on this installation: it has no payment provider set up.</p></Notice>}
      {fieldsUrl && (
        <section aria-labelledby="card-title">
          <h2 id="card-title">{current ? "Use another card" : "Add a card"}</h2>
          <p class="hint">You type the card into the payment provider's own form below; CarParker never sees the number.</p>
          <iframe key={frameKey} class="card-frame" title="Card details (payment provider)" src={src} />
          {save.status === "pending" && <Loading label="Saving the card…" />}
          <ProblemNotice problem={save.problem} retry={() => lastToken.current && void save.submit(lastToken.current)} />
          {tokenRefused && <button type="button" class="button button--secondary" onClick={() => { save.reset(); setFrameKey((k) => k + 1); }}>Enter the card again</button>}
        </section>
      )}
    </Page>
  );
}

export default PaymentScreen;
