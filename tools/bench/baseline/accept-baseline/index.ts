// Baseline: seed 002's accept-invite in TypeScript, one call per step.
import { jwtVerify } from "jose";
import { admin, json, projectKeys } from "../_client.ts";

async function sha256Hex(text: string) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.serve(async (req) => {
  const token = req.headers.get("authorization")?.replace(/^Bearer /, "") ?? "";
  let claims;
  try {
    claims = (await jwtVerify(token, projectKeys)).payload as { sub: string; email: string };
  } catch {
    return json(401, { error: "unauthorized" });
  }
  const body = await req.json();
  const { data: invite } = await admin.from("onboarding_invites").select("*").eq("token_hash", await sha256Hex(body.token)).maybeSingle();
  if (!invite) return json(404, { error: "invite_not_found" });
  if (invite.status === "accepted" && invite.accepted_by !== claims.sub) return json(409, { error: "invite_already_accepted" });
  if (invite.status !== "accepted" && new Date(invite.expires_at) < new Date()) return json(410, { error: "invite_expired" });
  if (invite.email !== claims.email?.toLowerCase()) return json(403, { error: "invite_wrong_user" });
  const { data: membership, error } = await admin.from("organization_members")
    .upsert({ organization_id: invite.organization_id, user_id: claims.sub, role: invite.role }, { onConflict: "organization_id,user_id" })
    .select("id, role").single();
  if (error) return json(500, { error: error.message });
  await admin.from("onboarding_invites").update({ status: "accepted", accepted_at: new Date().toISOString(), accepted_by: claims.sub }).eq("id", invite.id);
  await admin.from("profiles").update({ organization_id: invite.organization_id }).eq("id", claims.sub);
  return json(200, { organization_id: invite.organization_id, membership_id: membership.id, role: membership.role });
});
