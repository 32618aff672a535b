// The floor of any edge function on this runtime, for the benchmark: the signup webhook's
// body read, the one call the Rust function makes (the same SQL function, through the
// gateway, with the secret key), its answer passed on. Nothing of a product's — no
// validation, no error codes, no log line, and a plain comparison of the secret — so what
// it costs is what serving and making one call costs in a Deno isolate. Never deployed.
const secret = Deno.env.get("ONBOARDING_WEBHOOK_SECRET");
const secretKey = JSON.parse(Deno.env.get("SUPABASE_SECRET_KEYS")!).default;
const rpc = `${Deno.env.get("SUPABASE_URL")}/rest/v1/rpc/create_signup_workspace`;

Deno.serve(async (req) => {
  if (req.headers.get("authorization") !== `Bearer ${secret}`) return new Response(null, { status: 401 });
  const { record } = await req.json();
  const answer = await fetch(rpc, {
    method: "POST",
    headers: { apikey: secretKey, "content-type": "application/json" },
    body: JSON.stringify({ p_user_id: record.id, p_email: record.email, p_metadata: record.raw_user_meta_data ?? {} }),
  });
  // Whole, as the Rust function answers (a streamed body adds a second write per answer).
  return new Response(await answer.text(), { status: answer.status, headers: { "content-type": "application/json" } });
});
