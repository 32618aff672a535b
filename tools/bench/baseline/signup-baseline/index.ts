// Baseline: seed 001's on-signup-create-org in TypeScript, one call per step.
import { admin, json } from "../_client.ts";

const secret = Deno.env.get("ONBOARDING_WEBHOOK_SECRET");

Deno.serve(async (req) => {
  if (req.headers.get("authorization") !== `Bearer ${secret}`) return json(401, { error: "unauthorized" });
  const event = await req.json();
  const userId: string = event.record.id;
  const email: string | undefined = event.record.email;
  const meta = event.record.raw_user_meta_data ?? {};
  const fullName = meta.full_name || meta.name || email?.split("@")[0] || "User";

  const { data: profile } = await admin.from("profiles").select("id").eq("id", userId).maybeSingle();
  if (profile) {
    const { data: membership } = await admin.from("organization_members").select("organization_id").eq("user_id", userId).eq("role", "owner").maybeSingle();
    if (membership) return json(200, { organization_id: membership.organization_id, created: false });
  } else {
    const { error } = await admin.from("profiles").insert({ id: userId, email, full_name: fullName });
    if (error && error.code !== "23505") return json(500, { error: error.message });
  }
  const base = fullName.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40) || "workspace";
  let organizationId: string | undefined;
  for (let attempt = 0; attempt < 10 && !organizationId; attempt++) {
    const slug = attempt === 0 ? base : `${base}-${userId.slice(0, 8)}${attempt > 1 ? attempt : ""}`;
    const { data: taken } = await admin.from("organizations").select("id").eq("slug", slug).maybeSingle();
    if (taken) continue;
    const { data: org, error } = await admin.from("organizations")
      .insert({ name: `${fullName}'s Workspace`, slug, created_by: userId, signup_user_id: userId }).select("id").single();
    if (error?.code === "23505") continue;
    if (error) return json(500, { error: error.message });
    organizationId = org.id;
  }
  if (!organizationId) return json(500, { error: "no slug" });
  const { error } = await admin.from("organization_members").insert({ organization_id: organizationId, user_id: userId, role: "owner" });
  if (error && error.code !== "23505") return json(500, { error: error.message });
  return json(200, { organization_id: organizationId, created: true });
});
