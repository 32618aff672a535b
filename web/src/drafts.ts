// What was typed in an onboarding step and not saved yet, per organization and step, kept
// in this browser (localStorage) so that a reload, Back/Forward or a new tab loses
// nothing. Removed once the step is saved, and all of it at sign-out.
import type { Values } from "./phase-fields.ts";

const PREFIX = "onboarding-draft:";
const key = (organizationId: string, phase: string) => `${PREFIX}${organizationId}:${phase}`;

export function readDraft(organizationId: string, phase: string): Values | null {
  try {
    return JSON.parse(localStorage.getItem(key(organizationId, phase)) ?? "null");
  } catch {
    return null;
  }
}

export function writeDraft(organizationId: string, phase: string, values: Values) {
  localStorage.setItem(key(organizationId, phase), JSON.stringify(values));
}

export function removeDraft(organizationId: string, phase: string) {
  localStorage.removeItem(key(organizationId, phase));
}

export function clearDrafts() {
  for (const name of Object.keys(localStorage)) if (name.startsWith(PREFIX)) localStorage.removeItem(name);
}
