// What every part of the gateway answers with: its log line, its JSON error, and the CORS
// headers Supabase's gateway puts on Auth's answers.

export const log = (event: Record<string, unknown>) => console.log(JSON.stringify({ service: "gateway", ...event }));

/** The functions' error shape, `{"error": {"code", "message"}}`. */
export const problem = (status: number, code: string, message: string) =>
  Response.json({ error: { code, message } }, { status });

// As Supabase's gateway answers browsers on other origins for Auth.
const authCors = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, POST, PUT, DELETE, OPTIONS",
  "access-control-allow-headers": "authorization, apikey, content-type, x-client-info, x-supabase-api-version",
  "access-control-expose-headers": "x-supabase-api-version",
};

export function withAuthCors(response: Response): Response {
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(authCors)) headers.set(name, value);
  return new Response(response.body, { status: response.status, headers });
}
