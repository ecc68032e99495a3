// Talking to the car's JSON API. Every write carries the CSRF token from the page's meta tag, every
// failure becomes an ApiError holding the server's `reason`, so pages can show the user what to fix.

const csrfMeta = document.querySelector('meta[name="csrf-token"]');
const csrfToken = csrfMeta ? csrfMeta.content : "";

class ApiError extends Error {
  // `data` is the whole answer, for routes whose refusal carries more than the reason (an upload's question).
  constructor(reason, status, data = null) {
    super(reason);
    this.status = status;
    this.data = data;
  }
}

function reasonFrom(body, response) {
  if (body && typeof body === "object" && body.reason) return String(body.reason);
  if (response.status === 401) return "Your session has ended. Log in again.";
  if (response.status === 403) return "The car refused this request (security token). Reload the page and try again.";
  if (response.status === 413) return "The file is larger than the car accepts.";
  if (response.status >= 500) return `The car had an internal error (HTTP ${response.status}).`;
  return `The car refused the request (HTTP ${response.status}).`;
}

export const UNREACHABLE = "Cannot reach the car. Check that this device is on the car's network.";

// `timeoutMs`: give up on an answer that does not come (a Wi-Fi that dropped leaves a request hanging rather than
// failing); `toLogin`: whether a 401 sends the page to the login page (a STOP still to be delivered must not).
async function request(method, path, body, { keepalive = false, timeoutMs = 0, toLogin = true } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = csrfToken;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  let data;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      keepalive,
      signal: timeoutMs ? AbortSignal.timeout(timeoutMs) : undefined,
    });
    data = await response.json().catch(() => null);
  } catch {
    throw new ApiError(UNREACHABLE, 0);
  }
  // The car answered: a message saying it could not be reached is no longer true.
  for (const stale of document.querySelectorAll("[data-unreachable]")) stale.remove();
  if (response.status === 401 && toLogin && !path.startsWith("/login")) {
    window.location.assign("/login");
  }
  if (!response.ok || (data && data.success === false)) {
    throw new ApiError(reasonFrom(data, response), response.status, data);
  }
  return data;
}

export const api = {
  get: (path, options) => request("GET", path, undefined, options),
  post: (path, body = {}, options) => request("POST", path, body, options),
  put: (path, body = {}) => request("PUT", path, body),
  delete: (path) => request("DELETE", path),
};

// Uploads use XMLHttpRequest because fetch() cannot report upload progress.
export function uploadFile(path, file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", path);
    xhr.setRequestHeader("X-CSRF-Token", csrfToken);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.responseType = "json";
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener("load", () => {
      const data = xhr.response;
      const fakeResponse = { status: xhr.status };
      if (xhr.status >= 200 && xhr.status < 300 && !(data && data.success === false)) resolve(data);
      else reject(new ApiError(reasonFrom(data, fakeResponse), xhr.status, data));
    });
    xhr.addEventListener("error", () =>
      reject(new ApiError("The upload was interrupted. Check the connection to the car and try again.", 0)),
    );
    const form = new FormData();
    form.append("file", file, file.name);
    xhr.send(form);
  });
}

// One message area per page (in layout.html); screen readers announce it. Only the newest message
// is kept: older ones describe attempts the user has already moved past.
export function notify(message, kind = "error", { unreachable = false } = {}) {
  const area = document.getElementById("messages");
  area.replaceChildren();
  const item = document.createElement("p");
  item.className = `message message-${kind}`;
  if (unreachable) item.dataset.unreachable = "";
  item.setAttribute("role", kind === "error" ? "alert" : "status");
  // Server reasons are written as lower-case clauses; a message on its own reads better capitalised.
  item.textContent = message.charAt(0).toUpperCase() + message.slice(1);
  const close = document.createElement("button");
  close.type = "button";
  close.className = "message-close";
  close.setAttribute("aria-label", "Dismiss message");
  close.textContent = "×";
  close.addEventListener("click", () => item.remove());
  item.append(close);
  area.append(item);
  if (kind !== "error") setTimeout(() => item.remove(), 5000);
}

export function reportError(error) {
  const known = error instanceof ApiError;
  notify(known ? error.message : `Unexpected error: ${error}`, "error", { unreachable: known && error.status === 0 });
}

// Polls while the tab is visible only: a hidden tab costs the car nothing. `task` handles its own errors.
export function pollWhileVisible(task, intervalMs) {
  let timer = null;
  let running = false;
  const visible = () => document.visibilityState === "visible";
  const tick = async () => {
    timer = null;
    running = true;
    try {
      await task();
    } finally {
      running = false;
      if (visible() && timer === null) timer = setTimeout(tick, intervalMs);
    }
  };
  document.addEventListener("visibilitychange", () => {
    if (visible() && timer === null && !running) tick();
    if (!visible() && timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
  });
  tick();
}
