// The local project's keys as Supabase's platform uses them, for the gateway and the Auth
// stand-in (local/stack/keys.mjs mints them once):
//   - JWTs: Auth signs with the asymmetric key (ES256, with its `kid`), published at
//     /auth/v1/.well-known/jwks.json; the legacy HS256 secret stays a verifying key.
//   - API keys: `sb_publishable_…` / `sb_secret_…` in `apikey`, which the gateway turns
//     into short-lived `anon` / `service_role` JWTs upstream; the legacy `anon` /
//     `service_role` JWT keys while legacy keys are on, refused once they are off.
import {
  createLocalJWKSet, decodeProtectedHeader, importJWK, type JWK, jwtVerify, type JWTPayload, SignJWT,
} from "jose";

export type ApiKeyKind = "publishable" | "secret" | "legacy_anon" | "legacy_service_role";

const env = (name: string): string => {
  const value = Deno.env.get(name);
  if (!value) throw new Error(`missing environment variable ${name}`);
  return value;
};

/** How long a JWT the gateway mints for an API key lives (Supabase's are short-lived). */
const MINTED_SECONDS = 300;

export class ProjectKeys {
  readonly publishable = env("SUPABASE_PUBLISHABLE_KEY");
  readonly secret = env("SUPABASE_SECRET_KEY");
  readonly legacyAnon = env("SUPABASE_ANON_KEY");
  readonly legacyServiceRole = env("SUPABASE_SERVICE_ROLE_KEY");
  readonly legacyOn = (Deno.env.get("LEGACY_API_KEYS") ?? "on") !== "off";
  /** The public key set, as /auth/v1/.well-known/jwks.json serves it. */
  readonly jwks: { keys: JWK[] };
  private readonly legacySecret = new TextEncoder().encode(env("SUPABASE_JWT_SECRET"));
  private readonly publicKeys: ReturnType<typeof createLocalJWKSet>;
  private readonly minted = new Map<string, { token: string; renewAt: number }>();

  private constructor(
    private readonly signingKey: CryptoKey,
    private readonly kid: string,
    publicJwk: JWK,
    /** The Auth URL tokens name as their issuer. */
    readonly issuer: string,
  ) {
    this.jwks = { keys: [publicJwk] };
    this.publicKeys = createLocalJWKSet(this.jwks);
  }

  static async load(issuer: string): Promise<ProjectKeys> {
    const jwk = JSON.parse(await Deno.readTextFile(env("JWT_SIGNING_KEY_FILE"))) as JWK;
    const { d: _private, key_ops: _ops, ...publicJwk } = jwk;
    return new ProjectKeys(
      (await importJWK({ ...jwk, key_ops: ["sign"] }, "ES256")) as CryptoKey,
      String(jwk.kid),
      { ...publicJwk, key_ops: ["verify"] },
      issuer,
    );
  }

  /** Signs claims as Auth does today: ES256 with the current key's `kid`. */
  async sign(claims: JWTPayload): Promise<string> {
    return await new SignJWT(claims).setProtectedHeader({ alg: "ES256", typ: "JWT", kid: this.kid })
      .sign(this.signingKey);
  }

  /** The claims of a JWT signed with the current asymmetric key or the legacy secret
   * (unexpired, a supported algorithm); null for anything else. */
  async verify(token: string): Promise<JWTPayload | null> {
    try {
      const { payload } = decodeProtectedHeader(token).alg === "HS256"
        ? await jwtVerify(token, this.legacySecret, { algorithms: ["HS256"] })
        : await jwtVerify(token, this.publicKeys, { algorithms: ["ES256"] });
      return payload;
    } catch {
      return null;
    }
  }

  /** Which of the project's API keys `value` is, if any. */
  kind(value: string | null): ApiKeyKind | undefined {
    if (value === null) return undefined;
    if (value === this.publishable) return "publishable";
    if (value === this.secret) return "secret";
    if (value === this.legacyAnon) return "legacy_anon";
    if (value === this.legacyServiceRole) return "legacy_service_role";
    return undefined;
  }

  /** A short-lived JWT of `role`, as the platform mints for an `sb_` key; renewed well
   * before it expires, so upstream never sees an expired one. */
  async roleJwt(role: "anon" | "service_role"): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const cached = this.minted.get(role);
    if (cached && cached.renewAt > now) return cached.token;
    const token = await this.sign({ role, iss: this.issuer, iat: now, exp: now + MINTED_SECONDS });
    this.minted.set(role, { token, renewAt: now + MINTED_SECONDS / 2 });
    return token;
  }
}

/** Where a refusal goes: PostgREST's error shape on /rest/v1, GoTrue's on /auth/v1, the
 * functions' `{error: {code, message}}` elsewhere. */
export type Surface = "rest" | "auth" | "functions";

export function refusal(surface: Surface, status: number, code: string, message: string, hint?: string): Response {
  const body = surface === "rest"
    ? { code, message, details: null, hint: hint ?? null }
    : surface === "auth"
    ? { code: status, error_code: code, msg: message }
    : { error: { code, message } };
  return Response.json(body, { status });
}

/**
 * The platform's handling of the credentials on a request, as Supabase's gateway does it:
 *   - `Authorization: Bearer sb_…` is refused unless the same key is the `apikey`;
 *   - a legacy key (in `apikey` or as the bearer) is refused when legacy keys are off;
 *   - an `apikey` that is none of the project's keys is refused; where one is required
 *     (`requireApiKey`: /rest/v1, /auth/v1) and none was sent, likewise;
 *   - upstream, `Authorization` is the caller's own JWT when they sent one, else the JWT
 *     their key stands for (a minted `anon` / `service_role` JWT for an `sb_` key, the
 *     legacy key itself for a legacy one).
 * Returns the headers to send upstream, or the refusal.
 */
export async function translateCredentials(
  keys: ProjectKeys, request: Request, surface: Surface, requireApiKey: boolean,
): Promise<Headers | Response> {
  const headers = new Headers(request.headers);
  const apikey = headers.get("apikey") ?? new URL(request.url).searchParams.get("apikey");
  const bearer = headers.get("authorization")?.match(/^Bearer\s+(\S+)$/i)?.[1] ?? null;
  const presented = keys.kind(apikey);
  if (bearer?.startsWith("sb_") && bearer !== apikey) {
    return refusal(surface, 401, "invalid_authorization",
      "An API key (sb_…) is not a JWT: send it in the apikey header, not as Authorization: Bearer");
  }
  const legacy = (kind: ApiKeyKind | undefined) => kind === "legacy_anon" || kind === "legacy_service_role";
  if (!keys.legacyOn && (legacy(presented) || legacy(keys.kind(bearer)))) {
    return refusal(surface, 401, "legacy_api_keys_disabled",
      "Legacy API keys (anon, service_role) are disabled for this project; use a publishable or secret key",
      "Use the publishable key in browsers and the secret key on servers, in the apikey header.");
  }
  if (apikey !== null && presented === undefined) {
    return refusal(surface, 401, "invalid_api_key", "Invalid API key", "Double check the apikey header.");
  }
  if (apikey === null && requireApiKey) {
    return refusal(surface, 401, "no_api_key", "No API key found in request",
      "No `apikey` request header or url param was found.");
  }
  if (bearer && !bearer.startsWith("sb_")) return headers; // the caller's own JWT, verified upstream
  if (presented === "secret") headers.set("authorization", `Bearer ${await keys.roleJwt("service_role")}`);
  else if (presented === "publishable") headers.set("authorization", `Bearer ${await keys.roleJwt("anon")}`);
  else if (apikey !== null) headers.set("authorization", `Bearer ${apikey}`);
  return headers;
}
