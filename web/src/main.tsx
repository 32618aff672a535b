/// <reference types="vite/client" />
import { render } from "preact";
import { createClient } from "@supabase/supabase-js";
import { createOnboardingClient } from "../../clients/ts/src/index.ts";
import { App } from "./app.tsx";
import { takeSessionFromUrl } from "./url-session.ts";
import "./style.css";

// Where the project is: /app-config.json (the local stack's gateway serves it), else the
// build's VITE_SUPABASE_URL / VITE_SUPABASE_PUBLISHABLE_KEY. The publishable key
// (`sb_publishable_…`) is the one a browser holds; it works with legacy keys off.
async function config(): Promise<{ supabaseUrl: string; publishableKey: string }> {
  try {
    const response = await fetch("/app-config.json");
    if (response.ok) return await response.json();
  } catch { /* built for elsewhere */ }
  return {
    supabaseUrl: import.meta.env.VITE_SUPABASE_URL,
    publishableKey: import.meta.env.VITE_SUPABASE_PUBLISHABLE_KEY,
  };
}

const { supabaseUrl, publishableKey } = await config();
// The email links' tokens are taken from the URL by the app itself (url-session.ts), so
// that they leave no trace in the history.
const supabase = createClient(supabaseUrl, publishableKey, { auth: { flowType: "implicit", detectSessionInUrl: false } });
const onboarding = createOnboardingClient(supabase);
const link = await takeSessionFromUrl(supabase);
render(<App supabase={supabase} onboarding={onboarding} link={link} />, document.getElementById("app")!);
