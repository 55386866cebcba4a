// Closing the account, said plainly before it is done: what is erased for good, what stays and why.
import { useState } from "preact/hooks";
import { closeAccount } from "../auth/api";
import { endSession } from "../auth/session";
import { Checkbox, Page, ProblemNotice } from "../ui/components";
import { useMutation } from "../ui/query";
import { href, navigate } from "../ui/router";

export const CLOSED = "Your account is closed. Your key was destroyed: nothing sealed to you can be opened again.";

export function CloseAccountScreen() {
  const [sure, setSure] = useState(false);
  const close = useMutation(closeAccount);
  return (
    <Page title="Close my account">
      <section class="notice notice--error" aria-label="What closing the account does">
        <p><strong>This cannot be undone.</strong> When you close your account:</p>
        <ul>
          <li>your personal key is destroyed, so your identity documents, the photos of your car and the sealed parts of your
            ledger entries (times, plate, car park, fees) can never be opened again, by anyone, you included;</li>
          <li>you are signed out on every device, and this account cannot be used again;</li>
          <li>your saved card is no longer used.</li>
        </ul>
        <p>What stays: the records the car parks and sharers need for their accounts (with your plate shown as erased),
          and the ledger's proofs, which still verify without your data.</p>
      </section>
      <p>Want to keep something? Download the evidence of your bookings first, from <a href={href("/bookings")}>your bookings</a>.</p>
      <Checkbox label="I understand that closing my account erases my data for good" checked={sure} onChange={setSure} />
      <ProblemNotice problem={close.problem} retry={() => void close.submit(undefined)} />
      <button type="button" class="button button--danger" disabled={!sure || close.status === "pending"} onClick={async () => {
        if ((await close.submit(undefined)).ok) {
          endSession(CLOSED);
          navigate("/signin", undefined, true);
        }
      }}>{close.status === "pending" ? "Closing…" : "Close my account for good"}</button>
    </Page>
  );
}

export default CloseAccountScreen;
