import type { Session, SupabaseClient } from "@supabase/supabase-js";
import type { OnboardingClient } from "../../clients/ts/src/index.ts";

/** What every page is given: the project's client, the typed onboarding client, and the
 * signed-in session (null when signed out). */
export type Deps = { supabase: SupabaseClient; onboarding: OnboardingClient; session: Session | null };
