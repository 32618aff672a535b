import type { SupabaseClient } from "@supabase/supabase-js";

/** What an email link brought back in the URL fragment (Supabase Auth's redirect). */
export type LinkOutcome =
  | { kind: "none" }
  | { kind: "signed-in"; type: string }
  | { kind: "error"; code: string; description: string };

/**
 * Takes the session (or the error) out of the URL that Auth's email links redirect to,
 * and replaces the history entry with the same address without its fragment first, so
 * that no access or refresh token stays in the browser's history (Back never returns to
 * it). supabase-js's own detection is off (`detectSessionInUrl: false`): it would leave
 * the tokens in a history entry.
 */
export async function takeSessionFromUrl(supabase: SupabaseClient): Promise<LinkOutcome> {
  if (!location.hash.includes("access_token=") && !location.hash.includes("error=")) return { kind: "none" };
  const fragment = new URLSearchParams(location.hash.slice(1));
  history.replaceState(history.state, "", location.pathname + location.search);
  const error = fragment.get("error_code") ?? fragment.get("error");
  if (error) return { kind: "error", code: error, description: fragment.get("error_description") ?? "" };
  const access_token = fragment.get("access_token");
  const refresh_token = fragment.get("refresh_token");
  if (!access_token || !refresh_token) return { kind: "none" };
  const { error: refused } = await supabase.auth.setSession({ access_token, refresh_token });
  if (refused) return { kind: "error", code: refused.code ?? "session_refused", description: refused.message };
  return { kind: "signed-in", type: fragment.get("type") ?? "signup" };
}
