// The local Auth stand-in's MFA (local/stack/auth.ts): GoTrue's TOTP factors as
// supabase-js's `auth.mfa` calls them, so an organization's MFA policy can be tried end
// to end on this machine. Hosted projects have the real service.
//
//   POST   /auth/v1/factors                    {factor_type: "totp", friendly_name?, issuer?}
//            → {id, type, friendly_name, totp: {qr_code (SVG), secret, uri}} (unverified)
//   POST   /auth/v1/factors/{id}/challenge     → {id, type: "totp", expires_at}
//   POST   /auth/v1/factors/{id}/verify        {challenge_id, code} → a session at aal2
//   DELETE /auth/v1/factors/{id}               → {id} (a verified factor only from an aal2 session)
//
// Factors, challenges and the session's assurance level live where GoTrue keeps them
// (auth.mfa_factors, auth.mfa_challenges, auth.sessions.aal, auth.mfa_amr_claims).
// TOTP is RFC 6238 (30 s, 6 digits, SHA-1, one step of clock drift either way) through
// `otpauth`; the QR code is `qrcode`'s SVG.
import postgres from "postgres";
import * as OTPAuth from "otpauth";
import QRCode from "qrcode";

type Sql = ReturnType<typeof postgres>;
type Fail = (status: number, errorCode: string, msg: string) => Response;
type Factor = { id: string; user_id: string; friendly_name: string | null; factor_type: string; status: string; secret: string; created_at: Date; updated_at: Date };

/** GoTrue's default: a challenge is good for five minutes. */
const CHALLENGE_SECONDS = 300;

export type MfaDeps = {
  sql: Sql;
  fail: Fail;
  readJson: (request: Request) => Promise<Record<string, unknown> | Response>;
  /** The signed-in user and session of the request's bearer token, or the refusal. */
  bearerUser: (request: Request) => Promise<{ user: { id: string; email: string }; sessionId: string } | Response>;
  /** A new access and refresh token for the session (its claims read its aal and amr). */
  refreshSession: (userId: string, sessionId: string) => Promise<Record<string, unknown>>;
};

/** A factor as GoTrue lists it in `user.factors`. */
export const factorJson = (factor: Factor) => ({
  id: factor.id,
  friendly_name: factor.friendly_name ?? "",
  factor_type: factor.factor_type,
  status: factor.status,
  created_at: factor.created_at.toISOString(),
  updated_at: factor.updated_at.toISOString(),
});

export async function factorsOf(sql: Sql, userId: string) {
  const rows = await sql<Factor[]>`select * from auth.mfa_factors where user_id = ${userId} order by created_at`;
  return rows.map(factorJson);
}

/** The session's assurance level and its `amr` claim, newest method first. */
export async function assuranceOf(sql: Sql, sessionId: string): Promise<{ aal: string; amr: { method: string; timestamp: number }[] }> {
  const [session] = await sql`select aal from auth.sessions where id = ${sessionId}`;
  const claims = await sql`select authentication_method, created_at from auth.mfa_amr_claims
                           where session_id = ${sessionId} order by created_at desc`;
  return {
    aal: session?.aal ?? "aal1",
    amr: claims.map((c) => ({ method: c.authentication_method, timestamp: Math.floor(c.created_at.getTime() / 1000) })),
  };
}

const totpOf = (factor: Factor, issuer: string, email: string) =>
  new OTPAuth.TOTP({ issuer, label: email, algorithm: "SHA1", digits: 6, period: 30, secret: OTPAuth.Secret.fromBase32(factor.secret) });

export function mfaHandler({ sql, fail, readJson, bearerUser, refreshSession }: MfaDeps) {
  async function owned(userId: string, factorId: string): Promise<Factor | Response> {
    const [factor] = await sql<Factor[]>`select * from auth.mfa_factors where id = ${factorId} and user_id = ${userId}`;
    return factor ?? fail(404, "mfa_factor_not_found", "Factor not found");
  }

  async function enroll(request: Request): Promise<Response> {
    const found = await bearerUser(request);
    if (found instanceof Response) return found;
    const body = await readJson(request);
    if (body instanceof Response) return body;
    if (body.factor_type !== "totp") return fail(422, "validation_failed", "factor_type must be totp here (phone and webauthn are not offered)");
    const friendlyName = typeof body.friendly_name === "string" && body.friendly_name.trim() ? body.friendly_name.trim() : null;
    if (friendlyName) {
      const [taken] = await sql`select 1 from auth.mfa_factors where user_id = ${found.user.id} and friendly_name = ${friendlyName}`;
      if (taken) return fail(422, "mfa_factor_name_conflict", `A factor with the friendly name "${friendlyName}" for this user already exists`);
    }
    const issuer = typeof body.issuer === "string" && body.issuer ? body.issuer : new URL(request.url).host;
    const [factor] = await sql<Factor[]>`
      insert into auth.mfa_factors (id, user_id, friendly_name, factor_type, status, secret)
      values (${crypto.randomUUID()}, ${found.user.id}, ${friendlyName}, 'totp', 'unverified', ${new OTPAuth.Secret({ size: 20 }).base32})
      returning *`;
    const uri = totpOf(factor, issuer, found.user.email).toString();
    return Response.json({
      id: factor.id,
      type: "totp",
      friendly_name: factor.friendly_name ?? "",
      totp: { qr_code: await QRCode.toString(uri, { type: "svg", margin: 1 }), secret: factor.secret, uri },
    });
  }

  async function challenge(request: Request, factorId: string): Promise<Response> {
    const found = await bearerUser(request);
    if (found instanceof Response) return found;
    const factor = await owned(found.user.id, factorId);
    if (factor instanceof Response) return factor;
    const [created] = await sql`insert into auth.mfa_challenges (id, factor_id) values (${crypto.randomUUID()}, ${factor.id})
                                returning id, created_at`;
    await sql`update auth.mfa_factors set last_challenged_at = now() where id = ${factor.id}`;
    return Response.json({
      id: created.id,
      type: "totp",
      expires_at: Math.floor(created.created_at.getTime() / 1000) + CHALLENGE_SECONDS,
    });
  }

  async function verify(request: Request, factorId: string): Promise<Response> {
    const found = await bearerUser(request);
    if (found instanceof Response) return found;
    const body = await readJson(request);
    if (body instanceof Response) return body;
    const factor = await owned(found.user.id, factorId);
    if (factor instanceof Response) return factor;
    const challengeId = String(body.challenge_id ?? "");
    const [pending] = /^[0-9a-f-]{36}$/.test(challengeId)
      ? await sql`select id, created_at, verified_at from auth.mfa_challenges where id = ${challengeId} and factor_id = ${factor.id}`
      : [];
    if (!pending || pending.verified_at) return fail(422, "mfa_challenge_expired", "Challenge and verify IDs do not match");
    if (Date.now() - pending.created_at.getTime() > CHALLENGE_SECONDS * 1000) {
      return fail(422, "mfa_challenge_expired", `MFA challenge ${pending.id} has expired, verify against another challenge or create a new challenge.`);
    }
    const code = String(body.code ?? "");
    if (!/^\d{6}$/.test(code) || totpOf(factor, "", found.user.email).validate({ token: code, window: 1 }) === null) {
      return fail(422, "mfa_verification_failed", "Invalid TOTP code entered");
    }
    await sql.begin(async (tx) => {
      await tx`update auth.mfa_challenges set verified_at = now() where id = ${pending.id}`;
      await tx`update auth.mfa_factors set status = 'verified', updated_at = now() where id = ${factor.id}`;
      await tx`update auth.sessions set aal = 'aal2' where id = ${found.sessionId}`;
      await tx`insert into auth.mfa_amr_claims (session_id, authentication_method) values (${found.sessionId}, 'totp')
               on conflict (session_id, authentication_method) do update set created_at = now(), updated_at = now()`;
    });
    return Response.json(await refreshSession(found.user.id, found.sessionId));
  }

  async function unenroll(request: Request, factorId: string): Promise<Response> {
    const found = await bearerUser(request);
    if (found instanceof Response) return found;
    const factor = await owned(found.user.id, factorId);
    if (factor instanceof Response) return factor;
    const { aal } = await assuranceOf(sql, found.sessionId);
    if (factor.status === "verified" && aal !== "aal2") {
      return fail(422, "insufficient_aal", "AAL2 required to unenroll verified factor");
    }
    await sql`delete from auth.mfa_factors where id = ${factor.id}`;
    return Response.json({ id: factor.id });
  }

  /** Answers the request when it is one of the MFA routes, else null. */
  return async function handle(request: Request, path: string): Promise<Response | null> {
    if (path === "/factors" && request.method === "POST") return enroll(request);
    const match = path.match(/^\/factors\/([0-9a-f-]{36})(\/challenge|\/verify)?$/);
    if (!match) return null;
    const [, id, action] = match;
    if (action === "/challenge" && request.method === "POST") return challenge(request, id);
    if (action === "/verify" && request.method === "POST") return verify(request, id);
    if (!action && request.method === "DELETE") return unenroll(request, id);
    return null;
  };
}
