import type { Session, SupabaseClient } from "@supabase/supabase-js";
import { useEffect, useState } from "preact/hooks";
import type { MyOrganization, OnboardingClient } from "../../clients/ts/src/index.ts";
import { navigate } from "./router.ts";

/** The header's organization switcher: the user's organizations, the active one selected
 * (as the access token hook decides it: their profile's while they belong to it, else
 * their first). Choosing one makes it
 * active (`set_active_organization`), refreshes the session so the new token says so,
 * and opens its team. Reloaded on every page change, so a new membership shows at once. */
export function OrganizationSwitcher({ supabase, onboarding, session, path }: {
  supabase: SupabaseClient; onboarding: OnboardingClient; session: Session; path: string;
}) {
  const [options, setOptions] = useState<MyOrganization[]>([]);
  const [active, setActive] = useState<string>("");
  useEffect(() => {
    Promise.all([
      onboarding.myOrganizations(),
      supabase.from("profiles").select("organization_id").eq("id", session.user.id).maybeSingle(),
    ]).then(([mine, profile]) => {
      const usable = (mine.data ?? []).filter((o) => o.status !== "deletion_scheduled");
      const chosen = (profile.data as { organization_id: string | null } | null)?.organization_id;
      setOptions(usable);
      setActive(usable.some((o) => o.organization_id === chosen) ? chosen! : usable[0]?.organization_id ?? "");
    });
  }, [session.user.id, path]);
  if (options.length === 0) return null;
  return (
    <label class="switcher">
      <span class="visually-hidden">Active organization</span>
      <select name="active-organization" value={active} onChange={async (event) => {
        const id = event.currentTarget.value;
        const switched = await onboarding.setActiveOrganization(id);
        if (switched.error) return;
        setActive(id);
        await supabase.auth.refreshSession();
        navigate(`/org/${id}/team`);
      }}>
        {options.map((option) => <option value={option.organization_id}>{option.name}</option>)}
      </select>
    </label>
  );
}
