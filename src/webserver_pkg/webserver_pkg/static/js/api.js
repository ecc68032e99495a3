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

async function request(method, path, body, { keepalive = false } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = csrfToken;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      keepalive,
    });
  } catch {
    throw new ApiError("Cannot reach the car. Check that this device is on the car's network.", 0);
  }
  const data = await response.json().catch(() => null);
  if (response.status === 401 && !path.startsWith("/login")) {
    window.location.assign("/login");
  }
  if (!response.ok || (data && data.success === false)) {
    throw new ApiError(reasonFrom(data, response), response.status);
  }
  return data;
}

export const api = {
  get: (path) => request("GET", path),
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
export function notify(message, kind = "error") {
  const area = document.getElementById("messages");
  area.replaceChildren();
  const item = document.createElement("p");
  item.className = `message message-${kind}`;
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
  notify(error instanceof ApiError ? error.message : `Unexpected error: ${error}`, "error");
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
