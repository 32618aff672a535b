// Prints the local anon and service-role API keys: HS256 JWTs signed with the local
// JWT secret, with the claims Supabase puts in its own keys.
import { SignJWT } from "jose";

const secret = process.env.SUPABASE_JWT_SECRET;
if (!secret) throw new Error("keys.mjs: missing environment variable SUPABASE_JWT_SECRET");
const key = new TextEncoder().encode(secret);
const tenYears = 10 * 365 * 24 * 3600;
for (const [name, role] of [["SUPABASE_ANON_KEY", "anon"], ["SUPABASE_SERVICE_ROLE_KEY", "service_role"]]) {
  const token = await new SignJWT({ role, iss: "supabase-local" })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + tenYears)
    .sign(key);
  console.log(`${name}=${token}`);
}
