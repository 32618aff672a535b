// The local stand-in for Supabase Auth (GoTrue), served by the gateway at /auth/v1: the
// documented subset supabase-js uses for email and password. Hosted Supabase has the real
// service; this exists because it cannot run here. It keeps to GoTrue's API (v2 errors:
// `{code, error_code, msg}`), stores users in auth.users as GoTrue does (bcrypt through
// pgcrypto, email_confirmed_at, raw_user_meta_data), connected as supabase_auth_admin, so
// the signup webhook fires as on Supabase, and issues JWTs with Supabase's claims, through
// the custom access token hook, signed as Auth signs them today: ES256 with the project's
// current key (its `kid` in the header). Bearer tokens are accepted when signed with that
// key or with the legacy HS256 secret.
//
//   POST /auth/v1/signup                         {email, password, data?}
//   POST /auth/v1/token?grant_type=password      {email, password}
//   POST /auth/v1/token?grant_type=refresh_token {refresh_token}
//   GET  /auth/v1/user, PUT /auth/v1/user        (Bearer access token) {email?, password?, data?}
//   POST /auth/v1/logout                         (Bearer) revokes the session's refresh tokens
//   GET  /auth/v1/verify?token=…&type=signup|recovery&redirect_to=…   the link in the email
//   POST /auth/v1/verify                         {type, token_hash}
//   POST /auth/v1/recover                        {email}
//   GET  /auth/v1/settings
//   GET  /auth/v1/.well-known/jwks.json           the public keys tokens are signed with
//   /auth/v1/factors…                             TOTP MFA (local/stack/auth-mfa.ts); tokens carry
//                                                 the session's `aal` and `amr`
// Emails go to the local inbox (local/stack/inbox.ts), as Mailpit holds them in Supabase's local stack.
import postgres from "postgres";
import { assuranceOf, factorsOf, mfaHandler } from "./auth-mfa.ts";
import { deliverToInbox } from "./inbox.ts";
import type { ProjectKeys } from "./project-keys.ts";

type Sql = ReturnType<typeof postgres>;
type User = {
  id: string;
  email: string;
  encrypted_password: string | null;
  email_confirmed_at: Date | null;
  confirmation_sent_at: Date | null;
  last_sign_in_at: Date | null;
  raw_app_meta_data: Record<string, unknown>;
  raw_user_meta_data: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
};

const ACCESS_TOKEN_SECONDS = 3600;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/** GoTrue's error body (API version 2024-01-01), which supabase-js turns into AuthApiError. */
const fail = (status: number, errorCode: string, msg: string) =>
  Response.json({ code: status, error_code: errorCode, msg }, {
    status,
    headers: { "x-supabase-api-version": "2024-01-01" },
  });

const randomToken = (bytes = 32) => {
  const raw = crypto.getRandomValues(new Uint8Array(bytes));
  return btoa(String.fromCharCode(...raw)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
};

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export type AuthConfig = {
  sql: Sql;
  keys: ProjectKeys;
  /** The gateway's public URL (the JWT issuer is `${siteUrl}/auth/v1`). */
  siteUrl: string;
  /** Where links land when the client gives no redirect_to (the web app). */
  defaultRedirect: string;
  /** Supabase's "Confirm email": on for hosted projects, and here by default. */
  confirmEmail: boolean;
};

export function authHandler(config: AuthConfig) {
  const { sql, keys } = config;
  const issuer = `${config.siteUrl}/auth/v1`;

  /** As GoTrue allows only the site's URLs: links never carry a session to another origin. */
  const allowedOrigins = new Set([new URL(config.siteUrl).origin, new URL(config.defaultRedirect).origin]);
  const safeRedirect = (requested: string | null): string => {
    try {
      if (requested && allowedOrigins.has(new URL(requested).origin)) return requested;
    } catch { /* not a URL */ }
    return config.defaultRedirect;
  };

  /** The user as GoTrue answers it, with their MFA factors. */
  const userWithFactors = async (user: User) => ({ ...userJson(user), factors: await factorsOf(sql, user.id) });
  const userJson = (user: User) => ({
    id: user.id,
    aud: "authenticated",
    role: "authenticated",
    email: user.email,
    email_confirmed_at: user.email_confirmed_at?.toISOString() ?? null,
    confirmed_at: user.email_confirmed_at?.toISOString() ?? null,
    confirmation_sent_at: user.confirmation_sent_at?.toISOString() ?? null,
    last_sign_in_at: user.last_sign_in_at?.toISOString() ?? null,
    phone: "",
    app_metadata: user.raw_app_meta_data ?? {},
    user_metadata: user.raw_user_meta_data ?? {},
    identities: [],
    created_at: user.created_at.toISOString(),
    updated_at: user.updated_at.toISOString(),
    is_anonymous: false,
  });

  // Whether the database has the hook: asked once (the stack applies migrations before the
  // gateway starts), not on every token.
  let hookPresent: Promise<boolean> | undefined;
  const hookInstalled = () =>
    hookPresent ??= sql`select to_regprocedure('public.custom_access_token_hook(jsonb)') is not null as present`
      .then(([row]) => Boolean(row.present), (error) => {
        hookPresent = undefined; // asked again next time
        throw error;
      });

  /** Supabase's claims, passed through the custom access token hook when the database has it. */
  async function accessToken(user: User, sessionId: string): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const { aal, amr } = await assuranceOf(sql, sessionId);
    let claims: Record<string, unknown> = {
      aud: "authenticated",
      exp: now + ACCESS_TOKEN_SECONDS,
      iat: now,
      iss: issuer,
      sub: user.id,
      email: user.email,
      phone: "",
      app_metadata: user.raw_app_meta_data ?? {},
      user_metadata: user.raw_user_meta_data ?? {},
      role: "authenticated",
      aal,
      amr,
      session_id: sessionId,
      is_anonymous: false,
    };
    if (await hookInstalled()) {
      const event = { user_id: user.id, claims, authentication_method: "password" };
      const [answer] = await sql`select public.custom_access_token_hook(${sql.json(event)}) as result`;
      if (answer.result?.claims) claims = answer.result.claims;
    }
    return await keys.sign(claims);
  }

  async function session(user: User, sessionId?: string) {
    const id = sessionId ?? crypto.randomUUID();
    const refreshToken = randomToken(24);
    if (!sessionId) {
      await sql`insert into auth.sessions (id, user_id) values (${id}, ${user.id})`;
      await sql`insert into auth.mfa_amr_claims (session_id, authentication_method) values (${id}, 'password')`;
    }
    await sql`insert into auth.refresh_tokens (token, user_id, session_id) values (${refreshToken}, ${user.id}, ${id})`;
    const now = Math.floor(Date.now() / 1000);
    return {
      access_token: await accessToken(user, id),
      token_type: "bearer",
      expires_in: ACCESS_TOKEN_SECONDS,
      expires_at: now + ACCESS_TOKEN_SECONDS,
      refresh_token: refreshToken,
      user: await userWithFactors(user),
    };
  }

  async function bearerUser(request: Request): Promise<{ user: User; sessionId: string } | Response> {
    const token = request.headers.get("authorization")?.replace(/^Bearer\s+/i, "") ?? "";
    try {
      const payload = await keys.verify(token);
      if (payload?.role !== "authenticated" || typeof payload.sub !== "string") throw new Error("not a user");
      const [user] = await sql<User[]>`select * from auth.users where id = ${payload.sub}`;
      if (!user) return fail(403, "user_not_found", "User from sub claim in JWT does not exist");
      const [live] = await sql`select 1 from auth.sessions where id = ${String(payload.session_id)}`;
      if (!live) return fail(403, "session_not_found", "Session from session_id claim in JWT does not exist");
      return { user, sessionId: String(payload.session_id) };
    } catch {
      return fail(401, "bad_jwt", "invalid JWT: unable to parse or verify signature");
    }
  }

  /** Sends a signup confirmation or recovery link to the local inbox. */
  async function sendLink(user: User, type: "signup" | "recovery", redirectTo: string | null) {
    const token = randomToken();
    const hash = await sha256Hex(token);
    if (type === "signup") {
      await sql`update auth.users set confirmation_token = ${hash}, confirmation_sent_at = now() where id = ${user.id}`;
    } else {
      await sql`update auth.users set recovery_token = ${hash}, recovery_sent_at = now() where id = ${user.id}`;
    }
    const link = `${issuer}/verify?token=${token}&type=${type}&redirect_to=${encodeURIComponent(safeRedirect(redirectTo))}`;
    const subject = type === "signup" ? "Confirm Your Signup" : "Reset Your Password";
    const action = type === "signup" ? "Confirm your mail" : "Reset password";
    deliverToInbox({
      from: "Supabase Auth <noreply@mail.app.supabase.io>",
      to: [user.email],
      subject,
      html: `<h2>${subject}</h2><p>Follow this link:</p><p><a href="${link}">${action}</a></p>`,
      text: `${subject}\n\n${action}: ${link}\n`,
    });
  }

  async function readJson(request: Request): Promise<Record<string, unknown> | Response> {
    try {
      const body = await request.json();
      if (body && typeof body === "object" && !Array.isArray(body)) return body;
    } catch { /* answered below */ }
    return fail(400, "bad_json", "Could not parse request body as JSON");
  }

  async function signup(request: Request, url: URL): Promise<Response> {
    const body = await readJson(request);
    if (body instanceof Response) return body;
    const email = String(body.email ?? "").trim().toLowerCase();
    const password = String(body.password ?? "");
    if (!EMAIL.test(email) || email.length > 255) {
      return fail(400, "validation_failed", "Unable to validate email address: invalid format");
    }
    if (password.length < 6) {
      return fail(422, "weak_password", "Password should be at least 6 characters.");
    }
    const meta = (body.data && typeof body.data === "object") ? body.data : {};
    const [existing] = await sql`select 1 from auth.users where email = ${email}`;
    if (existing) return fail(422, "user_already_exists", "User already registered");
    let user: User;
    try {
      [user] = await sql<User[]>`
        insert into auth.users (email, encrypted_password, raw_user_meta_data, raw_app_meta_data, email_confirmed_at)
        values (${email}, extensions.crypt(${password}, extensions.gen_salt('bf', 10)), ${sql.json(meta as never)},
                ${sql.json({ provider: "email", providers: ["email"] })},
                ${config.confirmEmail ? null : new Date()})
        returning *`;
    } catch (error) {
      if (String(error).includes("users_email_partial_key")) return fail(422, "user_already_exists", "User already registered");
      throw error;
    }
    if (config.confirmEmail) {
      await sendLink(user, "signup", url.searchParams.get("redirect_to"));
      const [fresh] = await sql<User[]>`select * from auth.users where id = ${user.id}`;
      return Response.json(userJson(fresh));
    }
    return Response.json(await session(user));
  }

  async function token(request: Request, url: URL): Promise<Response> {
    const body = await readJson(request);
    if (body instanceof Response) return body;
    const grant = url.searchParams.get("grant_type");
    if (grant === "password") {
      const email = String(body.email ?? "").trim().toLowerCase();
      const password = String(body.password ?? "");
      const [user] = await sql<User[]>`
        select * from auth.users
        where email = ${email} and encrypted_password = extensions.crypt(${password}, encrypted_password)`;
      if (!user) return fail(400, "invalid_credentials", "Invalid login credentials");
      if (config.confirmEmail && !user.email_confirmed_at) return fail(400, "email_not_confirmed", "Email not confirmed");
      const [signedIn] = await sql<User[]>`update auth.users set last_sign_in_at = now() where id = ${user.id} returning *`;
      return Response.json(await session(signedIn));
    }
    if (grant === "refresh_token") {
      const refreshToken = String(body.refresh_token ?? "");
      // Rotation: a refresh token is used once; using it again revokes nothing new but fails.
      const [used] = await sql`
        update auth.refresh_tokens set revoked = true, updated_at = now()
        where token = ${refreshToken} and not revoked returning user_id, session_id`;
      if (!used) return fail(400, "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found");
      const [user] = await sql<User[]>`select * from auth.users where id = ${used.user_id}`;
      return Response.json(await session(user, used.session_id));
    }
    return fail(400, "validation_failed", "Unsupported grant type");
  }

  async function verify(request: Request, url: URL): Promise<Response> {
    let type: string | null, token: string | null, redirectTo: string | null;
    if (request.method === "GET") {
      type = url.searchParams.get("type");
      token = url.searchParams.get("token");
      redirectTo = safeRedirect(url.searchParams.get("redirect_to"));
    } else {
      const body = await readJson(request);
      if (body instanceof Response) return body;
      type = String(body.type ?? "");
      token = String(body.token_hash ?? body.token ?? "");
      redirectTo = null;
    }
    const hash = await sha256Hex(token ?? "");
    const [user] = type === "signup" || type === "email"
      ? await sql<User[]>`
          update auth.users set email_confirmed_at = coalesce(email_confirmed_at, now()), confirmation_token = null
          where confirmation_token = ${hash} and confirmation_sent_at > now() - interval '24 hours' returning *`
      : type === "recovery"
      ? await sql<User[]>`
          update auth.users set recovery_token = null, email_confirmed_at = coalesce(email_confirmed_at, now())
          where recovery_token = ${hash} and recovery_sent_at > now() - interval '1 hour' returning *`
      : [];
    if (!user) {
      if (redirectTo) {
        return Response.redirect(`${redirectTo}#error=access_denied&error_code=otp_expired&error_description=Email+link+is+invalid+or+has+expired`, 303);
      }
      return fail(403, "otp_expired", "Email link is invalid or has expired");
    }
    const established = await session(user);
    if (!redirectTo) return Response.json(established);
    const fragment = new URLSearchParams({
      access_token: established.access_token,
      expires_at: String(established.expires_at),
      expires_in: String(established.expires_in),
      refresh_token: established.refresh_token,
      token_type: "bearer",
      type: type ?? "signup",
    });
    return Response.redirect(`${redirectTo}#${fragment}`, 303);
  }

  const mfa = mfaHandler({
    sql, fail, readJson, bearerUser,
    refreshSession: async (userId, sessionId) => {
      const [user] = await sql<User[]>`select * from auth.users where id = ${userId}`;
      return session(user, sessionId);
    },
  });

  return async function handle(request: Request, url: URL): Promise<Response> {
    const path = url.pathname.slice("/auth/v1".length) || "/";
    if (request.method === "OPTIONS") return new Response(null, { status: 204 });
    if (path === "/.well-known/jwks.json" && request.method === "GET") {
      return Response.json(keys.jwks, { headers: { "cache-control": "public, max-age=600" } });
    }
    if (path === "/settings" && request.method === "GET") {
      return Response.json({
        external: { email: true, phone: false }, disable_signup: false, mailer_autoconfirm: !config.confirmEmail,
        phone_autoconfirm: false, sms_provider: "", saml_enabled: false,
      });
    }
    if (path === "/signup" && request.method === "POST") return signup(request, url);
    if (path === "/token" && request.method === "POST") return token(request, url);
    if (path === "/verify" && (request.method === "GET" || request.method === "POST")) return verify(request, url);
    if (path === "/recover" && request.method === "POST") {
      const body = await readJson(request);
      if (body instanceof Response) return body;
      const email = String(body.email ?? "").trim().toLowerCase();
      if (!EMAIL.test(email)) return fail(400, "validation_failed", "Unable to validate email address: invalid format");
      const [user] = await sql<User[]>`select * from auth.users where email = ${email}`;
      // As GoTrue: the same answer whether or not the address has an account.
      if (user) await sendLink(user, "recovery", url.searchParams.get("redirect_to"));
      return Response.json({});
    }
    if (path === "/user" && (request.method === "GET" || request.method === "PUT")) {
      const found = await bearerUser(request);
      if (found instanceof Response) return found;
      if (request.method === "GET") return Response.json(await userWithFactors(found.user));
      const body = await readJson(request);
      if (body instanceof Response) return body;
      if (body.password !== undefined && String(body.password).length < 6) {
        return fail(422, "weak_password", "Password should be at least 6 characters.");
      }
      if (body.email !== undefined && !EMAIL.test(String(body.email))) {
        return fail(400, "validation_failed", "Unable to validate email address: invalid format");
      }
      const meta = body.data && typeof body.data === "object" ? body.data : null;
      const [user] = await sql<User[]>`
        update auth.users set
          raw_user_meta_data = case when ${meta !== null} then raw_user_meta_data || ${sql.json((meta ?? {}) as never)} else raw_user_meta_data end,
          encrypted_password = case when ${body.password !== undefined}
            then extensions.crypt(${String(body.password ?? "")}, extensions.gen_salt('bf', 10)) else encrypted_password end,
          email = coalesce(${body.email === undefined ? null : String(body.email).toLowerCase()}, email),
          updated_at = now()
        where id = ${found.user.id} returning *`;
      return Response.json(await userWithFactors(user));
    }
    if (path === "/logout" && request.method === "POST") {
      const found = await bearerUser(request);
      if (found instanceof Response) return found;
      await sql`delete from auth.sessions where id = ${found.sessionId}`;
      return new Response(null, { status: 204 });
    }
    return (await mfa(request, path)) ?? fail(404, "not_found", "Not found");
  };
}
