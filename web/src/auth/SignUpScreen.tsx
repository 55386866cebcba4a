import { useState } from "preact/hooks";
import { fieldError } from "../api/errors";
import { Checkbox, Field, Page, ProblemNotice } from "../ui/components";
import { useMutation } from "../ui/query";
import { href, navigate } from "../ui/router";
import { type Role, signIn, signUp } from "./api";

const FIELDS = ["display_name", "email", "password", "roles"];

export function SignUpScreen({ onSignedIn }: { onSignedIn: () => void }) {
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [parker, setParker] = useState(true);
  const [sharer, setSharer] = useState(false);
  const roles: Role[] = [...(parker ? ["parker" as const] : []), ...(sharer ? ["sharer" as const] : [])];

  const create = useMutation(async () => {
    await signUp({ display_name: name.trim(), email: email.trim(), password, roles });
    try {
      await signIn(email.trim(), password);
      return "signed-in";
    } catch {
      return "confirm"; // on AWS a new account is confirmed by email first
    }
  });
  const send = async () => {
    const outcome = await create.submit(undefined);
    if (!outcome.ok) return;
    if (outcome.data === "signed-in") onSignedIn();
    else navigate("/signin", { created: "1" });
  };
  const problem = create.problem;
  return (
    <Page title="Create an account">
      <form class="form" noValidate onSubmit={(e) => { e.preventDefault(); void send(); }}>
        <Field label="Your name" autoComplete="name" value={name} onValue={setName} required error={fieldError(problem, "display_name")} />
        <Field label="Email" type="email" autoComplete="email" value={email} onValue={setEmail} required error={fieldError(problem, "email")} />
        <Field label="Password" type="password" autoComplete="new-password" value={password} onValue={setPassword} required
          hint="At least 10 characters, with upper and lower case letters and a digit." error={fieldError(problem, "password")} />
        <fieldset class="fieldset">
          <legend>I want to</legend>
          <Checkbox label="Park (find and reserve spaces)" checked={parker} onChange={setParker} />
          <Checkbox label="Share my parking space" checked={sharer} onChange={setSharer} />
          {fieldError(problem, "roles") && <p class="field-error" role="alert">{fieldError(problem, "roles")}</p>}
        </fieldset>
        <ProblemNotice problem={problem} retry={() => void send()} fields={FIELDS} />
        <button class="button" type="submit" disabled={create.status === "pending"}>
          {create.status === "pending" ? "Creating your account…" : "Create account"}
        </button>
      </form>
      <p>Already have an account? <a href={href("/signin")}>Sign in</a></p>
    </Page>
  );
}
