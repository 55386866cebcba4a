import { useState } from "preact/hooks";
import { fieldError } from "../api/errors";
import { Field, Page, ProblemNotice } from "../ui/components";
import { useMutation } from "../ui/query";
import { href } from "../ui/router";
import { signIn } from "./api";
import { whyEnded } from "./session";

export function SignInScreen({ title = "Sign in", onSignedIn, signUpLink = true, note }: {
  title?: string; onSignedIn: () => void; signUpLink?: boolean; note?: string | undefined;
}) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const attempt = useMutation(() => signIn(email.trim(), password));
  const ended = whyEnded();

  const send = async () => {
    if ((await attempt.submit(undefined)).ok) onSignedIn();
  };
  const problem = attempt.problem;
  return (
    <Page title={title}>
      {note && !problem && <p class="notice notice--info" role="status">{note}</p>}
      {ended && !problem && <p class="notice notice--info" role="status">{ended}</p>}
      <form class="form" noValidate onSubmit={(e) => { e.preventDefault(); void send(); }}>
        <Field label="Email" type="email" autoComplete="username" value={email} onValue={setEmail} required
          error={fieldError(problem, "email")} />
        <Field label="Password" type="password" autoComplete="current-password" value={password} onValue={setPassword} required
          error={fieldError(problem, "password")} />
        <ProblemNotice problem={problem} retry={() => void send()} fields={["email", "password"]} />
        <button class="button" type="submit" disabled={attempt.status === "pending"}>
          {attempt.status === "pending" ? "Signing in…" : "Sign in"}
        </button>
      </form>
      {signUpLink && <p>New to CarParker? <a href={href("/signup")}>Create an account</a></p>}
    </Page>
  );
}
