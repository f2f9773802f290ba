// Calls to the gateway's JSON API: the session's CSRF token on every call, a reason on every failure,
// and a trip to the login page when the session is gone.

const CSRF = document.querySelector('meta[name="csrf-token"]')?.getAttribute("content") ?? "";

function toLogin() {
  const here = window.location.pathname + window.location.search + window.location.hash;
  window.location.assign(`/login?next=${encodeURIComponent(here)}`);
}

/**
 * `{ ok: true, status, data }` or `{ ok: false, status, error: { code, reason } }`; never throws.
 * A 401 sends the browser to the login page.
 */
export async function call(method, path, body = undefined) {
  const headers = { Accept: "application/json", "X-CSRF-Token": CSRF };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    return { ok: false, status: 0, error: { code: "network", reason: "The gateway did not answer." } };
  }
  if (response.status === 401) {
    toLogin();
    return { ok: false, status: 401, error: { code: "not_logged_in", reason: "Your login ended." } };
  }
  let data = null;
  try {
    data = response.status === 204 ? null : await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error =
      data && typeof data.reason === "string"
        ? { code: data.code ?? `http_${response.status}`, reason: data.reason }
        : { code: `http_${response.status}`, reason: `The gateway answered HTTP ${response.status}.` };
    return { ok: false, status: response.status, error };
  }
  return { ok: true, status: response.status, data };
}

export const get = (path) => call("GET", path);
export const post = (path, body) => call("POST", path, body ?? {});

/** After a dropped live stream: is the session still there? If not, off to the login page. */
export async function checkSession() {
  await call("GET", "/api/session");
}
