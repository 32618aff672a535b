// `/onboarding/:orgId` (seed 002's CompanyOnboarding): the organization's steps as its
// features call for them, one open at a time (`?step=` in the address, so a reload,
// Back/Forward or a new tab returns to it), each prefilled with what was saved and with
// what was typed but not saved yet (a draft kept in this browser), then completion.
import { useEffect, useState } from "preact/hooks";
import type { DomainCheck as DomainResult, Onboarding, Phase, PhaseKey } from "../../clients/ts/src/index.ts";

type DomainStatus = DomainResult["status"];
import { AuthPanel } from "./auth.tsx";
import type { Deps } from "./deps.ts";
import { ErrorBox, type Problem } from "./errors.tsx";
import { DomainCheck, type TxtRecord } from "./domain-check.tsx";
import { PhaseForm } from "./phase-form.tsx";
import { navigate } from "./router.ts";

type Role = "owner" | "admin" | "recruiter" | "viewer";

export function OnboardingPage({ supabase, onboarding, session, organizationId, step }: Deps & { organizationId: string; step: string | null }) {
  const [state, setState] = useState<Onboarding | null>(null);
  const [role, setRole] = useState<Role | null>(null);
  const [error, setError] = useState<Problem | null>(null);
  const [completeError, setCompleteError] = useState<Problem | null>(null);
  const load = async () => {
    const [result, membership] = await Promise.all([
      onboarding.organizationOnboarding(organizationId),
      supabase.from("organization_members").select("role").eq("organization_id", organizationId)
        .eq("user_id", session!.user.id).maybeSingle(),
    ]);
    setError(result.error);
    if (result.data) setState(result.data);
    setRole(((membership.data as { role: Role } | null)?.role) ?? null);
  };
  useEffect(() => { if (session) load(); }, [session?.user.id, organizationId]);

  if (!session) return <AuthPanel supabase={supabase} title="Sign in to set up your organization" />;
  if (!state) {
    return error ? <section data-page="onboarding-error"><h1>Organization setup</h1><ErrorBox error={error} retry={load} /></section>
      : <p class="loading" aria-live="polite">Loading…</p>;
  }
  if (state.status === "active") {
    return (
      <section class="card success" data-page="active">
        <h1>{state.name} is active</h1>
        <p>Onboarding is complete. <a href={`/tenant/${organizationId}`}>Open the dashboard</a></p>
      </section>
    );
  }

  const canEdit = role === "owner" || role === "admin";
  const phases = state.phases;
  const done = phases.filter((phase) => phase.done).length;
  const firstOpen = phases.find((phase) => !phase.done)?.key;
  const current: PhaseKey | "complete" = phases.some((phase) => phase.key === step) ? step as PhaseKey
    : step === "complete" || !firstOpen ? "complete" : firstOpen;
  const go = (key: string) => navigate(`/onboarding/${organizationId}?step=${key}`);
  const afterSave = async (saved: Phase) => {
    await load();
    if (!saved.done) return;
    const index = phases.findIndex((phase) => phase.key === saved.key);
    const next = phases.slice(index + 1).find((phase) => !phase.done) ?? phases.find((phase) => !phase.done && phase.key !== saved.key);
    go(next?.key ?? "complete");
  };
  const phase = phases.find((p) => p.key === current);

  return (
    <div class="onboarding" data-page="onboarding">
      <h1>Set up {state.name}</h1>
      <div class="progress">
        <progress max={phases.length} value={done} aria-label="Steps done" />
        <span data-testid="progress">{done} of {phases.length} steps done</span>
      </div>
      <nav aria-label="Onboarding steps">
        <ol class="steps">
          {phases.map((p, index) => (
            <li class={p.done ? "done" : ""}>
              <a href={`/onboarding/${organizationId}?step=${p.key}`} aria-current={p.key === current ? "step" : undefined} data-step={p.key}>
                <span class="step-mark" aria-hidden="true">{p.done ? "✓" : index + 1}</span>
                {p.title}
                {p.done && <span class="visually-hidden"> (done)</span>}
              </a>
            </li>
          ))}
          <li><a href={`/onboarding/${organizationId}?step=complete`} aria-current={current === "complete" ? "step" : undefined} data-step="complete">
            <span class="step-mark" aria-hidden="true">★</span>Finish</a></li>
        </ol>
      </nav>
      {!canEdit && <p class="alert info" data-testid="read-only">You can follow the setup here; only the organization's owners and admins can change it.</p>}
      {phase && (
        <PhaseForm key={`${phase.key}`} organizationId={organizationId} organizationName={state.name} phase={phase}
          onboarding={onboarding} canEdit={canEdit} onSaved={afterSave}>
          {phase.key === "domain-verification" && phase.data?.txt_record
            ? <DomainCheck hostname={String(phase.data.hostname ?? "")} record={phase.data.txt_record as TxtRecord}
                initial={phase.data.verified ? "verified" : (phase.data.last_check_result as DomainStatus | undefined) ?? null}
                verify={() => onboarding.verifyDomain(organizationId)} canEdit={canEdit}
                onVerified={() => afterSave({ ...phase, done: true })} />
            : null}
        </PhaseForm>
      )}
      {current === "complete" && (
        <section class="card" data-phase="complete">
          <h2>Finish</h2>
          {done < phases.length
            ? <p>Still to do: {phases.filter((p) => !p.done).map((p, i) => <>{i > 0 && ", "}<a href={`/onboarding/${organizationId}?step=${p.key}`}>{p.title}</a></>)}.</p>
            : <p>Every step is done.</p>}
          {role === "owner"
            ? <button type="button" disabled={done < phases.length} onClick={async () => {
              const completed = await onboarding.completeOnboarding(organizationId);
              setCompleteError(completed.error);
              if (!completed.error) navigate(`/tenant/${organizationId}`, { state: { activated: state.name } });
            }}>Complete onboarding</button>
            : <p>The organization's owner completes onboarding.</p>}
          <ErrorBox error={completeError} />
        </section>
      )}
    </div>
  );
}
