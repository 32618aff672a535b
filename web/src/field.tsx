import type { ComponentChildren } from "preact";

/** A labelled control (the label wraps it, so it names it), its hint, and its error,
 * which is announced when it appears (role=alert). */
export function Field({ label, hint, error, children, id }: { label: string; hint?: string; error?: string | null; children: ComponentChildren; id?: string }) {
  return (
    <div class={error ? "field invalid" : "field"} data-field={id}>
      <label>
        <span class="label">{label}</span>
        {children}
      </label>
      {hint && <p class="hint">{hint}</p>}
      {error && <p class="field-error" role="alert">{error}</p>}
    </div>
  );
}
