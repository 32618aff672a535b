/// <reference types="vite/client" />
import { render } from "preact";
import { createClient } from "@supabase/supabase-js";
import { createOnboardingClient } from "../../clients/ts/src/index.ts";
import { App } from "./app.tsx";
import "./style.css";

// Where the project is: /app-config.json (the local stack's gateway serves it), else the
// build's VITE_SUPABASE_URL / VITE_SUPABASE_ANON_KEY.
async function config(): Promise<{ supabaseUrl: string; anonKey: string }> {
  try {
    const response = await fetch("/app-config.json");
    if (response.ok) return await response.json();
  } catch { /* built for elsewhere */ }
  return { supabaseUrl: import.meta.env.VITE_SUPABASE_URL, anonKey: import.meta.env.VITE_SUPABASE_ANON_KEY };
}

const { supabaseUrl, anonKey } = await config();
const supabase = createClient(supabaseUrl, anonKey, { auth: { flowType: "implicit", detectSessionInUrl: true } });
const onboarding = createOnboardingClient(supabase);
render(<App supabase={supabase} onboarding={onboarding} />, document.getElementById("app")!);
