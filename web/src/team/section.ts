import type { Session, SupabaseClient } from "@supabase/supabase-js";
import type { OnboardingClient, Role } from "../../../clients/ts/src/index.ts";

/** What every section of the Team page is given: the clients, the organization, the
 * caller and their role there, and `changed()` to tell the other sections to reload
 * (`version` counts those changes). */
export type SectionProps = {
  supabase: SupabaseClient;
  onboarding: OnboardingClient;
  session: Session;
  organizationId: string;
  myRole: Role;
  version: number;
  changed: () => void;
};
