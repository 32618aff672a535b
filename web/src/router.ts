// The app's one router: the path (with its query) is the page's state, so a reload,
// Back/Forward or a new tab lands on the same page and the same step.

/** Goes to `path` inside the app; `replace` when the current entry must not be kept
 * (a page that only forwards, a URL holding tokens). */
export function navigate(path: string, options: { replace?: boolean; state?: unknown } = {}) {
  if (options.replace) history.replaceState(options.state ?? null, "", path);
  else history.pushState(options.state ?? null, "", path);
  dispatchEvent(new PopStateEvent("popstate", { state: options.state ?? null }));
}

/** Same-origin links that are not downloads or new tabs stay inside the app. */
export function interceptLinks(event: MouseEvent) {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const anchor = (event.target as Element | null)?.closest?.("a");
  if (!anchor || anchor.target || anchor.hasAttribute("download")) return;
  const url = new URL(anchor.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith("/_inbox") || url.pathname.startsWith("/auth/")) return;
  event.preventDefault();
  navigate(url.pathname + url.search + url.hash);
}
