import { useEffect, useState } from "preact/hooks";
import type { DomainCheck as Check, Result } from "../../clients/ts/src/index.ts";
import { ErrorBox, type Problem } from "./errors.tsx";

export type TxtRecord = { type: "TXT"; name: string; value: string };
type Status = Check["status"];

const STATES: Record<Status, string> = {
  checking: "Looking up the record…",
  not_found: "The record was not found yet. Check that its name and value are exactly as above; DNS changes can take a few minutes to appear. Then verify again.",
  lookup_failed: "The DNS lookup failed. Try again in a minute.",
  verified: "Verified.",
};

/** A domain's TXT record to publish, with copy buttons, and Verify: `checking` (polled
 * until the DNS answer is in), then `verified`, `not_found` or `lookup_failed`, in words.
 * `verify` is the check (the onboarding phase's, or one of the organization's domains). */
export function DomainCheck({ hostname, record, initial, verify, canEdit, onVerified }: {
  hostname: string;
  record: TxtRecord;
  initial: Status | null;
  verify: () => Promise<Result<{ status: Status | "unverified" }>>;
  canEdit: boolean;
  onVerified: () => void;
}) {
  const [status, setStatus] = useState<Status | null>(initial);
  const [error, setError] = useState<Problem | null>(null);
  const [polls, setPolls] = useState(0);

  const check = async () => {
    const checked = await verify();
    setError(checked.error);
    if (!checked.data || checked.data.status === "unverified") return setStatus(null);
    setStatus(checked.data.status);
    if (checked.data.status === "checking") setPolls((n) => n + 1);
    if (checked.data.status === "verified") onVerified();
  };
  // While the lookup is under way, ask again every second (30 times at most).
  useEffect(() => {
    if (status !== "checking" || polls === 0 || polls > 30) return;
    const timer = setTimeout(check, 1000);
    return () => clearTimeout(timer);
  }, [status, polls]);

  return (
    <div class="domain-check" data-testid="domain-check">
      {status !== "verified" && <>
        <h3>Publish this DNS record</h3>
        <p>At your DNS provider, add a TXT record for <strong>{hostname}</strong>:</p>
        <dl class="record">
          <div><dt>Type</dt><dd><code>TXT</code></dd></div>
          <div><dt>Name</dt><dd><code data-testid="txt-name">{record.name}</code> <CopyButton text={record.name} label="Copy the name" /></dd></div>
          <div><dt>Value</dt><dd><code data-testid="txt-value">{record.value}</code> <CopyButton text={record.value} label="Copy the value" /></dd></div>
        </dl>
      </>}
      {canEdit && status !== "verified" && <button type="button" onClick={() => { setStatus("checking"); setPolls(0); check(); }}>Verify</button>}
      {status && <p class={status === "verified" ? "alert success" : status === "checking" ? "alert info" : "alert warning"}
        role="status" data-domain-status={status}>{STATES[status]}</p>}
      <ErrorBox error={error} />
    </div>
  );
}

export function CopyButton({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button type="button" class="secondary small" aria-label={label} onClick={async () => {
      try {
        await navigator.clipboard.writeText(text);
        setCopied(true);
        setTimeout(() => setCopied(false), 2000);
      } catch { /* no clipboard here: the text is selectable */ }
    }}>{copied ? "Copied" : "Copy"}</button>
  );
}
