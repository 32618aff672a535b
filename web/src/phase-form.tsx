import { useState } from "preact/hooks";
import type { ComponentChildren } from "preact";
import type { OnboardingClient, Phase } from "../../clients/ts/src/index.ts";
import { readDraft, removeDraft, writeDraft } from "./drafts.ts";
import { Field } from "./field.tsx";
import { timeZones } from "./choices.ts";
import { describe, type Problem } from "./errors.tsx";
import { type FieldSpec, fieldRefusal, PHASE_FIELDS, phaseData, savedValues, type Values } from "./phase-fields.ts";

type Props = {
  organizationId: string;
  organizationName: string;
  phase: Phase;
  onboarding: OnboardingClient;
  canEdit: boolean;
  onSaved: (phase: Phase) => void;
  children?: ComponentChildren;
};

/** One onboarding step: its fields, Save, and each refusal beside its field. */
export function PhaseForm({ organizationId, organizationName, phase, onboarding, canEdit, onSaved, children }: Props) {
  const fields = PHASE_FIELDS[phase.key] ?? [];
  const [values, setValues] = useState<Values>(() => ({ ...savedValues(phase, organizationName), ...readDraft(organizationId, phase.key) }));
  const [refusal, setRefusal] = useState<{ field: string | null; message: string; code: string } | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const update = (name: string, value: string | boolean) => {
    const next = { ...values, [name]: value };
    setValues(next);
    setStatus(null);
    const kept = Object.fromEntries(Object.entries(next).filter(([key]) => fields.find((f) => f.name === key)?.kind !== "secret"));
    // Secrets (the ATS key) are never kept in the browser.
    writeDraft(organizationId, phase.key, kept);
  };

  const save = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    const saved = await onboarding.saveOnboardingPhase(organizationId, phase.key, phaseData(phase.key, values));
    setBusy(false);
    if (saved.error) {
      const about = fieldRefusal(saved.error.code, values);
      setRefusal({ field: about?.field ?? null, message: about?.message ?? describe(saved.error as Problem), code: saved.error.code });
      return;
    }
    setRefusal(null);
    removeDraft(organizationId, phase.key);
    setValues((current) => ({ ...current, ...Object.fromEntries(fields.filter((f) => f.kind === "secret").map((f) => [f.name, ""])) }));
    setStatus(saved.data.done ? "Saved." : phase.key === "team"
      ? "Saved. Tick “The team is set” when this step is done."
      : phase.key === "domain-verification" ? "Saved. Publish the record below, then verify." : "Saved.");
    onSaved(saved.data);
  };

  return (
    <form class="card phase" data-phase={phase.key} onSubmit={save} noValidate aria-labelledby={`title-${phase.key}`}>
      <h2 id={`title-${phase.key}`}>{phase.title} {phase.done && <span class="badge done">Done</span>}</h2>
      <fieldset disabled={!canEdit}>
        <legend class="visually-hidden">{phase.title}</legend>
        {fields.map((field) => (
          <FieldInput field={field} value={values[field.name]} onChange={(value) => update(field.name, value)}
            error={refusal?.field === field.name ? refusal.message : null}
            hint={field.kind === "secret" && phase.data?.ats_api_key_set ? "A key is stored. Leave this empty to keep it." : field.hint} />
        ))}
      </fieldset>
      {canEdit && <button type="submit" disabled={busy}>{busy ? "Saving…" : "Save"}</button>}
      {refusal && refusal.field === null && <div class="alert error" role="alert" data-code={refusal.code}>{refusal.message}</div>}
      {refusal && refusal.field !== null && <span class="visually-hidden" data-code={refusal.code}>Not saved.</span>}
      {status && <p class="alert success" role="status">{status}</p>}
      {children}
    </form>
  );
}

function FieldInput({ field, value, onChange, error, hint }: { field: FieldSpec; value: string | boolean | undefined; onChange: (value: string | boolean) => void; error: string | null; hint?: string }) {
  const label = field.optional && !field.hint?.startsWith("Optional") ? `${field.label} (optional)` : field.label;
  const text = typeof value === "string" ? value : "";
  const onInput = (event: { currentTarget: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement }) => onChange(event.currentTarget.value);
  const invalid = error ? "true" : undefined;
  if (field.kind === "checkbox") {
    return (
      <div class={error ? "field check invalid" : "field check"} data-field={field.name}>
        <label><input type="checkbox" name={field.name} checked={value === true} aria-invalid={invalid}
          onChange={(event) => onChange(event.currentTarget.checked)} /> <span>{field.label}</span></label>
        {error && <p class="field-error" role="alert">{error}</p>}
      </div>
    );
  }
  let control;
  if (field.kind === "select") {
    control = (
      <select name={field.name} value={text} onChange={onInput} aria-invalid={invalid}>
        <option value="">Choose…</option>
        {field.options!().map(([code, name]) => <option value={code}>{name}</option>)}
      </select>
    );
  } else if (field.kind === "timezone") {
    control = (
      <>
        <input name={field.name} list="time-zones" value={text} onInput={onInput} autocomplete="off" aria-invalid={invalid} />
        <datalist id="time-zones">{timeZones().map((zone) => <option value={zone} />)}</datalist>
      </>
    );
  } else if (field.kind === "color") {
    control = <input type="color" name={field.name} value={text || "#000000"} onInput={onInput} aria-invalid={invalid} />;
  } else if (field.kind === "lines") {
    control = <textarea name={field.name} rows={3} value={text} onInput={onInput} aria-invalid={invalid} />;
  } else {
    const type = { email: "email", url: "url", secret: "password" }[field.kind as string] ?? "text";
    control = <input name={field.name} type={type} value={text} onInput={onInput} aria-invalid={invalid}
      autocomplete={field.kind === "secret" ? "off" : undefined} />;
  }
  return <Field id={field.name} label={label} hint={hint} error={error}>{control}</Field>;
}
