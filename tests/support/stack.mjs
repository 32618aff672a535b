// What the JavaScript tests (Deno's and Node's) share: the stack's env files, and the
// links in the stack's local inbox.
import { readFileSync } from "node:fs";

/** `NAME=value` lines (the stack's stack.env, the functions' env file) as an object. */
export function readEnvFile(path) {
  return Object.fromEntries(
    readFileSync(path, "utf8").split("\n")
      .filter((line) => line.includes("=") && !line.startsWith("#"))
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
}

/** The link of the newest `type` email (signup, recovery) to `email` in the local inbox,
 * polled every 100 ms, `tries` times at most. */
export async function inboxLink(baseUrl, email, type, tries = 50) {
  for (let i = 0; i < tries; i++) {
    const messages = await (await fetch(`${baseUrl}/_inbox/api/messages?to=${encodeURIComponent(email)}`)).json();
    const link = messages.map((m) => m.html?.match(/href="([^"]+)"/)?.[1])
      .find((href) => href?.includes(`type=${type}`));
    if (link) return link.replaceAll("&amp;", "&");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no ${type} email for ${email}`);
}
