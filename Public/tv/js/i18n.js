// Strings come from the translations endpoint (English base → deployment → UI overrides, merged
// on the server); the app holds no strings of its own. Dates and times are shown in the
// operator's time zone with the UI's clock format.
import { api } from "./api.js";

const state = { lang: "en", rtl: false, strings: {}, timeZone: "UTC", clock: "24h" };

/** Loads the texts of `lang` for the operator named by `where` ({service} or {host}); with no
 *  operator (where = null) the built-in English texts WebTV's server keeps at /tv/strings.json. */
export async function loadStrings(lang, where, uiID) {
  const data = where
    ? await api(`/translations/${encodeURIComponent(lang)}`, { query: { ...where, ui: uiID } })
    : await fetch("/tv/strings.json", { cache: "no-cache" }).then((r) => { if (!r.ok) throw new Error(r.statusText); return r.json(); });
  state.lang = data.language || lang;
  state.rtl = !!data.rtl;
  state.strings = data.strings || {};
  document.documentElement.lang = state.lang;
  document.documentElement.dir = state.rtl ? "rtl" : "ltr";
  // The offline page cannot ask the server: it shows these, in the language last used.
  localStorage.setItem("webtv.offline", JSON.stringify({ lang: state.lang, rtl: state.rtl,
    title: t("webtv.offline.title"), text: t("webtv.offline.text"), retry: t("common.retry") }));
  return state;
}

export function configure({ timeZone, clock }) {
  if (timeZone) state.timeZone = timeZone;
  if (clock) state.clock = clock;
}

export const current = () => state;

/** t("guide.title"), t("catchup.days", {days: 7}); a missing key shows the key itself. */
export function t(key, vars) {
  let s = state.strings[key];
  if (s === undefined) return key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.split("{" + k + "}").join(String(v));
  return s;
}

/** The message of a refused call: its translated error code, else the generic one. */
export function errorText(err) {
  const code = err && err.code;
  if (code && state.strings["error." + code] !== undefined) return t("error." + code);
  return t("error.generic");
}

export function formatTime(date) {
  return new Intl.DateTimeFormat(state.lang, { hour: "2-digit", minute: "2-digit", hour12: state.clock === "12h", timeZone: state.timeZone }).format(date);
}

export function formatDay(date) {
  return new Intl.DateTimeFormat(state.lang, { weekday: "long", day: "numeric", month: "long", timeZone: state.timeZone }).format(date);
}

export function formatDateTime(date) {
  return new Intl.DateTimeFormat(state.lang, { dateStyle: "medium", timeStyle: "short", hour12: state.clock === "12h", timeZone: state.timeZone }).format(date);
}

/** "YYYY-MM-DD" of an instant in the operator's zone (the guide pages by the operator's days). */
export function dayKey(date) {
  const parts = new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit", timeZone: state.timeZone }).formatToParts(date);
  const get = (type) => parts.find((p) => p.type === type).value;
  return `${get("year")}-${get("month")}-${get("day")}`;
}

export function addDays(key, n) {
  const [y, m, d] = key.split("-").map(Number);
  const u = new Date(Date.UTC(y, m - 1, d + n, 12));
  return u.toISOString().slice(0, 10);
}

export function formatDuration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return (h ? h + ":" + String(m).padStart(2, "0") : String(m)) + ":" + String(r).padStart(2, "0");
}
