// Each onboarding step's fields: how they are shown, how the form's values become the
// JSON save_onboarding_phase takes (and back), and which field each refusal is about.
import type { Phase, PhaseKey } from "../../clients/ts/src/index.ts";
import { browserTimeZone, countries, DATA_REGIONS, DPA_VERSION, SIZE_BANDS } from "./choices.ts";

export type FieldKind = "text" | "email" | "url" | "select" | "timezone" | "color" | "checkbox" | "lines" | "secret";
export type FieldSpec = {
  name: string;
  label: string;
  kind: FieldKind;
  options?: () => [string, string][];
  hint?: string;
  optional?: boolean;
};
export type Values = Record<string, string | boolean>;

export const PHASE_FIELDS: Record<PhaseKey, FieldSpec[]> = {
  "organization-setup": [
    { name: "name", label: "Organization name", kind: "text" },
    { name: "industry", label: "Industry", kind: "text", hint: "For example: Recruiting, Healthcare, Retail." },
    { name: "size_band", label: "Number of people", kind: "select", options: () => SIZE_BANDS },
    { name: "time_zone", label: "Time zone", kind: "timezone", hint: "Type to search, e.g. Berlin or Nairobi." },
    { name: "logo_url", label: "Logo address", kind: "url", optional: true, hint: "Optional. An https:// link to an image." },
  ],
  "domain-verification": [
    { name: "hostname", label: "Your domain", kind: "text", hint: "The domain your people use, e.g. app.example.com." },
  ],
  "brand-identity": [
    { name: "primary_color", label: "Primary colour", kind: "color" },
    { name: "accent_color", label: "Accent colour", kind: "color" },
    { name: "sender_name", label: "Email sender name", kind: "text", hint: "The name your emails come from." },
    { name: "logo_url", label: "Logo address", kind: "url", optional: true, hint: "Optional. An https:// link to an image." },
  ],
  billing: [
    { name: "billing_email", label: "Billing email", kind: "email" },
    { name: "legal_name", label: "Legal company name", kind: "text" },
    { name: "tax_id", label: "Tax ID", kind: "text", optional: true, hint: "Optional. VAT or company number." },
    { name: "address.line1", label: "Street address", kind: "text" },
    { name: "address.line2", label: "Address line 2", kind: "text", optional: true },
    { name: "address.city", label: "City", kind: "text" },
    { name: "address.postal_code", label: "Postal code", kind: "text", optional: true },
    { name: "address.country", label: "Country", kind: "select", options: countries },
  ],
  team: [
    { name: "completed", label: "The team is set (inviting people is optional and can be done later)", kind: "checkbox" },
  ],
  integrations: [
    { name: "ats_provider", label: "Applicant tracking system", kind: "text", optional: true, hint: "For example: Greenhouse, Lever." },
    { name: "ats_api_key", label: "ATS API key", kind: "secret", optional: true, hint: "Optional. Stored encrypted and never shown again." },
    { name: "webhook_urls", label: "Webhook addresses", kind: "lines", optional: true, hint: "Optional. One https:// address per line." },
  ],
  privacy: [
    { name: "data_region", label: "Where your data is stored", kind: "select", options: () => DATA_REGIONS },
    { name: "dpa_accepted", label: `I accept the data-processing terms (version ${DPA_VERSION})`, kind: "checkbox" },
  ],
};

/** What each refusal says, beside which field: in words, never the field key or code. */
const REFUSALS: Record<string, [string, string]> = {
  invalid_name: ["name", "Enter the organization's name (up to 200 characters)."],
  invalid_industry: ["industry", "Enter an industry (up to 100 characters)."],
  invalid_size_band: ["size_band", "Choose how many people work here."],
  invalid_time_zone: ["time_zone", "Choose a time zone from the list, such as Europe/Berlin."],
  invalid_logo_url: ["logo_url", "The logo address must start with https:// and be a web address."],
  invalid_billing_email: ["billing_email", "Enter an email address, such as billing@example.com."],
  invalid_legal_name: ["legal_name", "Enter the company's legal name (up to 200 characters)."],
  invalid_tax_id: ["tax_id", "A tax ID has 2 to 32 letters, digits, spaces, dots or dashes."],
  invalid_address: ["address.line1", "Enter the street address and the city."],
  invalid_country: ["address.country", "Choose a country."],
  invalid_dpa_version: ["dpa_accepted", "Accept the data-processing terms to continue."],
  invalid_data_region: ["data_region", "Choose where your data is stored."],
  invalid_hostname: ["hostname", "Enter a domain name such as app.example.com (letters, digits, dashes and dots)."],
  domain_taken: ["hostname", "Another organization has already verified this domain."],
  invalid_primary_color: ["primary_color", "Choose a primary colour."],
  invalid_accent_color: ["accent_color", "Choose an accent colour."],
  invalid_sender_name: ["sender_name", "Enter a sender name of up to 100 characters, without < > @ or quotation marks."],
  invalid_ats_provider: ["ats_provider", "Enter the name of your applicant tracking system (up to 100 characters)."],
  invalid_ats_api_key: ["ats_api_key", "An API key has 8 to 200 characters, and needs the system's name above."],
  invalid_webhook_urls: ["webhook_urls", "Give 1 to 10 addresses, one per line, each starting with https://."],
  invalid_integrations: ["ats_provider", "Name your applicant tracking system, give a webhook address, or both."],
  invalid_completed: ["completed", "Tick the box when the team is set."],
};

/** The field a refusal is about and what to say there; null for a refusal of the whole step. */
export function fieldRefusal(code: string, values: Values): { field: string; message: string } | null {
  const refusal = REFUSALS[code];
  if (!refusal) return null;
  let [field] = refusal;
  // The address is refused as a whole: point at the part that is missing.
  if (code === "invalid_address" && String(values["address.line1"] ?? "").trim() !== "") field = "address.city";
  return { field, message: refusal[1] };
}

const read = (data: Record<string, unknown> | null, name: string): unknown => {
  const [head, tail] = name.split(".");
  const value = data?.[head];
  return tail ? (value as Record<string, unknown> | undefined)?.[tail] : value;
};

/** The form's starting values: what was saved, else sensible defaults (the organization's
 * name, the browser's time zone). */
export function savedValues(phase: Phase, organizationName: string): Values {
  const values: Values = {};
  for (const field of PHASE_FIELDS[phase.key] ?? []) {
    const saved = read(phase.data, field.name);
    if (field.kind === "checkbox") values[field.name] = field.name === "dpa_accepted" ? typeof read(phase.data, "dpa_version") === "string" : saved === true;
    else if (field.kind === "lines") values[field.name] = Array.isArray(saved) ? saved.join("\n") : "";
    else if (field.kind === "secret") values[field.name] = "";
    else values[field.name] = typeof saved === "string" ? saved : "";
  }
  if (phase.key === "organization-setup") {
    values.name ||= organizationName;
    values.time_zone ||= browserTimeZone();
  }
  if (phase.key === "brand-identity") {
    values.primary_color ||= "#1f5eff";
    values.accent_color ||= "#ff8a00";
    values.sender_name ||= organizationName;
  }
  return values;
}

/** The JSON the step saves: empty optional fields left out, the address nested, the
 * terms as their version. */
export function phaseData(key: PhaseKey, values: Values): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const field of PHASE_FIELDS[key]) {
    const value = values[field.name];
    if (field.name === "dpa_accepted") {
      if (value === true) data.dpa_version = DPA_VERSION;
      continue;
    }
    if (field.kind === "checkbox") {
      data[field.name] = value === true;
      continue;
    }
    if (field.kind === "lines") {
      const lines = String(value ?? "").split("\n").map((line) => line.trim()).filter(Boolean);
      if (lines.length) data[field.name] = lines;
      continue;
    }
    const text = String(value ?? "").trim();
    if (!text) continue;
    const [head, tail] = field.name.split(".");
    if (tail) data[head] = { ...(data[head] as object | undefined), [tail]: text };
    else data[head] = text;
  }
  // The address is sent as an object even when empty, so that its refusal names it.
  if (key === "billing" && !data.address) data.address = {};
  return data;
}
