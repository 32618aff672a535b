import { useState } from "preact/hooks";
import type { SupabaseClient } from "@supabase/supabase-js";
import type { Deps } from "./deps.ts";
import { ErrorBox, type Problem } from "./errors.tsx";
import { Field } from "./field.tsx";
import { clearDrafts } from "./drafts.ts";
import { navigate } from "./router.ts";

const authProblem = (error: { code?: string; message: string }): Problem => ({ code: error.code ?? "auth_error", message: error.message });

/** Email and password, through Supabase Auth. */
export function SignIn({ supabase, email: fixedEmail, title }: { supabase: SupabaseClient; email?: string; title: string }) {
  const [email, setEmail] = useState(fixedEmail ?? "");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form class="card" aria-label={title} onSubmit={async (event) => {
      event.preventDefault();
      setBusy(true);
      const { error } = await supabase.auth.signInWithPassword({ email, password });
      setBusy(false);
      setError(error ? authProblem(error) : null);
    }}>
      <h2>{title}</h2>
      <Field label="Email">
        <input name="email" type="email" autocomplete="email" value={email} readOnly={!!fixedEmail}
          onInput={(e) => setEmail(e.currentTarget.value)} required />
      </Field>
      <Field label="Password">
        <input name="password" type="password" autocomplete="current-password" value={password}
          onInput={(e) => setPassword(e.currentTarget.value)} required />
      </Field>
      <button type="submit" disabled={busy}>Sign in</button>
      <ErrorBox error={error} />
    </form>
  );
}

/** The seed's sign-up form: first name, last name, password; the email is the invited
 * one (read-only) when there is an invitation. The name reaches Auth's user metadata
 * (`full_name`), so the profile the signup webhook writes carries it. */
export function SignUp({ supabase, email: fixedEmail, redirectTo }: { supabase: SupabaseClient; email?: string; redirectTo: string }) {
  const [values, setValues] = useState({ first_name: "", last_name: "", email: fixedEmail ?? "", password: "" });
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [error, setError] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (name: keyof typeof values) => (e: { currentTarget: HTMLInputElement }) => setValues({ ...values, [name]: e.currentTarget.value });
  if (sentTo) {
    return (
      <section class="card" data-page="check-inbox" aria-live="polite">
        <h2>Check your inbox</h2>
        <p>We sent a link to <strong class="email">{sentTo}</strong>. Follow it to confirm your address; it brings you back here, signed in.</p>
      </section>
    );
  }
  return (
    <form class="card" aria-label="Create your account" onSubmit={async (event) => {
      event.preventDefault();
      setBusy(true);
      const fullName = `${values.first_name.trim()} ${values.last_name.trim()}`.trim();
      const { data, error } = await supabase.auth.signUp({
        email: values.email, password: values.password,
        options: { emailRedirectTo: redirectTo, data: { full_name: fullName, first_name: values.first_name.trim(), last_name: values.last_name.trim() } },
      });
      setBusy(false);
      if (error) return setError(authProblem(error));
      setError(null);
      if (!data.session) setSentTo(values.email);
    }}>
      <h2>Create your account</h2>
      <div class="row">
        <Field label="First name"><input name="first_name" autocomplete="given-name" value={values.first_name} onInput={set("first_name")} required maxLength={100} /></Field>
        <Field label="Last name"><input name="last_name" autocomplete="family-name" value={values.last_name} onInput={set("last_name")} required maxLength={100} /></Field>
      </div>
      <Field label="Email">
        <input name="signup-email" type="email" autocomplete="email" value={values.email} readOnly={!!fixedEmail} onInput={set("email")} required />
      </Field>
      <Field label="Password" hint="At least 6 characters.">
        <input name="new-password" type="password" autocomplete="new-password" value={values.password} onInput={set("password")} required minLength={6} />
      </Field>
      <button type="submit" disabled={busy}>Create account</button>
      <ErrorBox error={error} />
    </form>
  );
}

/** Asks Auth for a password-reset link (Auth's `recover`); it lands on /reset-password. */
export function ForgotPassword({ supabase }: { supabase: SupabaseClient }) {
  const [email, setEmail] = useState("");
  const [sent, setSent] = useState(false);
  const [error, setError] = useState<Problem | null>(null);
  if (sent) {
    return <section class="card" data-page="reset-sent" aria-live="polite"><h2>Check your inbox</h2><p>If <strong class="email">{email}</strong> has an account, a link to choose a new password is on its way.</p></section>;
  }
  return (
    <form class="card" aria-label="Reset your password" onSubmit={async (event) => {
      event.preventDefault();
      const { error } = await supabase.auth.resetPasswordForEmail(email, { redirectTo: `${location.origin}/reset-password` });
      if (error) return setError(authProblem(error));
      setSent(true);
    }}>
      <h2>Reset your password</h2>
      <Field label="Email"><input name="reset-email" type="email" autocomplete="email" value={email} onInput={(e) => setEmail(e.currentTarget.value)} required /></Field>
      <button type="submit">Send the reset link</button>
      <ErrorBox error={error} />
    </form>
  );
}

/** Signed out: sign in, create an account, or reset the password. */
export function AuthPanel({ supabase, title, redirectTo }: { supabase: SupabaseClient; title: string; redirectTo?: string }) {
  const [mode, setMode] = useState<"sign-in" | "sign-up" | "forgot">("sign-in");
  return (
    <div class="auth-panel">
      <div class="tabs" role="group" aria-label="Account">
        <button type="button" class={mode === "sign-in" ? "tab current" : "tab"} aria-pressed={mode === "sign-in"} onClick={() => setMode("sign-in")}>Sign in</button>
        <button type="button" class={mode === "sign-up" ? "tab current" : "tab"} aria-pressed={mode === "sign-up"} onClick={() => setMode("sign-up")}>Create an account</button>
        <button type="button" class={mode === "forgot" ? "tab current" : "tab"} aria-pressed={mode === "forgot"} onClick={() => setMode("forgot")}>Forgot password?</button>
      </div>
      {mode === "sign-in" && <SignIn supabase={supabase} title={title} />}
      {mode === "sign-up" && <SignUp supabase={supabase} redirectTo={redirectTo ?? location.href} />}
      {mode === "forgot" && <ForgotPassword supabase={supabase} />}
    </div>
  );
}

/** Where the reset link lands, signed in by it: the new password. */
export function ResetPasswordPage({ supabase, session }: Deps) {
  const [password, setPassword] = useState("");
  const [error, setError] = useState<Problem | null>(null);
  const [done, setDone] = useState(false);
  if (done) {
    return <section class="card" data-page="password-changed"><h1>Password changed</h1><p>You are signed in. <a href="/">Continue</a></p></section>;
  }
  if (!session) {
    return (
      <section>
        <h1>Choose a new password</h1>
        <p>Open the link from the reset email to choose a new password here, or ask for a new link.</p>
        <ForgotPassword supabase={supabase} />
      </section>
    );
  }
  return (
    <form class="card" aria-label="Choose a new password" onSubmit={async (event) => {
      event.preventDefault();
      const { error } = await supabase.auth.updateUser({ password });
      if (error) return setError(authProblem(error));
      setDone(true);
    }}>
      <h1>Choose a new password</h1>
      <p>For <strong class="email">{session.user.email}</strong>.</p>
      <Field label="New password" hint="At least 6 characters."><input name="new-password" type="password" autocomplete="new-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} required minLength={6} /></Field>
      <button type="submit">Save the new password</button>
      <ErrorBox error={error} />
    </form>
  );
}

/** After signing out, to the home page; nothing typed for an organization stays in
 * this browser for the next person. */
export async function signOut(supabase: SupabaseClient) {
  await supabase.auth.signOut();
  clearDrafts();
  navigate("/");
}
