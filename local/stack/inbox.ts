// The local inbox: where the stack's emails go instead of the world, as Mailpit holds
// them in Supabase's local stack. Supabase Auth's confirmations and recoveries (local/stack/auth.ts)
// land here, and so do the functions' emails, accepted by the one Resend fake
// (local/fakes/resend.ts) the gateway serves at /_inbox/resend (the local default
// RESEND_API_URL). Kept in memory: a restart empties it, as a test inbox may be.
//   GET  /_inbox                      the messages, newest first (HTML)
//   GET  /_inbox/api/messages?to=…    the same as JSON
//   POST /_inbox/api/messages         deliver one ({from, to, subject, html?, text?})

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
  // The mail the stack's stand-ins deliver (the Resend fake, mounted by the gateway at
  // /_inbox/resend or on a port of its own), as Mailpit receives it in Supabase's stack.
  if (url.pathname === "/_inbox/api/messages" && request.method === "POST") {
    const body = await request.json().catch(() => null);
    const to = typeof body?.to === "string" ? [body.to] : body?.to;
    if (!Array.isArray(to) || typeof body.subject !== "string" || typeof body.from !== "string") {
      return Response.json({ error: "from, to and subject are required" }, { status: 422 });
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
    return new Response(inboxPage(), { headers: { "content-type": "text/html; charset=utf-8" } });
  }
  return new Response("Not Found", { status: 404 });
}

/** A message's HTML as the preview frame shows it: every link opens at the top level (a
 * link followed inside the frame would leave it blank, and a one-time link used there
 * would be spent unseen); nothing in it runs (the frame is sandboxed without scripts). */
function previewDocument(message: InboxMessage): string {
  const body = message.html ?? `<pre>${escape(message.text ?? "")}</pre>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><base target="_top">` +
    `<title>${escape(message.subject)}</title></head><body>${body}</body></html>`;
}

/** The inbox page: newest first, each message with its headers and a sandboxed preview. */
function inboxPage(): string {
  const rows = messages.map((m, index) =>
    `<article aria-labelledby="m${index}"><h2 id="m${index}">${escape(m.subject)}</h2>` +
    `<p class="meta">${escape(m.at)} — from ${escape(m.from)} to ${escape(m.to.join(", "))}</p>` +
    // The HTML is the stack's own (Auth's links, our invite template). Links may navigate
    // the top window only when clicked (and may open a new tab); the preview itself
    // never follows a link or runs a script.
    `<iframe title="Message: ${escape(m.subject)}" sandbox="allow-top-navigation-by-user-activation allow-popups allow-popups-to-escape-sandbox" ` +
    `srcdoc="${escape(previewDocument(m))}"></iframe></article>`
  ).join("\n");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"><title>Local inbox</title>` +
    `<style>body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d1d1f;background:#f6f6f8}` +
    `header{background:#fff;border-bottom:1px solid #e3e3e8;padding:.75rem 1rem}header p{margin:0;font-weight:600}` +
    `main{max-width:60rem;margin:0 auto;padding:1rem}h1{font-size:1.5rem}h2{font-size:1.1rem;margin:0}` +
    `article{background:#fff;border:1px solid #e3e3e8;border-radius:8px;padding:1rem;margin:1rem 0}` +
    `.meta{color:#555;font-size:.85rem;overflow-wrap:anywhere}iframe{width:100%;height:12rem;border:1px solid #e3e3e8;border-radius:4px}</style>` +
    `</head><body><header><p>Onboarding · local stack</p></header><main><h1>Local inbox</h1>` +
    `<p>${messages.length} message(s). Emails the local stack sent; nothing left this machine.</p>` +
    `${rows || "<p>Empty.</p>"}</main></body></html>`;
}
