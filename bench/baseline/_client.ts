// supabase-js as a seed-style edge function uses it, pointed straight at PostgREST.
import { createClient } from "@supabase/supabase-js";

const url = Deno.env.get("SUPABASE_URL")!;
const rest = Deno.env.get("POSTGREST_URL")!;

export const admin = createClient(url, Deno.env.get("SUPABASE_SERVICE_ROLE_KEY")!, {
  auth: { persistSession: false, autoRefreshToken: false },
  global: {
    fetch: (input: RequestInfo | URL, init?: RequestInit) =>
      fetch(String(input instanceof Request ? input.url : input).replace(`${url}/rest/v1`, rest), init),
  },
});

export const json = (status: number, body: unknown) => Response.json(body, { status });
