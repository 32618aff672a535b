// supabase-js as a seed-style edge function written today uses it: the project's secret
// key (from SUPABASE_SECRET_KEYS), through the project's URL, as the Rust functions do.
import { createClient } from "@supabase/supabase-js";
import { createLocalJWKSet } from "jose";

const secretKey = JSON.parse(Deno.env.get("SUPABASE_SECRET_KEYS")!).default;

export const admin = createClient(Deno.env.get("SUPABASE_URL")!, secretKey, {
  auth: { persistSession: false, autoRefreshToken: false },
});

/** The project's public signing keys, as Supabase gives them to functions. */
export const projectKeys = createLocalJWKSet(JSON.parse(Deno.env.get("SUPABASE_JWKS")!));

export const json = (status: number, body: unknown) => Response.json(body, { status });
