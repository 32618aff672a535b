// Mints the local project's keys, once (the stack keeps them in $STACK_DIR/secrets.env and
// the signing key's file, so frontends' .env files and schedulers stay valid across
// restarts), in the shapes a Supabase project created today has:
//   - the legacy `anon` / `service_role` API keys: HS256 JWTs signed with the legacy JWT
//     secret (SUPABASE_JWT_SECRET), with the claims Supabase puts in its own;
//   - the new API keys: `sb_publishable_…` and `sb_secret_…` (opaque strings, not JWTs);
//   - the asymmetric JWT signing key Auth signs access tokens with: an ES256 private JWK
//     with a `kid`, written to the file given as the first argument (0600).
// Prints `NAME=value` lines for the keys not already in its environment (a stack made
// before the new keys keeps its legacy ones); writes the JWK file when it is missing.
// Writes, every time, the key set PostgREST verifies JWTs with (the second argument): the
// signing key's public half, and the legacy secret as a symmetric key, as a project keeps
// its legacy secret as a previously used key so older tokens still verify.
import { exportJWK, exportPKCS8, generateKeyPair, SignJWT } from "jose";
import { randomBytes, createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

const secret = process.env.SUPABASE_JWT_SECRET;
if (!secret) throw new Error("keys.mjs: missing environment variable SUPABASE_JWT_SECRET");
const [signingKeyFile, verifyingKeysFile] = process.argv.slice(2);
if (!signingKeyFile || !verifyingKeysFile) {
  throw new Error("keys.mjs: usage: keys.mjs <signing key file> <verifying key set file>");
}

const legacy = new TextEncoder().encode(secret);
const tenYears = 10 * 365 * 24 * 3600;
const missing = (name) => !process.env[name];
for (const [name, role] of [["SUPABASE_ANON_KEY", "anon"], ["SUPABASE_SERVICE_ROLE_KEY", "service_role"]]) {
  if (!missing(name)) continue;
  const token = await new SignJWT({ role, iss: "supabase-local" })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + tenYears)
    .sign(legacy);
  console.log(`${name}=${token}`);
}

// Supabase's shape: a prefix, 16 random bytes in base64url, `_`, and a short checksum.
const apiKey = (prefix) => {
  const body = randomBytes(16).toString("base64url");
  const check = createHash("sha256").update(prefix + body).digest("base64url").slice(0, 8);
  return `${prefix}${body}_${check}`;
};
if (missing("SUPABASE_PUBLISHABLE_KEY")) console.log(`SUPABASE_PUBLISHABLE_KEY=${apiKey("sb_publishable_")}`);
if (missing("SUPABASE_SECRET_KEY")) console.log(`SUPABASE_SECRET_KEY=${apiKey("sb_secret_")}`);

if (!existsSync(signingKeyFile)) {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: crypto.randomUUID(), alg: "ES256", use: "sig", key_ops: ["sign"] };
  writeFileSync(signingKeyFile, JSON.stringify(jwk) + "\n", { mode: 0o600 });
  // The same key as PKCS#8 PEM beside it, for tests whose JWT library reads PEM.
  writeFileSync(`${signingKeyFile.replace(/\.json$/, "")}.pem`, await exportPKCS8(privateKey), { mode: 0o600 });
}

const { d: _private, key_ops: _ops, ...publicJwk } = JSON.parse(readFileSync(signingKeyFile, "utf8"));
const legacyJwk = { kty: "oct", k: Buffer.from(secret).toString("base64url"), alg: "HS256" };
writeFileSync(verifyingKeysFile, JSON.stringify({ keys: [{ ...publicJwk, key_ops: ["verify"] }, legacyJwk] }) + "\n", { mode: 0o600 });
