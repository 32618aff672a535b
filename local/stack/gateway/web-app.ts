// The reference web app (web/dist): its files, and index.html for its routes (the app
// routes in the browser) and for any other page a browser asks for (`accept: text/html`),
// with status 404 there: the app shows its own "not found" page, never a JSON body.
import { problem } from "./respond.ts";

const contentTypes: Record<string, string> = {
  html: "text/html; charset=utf-8", js: "text/javascript; charset=utf-8", css: "text/css; charset=utf-8",
  svg: "image/svg+xml", png: "image/png", ico: "image/x-icon", json: "application/json",
};
const appRoute = /^\/(admin|reset-password|onboarding\/join\/[^/]+|onboarding\/[0-9a-f-]{36}|tenant\/[0-9a-f-]{36})?\/?$/;
const asset = /^\/(assets\/[\w.-]+|favicon\.svg)$/;
const api = /^\/(rest|auth|functions)\/v1(\/|$)/;

/** The page or file for a GET of `pathname`, or null when it is not the web app's. */
export async function webAppPage(dist: string, pathname: string, accept: string): Promise<Response | null> {
  const isRoute = appRoute.test(pathname);
  const isAsset = asset.test(pathname);
  const isPage = !isRoute && !isAsset && accept.includes("text/html") && !api.test(pathname);
  if (!isRoute && !isAsset && !isPage) return null;
  const file = isAsset ? `${dist}${pathname}` : `${dist}/index.html`;
  try {
    const body = await Deno.readFile(file);
    const type = contentTypes[file.split(".").pop() ?? ""] ?? "application/octet-stream";
    return new Response(body, {
      status: isPage ? 404 : 200,
      headers: { "content-type": type, "cache-control": isAsset ? "public, max-age=31536000, immutable" : "no-cache" },
    });
  } catch {
    return isAsset ? null : problem(404, "not_found", "the web app is not built (cd web && npm run build)");
  }
}
