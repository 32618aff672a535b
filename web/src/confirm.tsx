import { useState } from "preact/hooks";

/** A button for what cannot be undone: the first press asks, the second does it. */
export function ConfirmButton({ label, question, confirm, onConfirm, danger = true }: {
  label: string; question: string; confirm: string; onConfirm: () => Promise<void> | void; danger?: boolean;
}) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  if (!asking) return <button type="button" class={danger ? "secondary small danger" : "secondary small"} onClick={() => setAsking(true)}>{label}</button>;
  return (
    <span class="confirm" role="group" aria-label={question}>
      <span class="confirm-question">{question}</span>
      <button type="button" class="small danger-solid" disabled={busy} onClick={async () => {
        setBusy(true);
        await onConfirm();
        setBusy(false);
        setAsking(false);
      }}>{confirm}</button>
      <button type="button" class="secondary small" onClick={() => setAsking(false)}>Cancel</button>
    </span>
  );
}
