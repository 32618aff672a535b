// What a function is given, as Supabase gives it today.
import type { ProjectKeys } from "../project-keys.ts";

/**
 * The project's URL and database URL, its keys as JSON objects (`{"default": …}`), its
 * public JWT key set, the legacy keys only while legacy keys are on; then the function
 * secrets the stack was started with (`$STACK_DIR/function-secrets.env`, written by
 * stack.sh from supabase/functions/.env or FUNCTIONS_ENV_FILE); and the stand-in's own
 * limits. Recorded with the stack (`function-env.json`, 0600), so tests that run a
 * function outside the gateway give it exactly this.
 */
export async function functionEnv(
  keys: ProjectKeys,
  project: { url: string; databaseUrl: string; stackDir: string },
): Promise<Record<string, string>> {
  const given: Record<string, string> = {
    SUPABASE_URL: project.url,
    SUPABASE_DB_URL: project.databaseUrl,
    SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: keys.publishable }),
    SUPABASE_SECRET_KEYS: JSON.stringify({ default: keys.secret }),
    SUPABASE_JWKS: JSON.stringify(keys.jwks),
  };
  if (keys.legacyOn) {
    given.SUPABASE_ANON_KEY = keys.legacyAnon;
    given.SUPABASE_SERVICE_ROLE_KEY = keys.legacyServiceRole;
  }
  const secrets = await Deno.readTextFile(`${project.stackDir}/function-secrets.env`).catch(() => "");
  for (const line of secrets.split("\n")) {
    const at = line.indexOf("=");
    // Names starting with SUPABASE_ are Supabase's own: `supabase secrets set` refuses them.
    if (at > 0 && !line.startsWith("#") && !line.startsWith("SUPABASE_")) given[line.slice(0, at)] = line.slice(at + 1);
  }
  for (const name of ["USER_WORKER_MEMORY_MB", "USER_WORKER_WALL_CLOCK_MS", "HOME", "PATH"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) given[name] = value;
  }
  given.DENO_NO_UPDATE_CHECK = "1";
  await Deno.writeTextFile(`${project.stackDir}/function-env.json`, JSON.stringify(given), { mode: 0o600 });
  return given;
}
