import type { SupabaseClient } from "@supabase/supabase-js";
import { useEffect, useState } from "preact/hooks";
import { ErrorBox, type Problem } from "./errors.tsx";
import { Field } from "./field.tsx";

type Enrolment = { factorId: string; qr: string; secret: string };

/** Steps the session up to `aal2` with a TOTP factor (supabase-js's `auth.mfa`): the
 * user's verified factor, or a new one enrolled here (its QR code and secret shown). On
 * success supabase-js keeps the new session, and `onVerified` runs. */
export function StepUp({ supabase, reason, onVerified }: { supabase: SupabaseClient; reason: string; onVerified: () => void }) {
  const [factorId, setFactorId] = useState<string | null>(null);
  const [enrolment, setEnrolment] = useState<Enrolment | null>(null);
  const [code, setCode] = useState("");
  const [error, setError] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    supabase.auth.mfa.listFactors().then(({ data }) => setFactorId(data?.totp[0]?.id ?? ""));
  }, []);

  const enrol = async () => {
    setBusy(true);
    // An enrolment never finished earlier is dropped first (it was never verified).
    const { data: factors } = await supabase.auth.mfa.listFactors();
    for (const stale of factors?.all.filter((f) => f.status === "unverified") ?? []) await supabase.auth.mfa.unenroll({ factorId: stale.id });
    const { data, error } = await supabase.auth.mfa.enroll({ factorType: "totp", friendlyName: "Authenticator app" });
    setBusy(false);
    if (error || !data) return setError({ code: error?.code ?? "request_failed", message: "" });
    setEnrolment({ factorId: data.id, qr: data.totp.qr_code, secret: data.totp.secret });
  };
  const verify = async (event: Event) => {
    event.preventDefault();
    const id = enrolment?.factorId ?? factorId;
    if (!id) return;
    setBusy(true);
    const { error } = await supabase.auth.mfa.challengeAndVerify({ factorId: id, code: code.trim() });
    setBusy(false);
    if (error) return setError({ code: error.code ?? "request_failed", message: "" });
    onVerified();
  };

  if (factorId === null) return <p class="loading">Loading your second factor…</p>;
  const needsEnrolment = !factorId && !enrolment;
  return (
    <section class="card" data-testid="step-up" aria-labelledby="step-up-heading">
      <h2 id="step-up-heading">Two-factor authentication</h2>
      <p>{reason}</p>
      {needsEnrolment
        ? <button type="button" disabled={busy} onClick={enrol}>Set up an authenticator app</button>
        : (
          <form onSubmit={verify} aria-label="Verify your second factor">
            {enrolment && <>
              <p>Scan this QR code with your authenticator app (or enter the key by hand), then type the 6-digit code it shows.</p>
              <img class="qr" src={enrolment.qr} alt="QR code for your authenticator app" width={180} height={180} />
              <p>Key: <code data-testid="totp-secret">{enrolment.secret}</code></p>
            </>}
            <Field label="6-digit code"><input name="totp-code" inputMode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}"
              maxLength={6} value={code} onInput={(e) => setCode(e.currentTarget.value)} required /></Field>
            <button type="submit" disabled={busy}>Verify</button>
          </form>
        )}
      <ErrorBox error={error} />
    </section>
  );
}
