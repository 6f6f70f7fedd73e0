// The subscriber API (docs/CLIENT-API.md): JSON, bearer device session, typed errors.

const BASE = "/api/client/v1";
const TOKEN = "webtv.token";
const DEVICE = "webtv.device";

export class APIError extends Error {
  constructor(status, code, message, fields) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.fields = fields || {};
  }
}

export const session = {
  get token() { return localStorage.getItem(TOKEN); },
  set token(v) { if (v) localStorage.setItem(TOKEN, v); else localStorage.removeItem(TOKEN); },
};

/** This browser's stable device id: one device place per browser profile. */
export function deviceUID() {
  let uid = localStorage.getItem(DEVICE);
  if (!uid) {
    uid = "web-" + (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2));
    localStorage.setItem(DEVICE, uid);
  }
  return uid;
}

/** "Chrome on Linux": what the devices list shows for this browser. */
function browserName() {
  const ua = navigator.userAgent;
  const browser = /Edg\//.test(ua) ? "Edge" : /OPR\//.test(ua) ? "Opera" : /Firefox\//.test(ua) ? "Firefox"
    : /Chrom(e|ium)\//.test(ua) ? "Chrome" : /Safari\//.test(ua) ? "Safari" : "Browser";
  const os = /Android/.test(ua) ? "Android" : /iPhone|iPad/.test(ua) ? "iOS" : /Mac OS X/.test(ua) ? "macOS"
    : /Windows/.test(ua) ? "Windows" : /CrOS/.test(ua) ? "ChromeOS" : /Linux/.test(ua) ? "Linux" : "";
  return os ? `${browser} on ${os}` : browser;
}

export function deviceInfo() {
  return { uid: deviceUID(), type: "web", model: browserName(), appVersion: "webtv-1" };
}

/** Calls the API; resolves with the JSON body (null for 204), rejects with APIError. */
export async function api(path, { method = "GET", body, headers = {}, query } = {}) {
  let url = BASE + path;
  if (query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== "") q.set(k, v);
    const s = q.toString();
    if (s) url += (url.includes("?") ? "&" : "?") + s;
  }
  const h = { Accept: "application/json", ...headers };
  if (session.token) h.Authorization = "Bearer " + session.token;
  if (body !== undefined) h["Content-Type"] = "application/json";
  let res;
  try {
    res = await fetch(url, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-cache" });
  } catch {
    throw new APIError(0, "network", "");
  }
  if (res.status === 204) return null;
  let data = null;
  try { data = await res.json(); } catch { data = null; }
  if (!res.ok) {
    const e = data && data.error;
    const err = new APIError(res.status, e ? e.code : "generic", e ? e.message : res.statusText, e && e.fields);
    if (res.status === 401 && err.code === "session_invalid") window.dispatchEvent(new CustomEvent("webtv:signedout"));
    throw err;
  }
  return data;
}

/** A fresh Idempotency-Key for writes that must not happen twice (renting). */
export function idempotencyKey() {
  return crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2);
}
