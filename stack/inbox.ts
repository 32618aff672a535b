// The local inbox: where the stack's emails go instead of the world, as Mailpit holds
// them in Supabase's local stack. Supabase Auth's confirmations and recoveries (stack/auth.ts)
// land here, and so do the functions' emails when RESEND_API_URL points at the gateway's
// Resend-compatible sink (`POST /_inbox/resend/emails`, the local default without a
// RESEND_API_KEY). Kept in memory: a restart empties it, as a test inbox may be.
//   GET /_inbox                      the messages, newest first (HTML)
//   GET /_inbox/api/messages?to=…    the same as JSON
//   POST /_inbox/resend/emails       Resend's POST /emails contract ({from, to, subject, html, text})

export type InboxMessage = {
  id: string;
  from: string;
  to: string[];
  subject: string;
  html?: string;
  text?: string;
  at: string;
};

const messages: InboxMessage[] = [];
const LIMIT = 1000;

export function deliverToInbox(message: Omit<InboxMessage, "id" | "at">): InboxMessage {
  const stored = { ...message, id: crypto.randomUUID(), at: new Date().toISOString() };
  messages.unshift(stored);
  messages.length = Math.min(messages.length, LIMIT);
  return stored;
}

const escape = (text: string) =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

export async function inboxHandler(request: Request, url: URL): Promise<Response> {
  if (url.pathname === "/_inbox/resend/emails" && request.method === "POST") {
    let body: Record<string, unknown>;
    try {
      body = await request.json();
    } catch {
      return Response.json({ statusCode: 422, name: "validation_error", message: "Invalid JSON body." }, { status: 422 });
    }
    const to = typeof body.to === "string" ? [body.to] : body.to;
    if (!Array.isArray(to) || typeof body.subject !== "string" || typeof body.from !== "string") {
      return Response.json({ statusCode: 422, name: "validation_error", message: "from, to and subject are required." }, { status: 422 });
    }
    const stored = deliverToInbox({
      from: body.from, to: to.map(String), subject: body.subject,
      html: typeof body.html === "string" ? body.html : undefined,
      text: typeof body.text === "string" ? body.text : undefined,
    });
    return Response.json({ id: stored.id });
  }
  if (url.pathname === "/_inbox/api/messages" && request.method === "GET") {
    const to = url.searchParams.get("to")?.toLowerCase();
    return Response.json(to ? messages.filter((m) => m.to.some((t) => t.toLowerCase() === to)) : messages);
  }
  if ((url.pathname === "/_inbox" || url.pathname === "/_inbox/") && request.method === "GET") {
    const rows = messages.map((m) =>
      `<article><h3>${escape(m.subject)}</h3><p><small>${escape(m.at)} — from ${escape(m.from)} to ${escape(m.to.join(", "))}</small></p>` +
      // The HTML is the stack's own (Auth's links, our invite template), shown in a sandbox.
      `<iframe sandbox="allow-top-navigation-by-user-activation allow-popups" srcdoc="${escape(m.html ?? `<pre>${escape(m.text ?? "")}</pre>`)}"></iframe></article>`
    ).join("\n");
    return new Response(
      `<!doctype html><meta charset="utf-8"><title>Local inbox</title>` +
        `<style>body{font:15px system-ui;margin:2rem;max-width:60rem}article{border-bottom:1px solid #ddd;padding:1rem 0}iframe{width:100%;height:10rem;border:1px solid #eee}</style>` +
        `<h1>Local inbox</h1><p>${messages.length} message(s). Emails the local stack sent; nothing left this machine.</p>${rows || "<p>Empty.</p>"}`,
      { headers: { "content-type": "text/html; charset=utf-8" } },
    );
  }
  return new Response("Not Found", { status: 404 });
}
