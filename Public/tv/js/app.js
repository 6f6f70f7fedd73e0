// WebTV: boot (bootstrap → language → sign-in → profile), the router and the frame around the
// screens (menu from the UI document, personal menu, clock). Screens live in screens/*.js and
// export render(app, params, query) → element; one may return {element, leave} to clean up (the
// player stops its playback there). docs/WEBTV.md describes the whole.
import { api, APIError, session } from "./api.js";
import { h, clear } from "./dom.js";
import { installFocus, focusFirst } from "./focus.js";
import { loadStrings, configure, t, current, formatTime } from "./i18n.js";
import { DEFAULT_UI, applyTheme, label, SECTION_PATHS } from "./ui.js";
import * as start from "./screens/start.js";
import * as profiles from "./screens/profiles.js";
import * as home from "./screens/home.js";
import * as channels from "./screens/channels.js";
import * as guide from "./screens/guide.js";
import * as recordings from "./screens/recordings.js";
import * as vod from "./screens/vod.js";
import * as personal from "./screens/personal.js";
import * as settings from "./screens/settings.js";

const ROOT = "/tv/";
const LANG = "webtv.lang";
const PROFILE = "webtv.profile";
const SERVICE = "webtv.service";

// Path patterns (after /tv/) → screen; `open` screens work before sign-in.
const ROUTES = [
  [/^service$/, start.service, { open: true, bare: true }],
  [/^language$/, start.language, { open: true, bare: true }],
  [/^login$/, start.login, { open: true, bare: true }],
  [/^profiles$/, profiles.list, { bare: true, noProfile: true }],
  [/^profiles\/new$/, profiles.edit, { bare: true, noProfile: true }],
  [/^profiles\/(\d+)$/, profiles.edit, { bare: true, noProfile: true }],
  [/^home$/, home.render, {}],
  [/^tv(?:\/(\d+))?$/, channels.render, { section: "tv" }],
  [/^guide$/, guide.render, { section: "guide" }],
  [/^recordings$/, recordings.render, { section: "recordings" }],
  [/^(movies|series|music|education|apps)$/, vod.section, {}],
  [/^item\/(\d+)$/, vod.detail, {}],
  [/^watch\/(movie|episode|song|lesson)\/(\d+)$/, vod.watch, {}],
  [/^search$/, personal.search, { section: "search" }],
  [/^messages$/, personal.messages, { section: "messages" }],
  [/^me$/, personal.menu, {}],
  [/^settings$/, settings.render, { section: "settings" }],
];

class App {
  constructor() {
    this.root = document.getElementById("app");
    this.query = new URLSearchParams(location.search);
    this.boot = null;
    this.ui = DEFAULT_UI;
    this.me = null;
    this.profile = null;
    this.leave = null;
    this.digitHandler = null;
    this.routeGen = 0;
    this.t = t;
  }

  /** Where the deployment is taken from: the hostname (?host=, else the page's) and the service
   * id typed on a super hostname's Service ID screen (?service=; on an address no operator
   * mapped, the operator's CRM service name). */
  get where() {
    const host = this.query.get("host") || location.hostname;
    const service = this.query.get("service");
    return service ? { host, service } : { host };
  }

  /** An app URL; a path may carry its own query (guide?day=…), the deployment's is kept. */
  url(path) {
    const [p, q] = path.split("?");
    const params = new URLSearchParams(q || "");
    for (const k of ["service", "host"]) if (this.query.get(k)) params.set(k, this.query.get(k));
    const s = params.toString();
    return ROOT + p + (s ? "?" + s : "");
  }

  go(path, { replace = false } = {}) {
    const url = this.url(path);
    if (replace) history.replaceState({}, "", url); else history.pushState({}, "", url);
    return this.route();
  }

  back() {
    if (history.length > 1 && this.path() !== "home") history.back();
    else this.go("home");
  }

  path() { return location.pathname.startsWith(ROOT) ? location.pathname.slice(ROOT.length).replace(/\/$/, "") : ""; }

  get lang() { return current().lang; }

  async start() {
    installFocus(this.root, { back: () => this.back(), digit: (d) => (this.digitHandler ? this.digitHandler(d) : false) });
    window.addEventListener("popstate", () => this.route());
    window.addEventListener("webtv:signedout", () => { session.token = null; this.me = null; this.go("login", { replace: true }); });
    this.root.addEventListener("click", (e) => {
      const a = e.target.closest("a[data-route]");
      if (a && !e.ctrlKey && !e.metaKey && !e.shiftKey) { e.preventDefault(); this.go(a.dataset.route); }
    });
    if ("serviceWorker" in navigator) navigator.serviceWorker.register(ROOT + "sw.js", { scope: ROOT }).catch(() => {});
    this.splash();
    try {
      await this.loadBootstrap();
    } catch (err) {
      return this.fatal(err);
    }
    if (this.boot.serviceRequired || this.bootError) {
      await this.strings(this.storedLang(["en"]));
      return this.go("service", { replace: true });
    }
    await this.strings(this.storedLang(this.languageCodes()));
    if (session.token) {
      try { await this.signedIn(); } catch (err) { if (!(err instanceof APIError) || err.status !== 401) return this.fatal(err); }
    }
    // First visit of a hostname with several languages: the language screen comes first (spec 2.1).
    if (!session.token && !localStorage.getItem(LANG) && this.languages().length > 1 && !this.path()) {
      return this.go("language", { replace: true });
    }
    return this.route();
  }

  splash() {
    clear(this.root).append(h("div", { class: "splash", role: "status", "aria-live": "polite" }, h("div", { class: "spinner", "aria-hidden": "true" })));
  }

  async loadBootstrap() {
    this.bootError = null;
    try {
      this.boot = await api("/bootstrap", { query: { ...this.where, lang: localStorage.getItem(LANG) || undefined } });
    } catch (err) {
      // An unknown hostname or service id: ask for the Service ID, as on a super hostname.
      if (err instanceof APIError && (err.code === "unknown_hostname" || err.code === "unknown_service" || err.code === "validation_failed")) {
        this.bootError = err;
        this.boot = { serviceRequired: true };
        return;
      }
      throw err;
    }
    // What the Service ID screen offers next time: the id typed on a super hostname, else the operator's.
    if (this.boot.service) localStorage.setItem(SERVICE, this.query.get("service") || this.boot.service);
    this.ui = this.boot.ui || DEFAULT_UI;
    this.applyUI();
  }

  applyUI() {
    applyTheme(this.ui, this.boot && this.boot.branding);
    const b = this.ui.behaviour || DEFAULT_UI.behaviour;
    configure({ timeZone: (this.boot && this.boot.timeZone) || "UTC", clock: b.clockFormat });
  }

  /** Languages as [{code, name, rtl}]: the hostname's (bootstrap) and the UI document's. A bare
   *  code is named in its own language by the browser. */
  languages() {
    const own = (code) => { try { return new Intl.DisplayNames([code], { type: "language" }).of(code); } catch { return code; } };
    const list = [...((this.boot && this.boot.languages) || []), ...(this.ui.languages || [])]
      .map((l) => (typeof l === "string" ? { code: l, name: own(l), rtl: false } : l));
    const seen = new Set();
    const out = list.filter((l) => !seen.has(l.code) && seen.add(l.code));
    return out.length ? out : [{ code: "en", name: own("en"), rtl: false }];
  }

  languageCodes() { return this.languages().map((l) => l.code); }

  storedLang(codes) {
    const stored = localStorage.getItem(LANG);
    if (stored && codes.includes(stored)) return stored;
    const def = (this.boot && this.boot.defaultLanguage) || this.ui.defaultLanguage || "en";
    return codes.includes(def) ? def : codes[0] || "en";
  }

  async strings(lang) {
    const known = this.boot && this.boot.service;
    try {
      await loadStrings(lang, known ? { service: this.boot.service } : this.where, this.ui.id || undefined);
    } catch (err) {
      // No operator known yet (the Service ID screen of an unmapped hostname): the built-in texts.
      if (known || !(err instanceof APIError)) throw err;
      await loadStrings(lang, null);
    }
    document.title = this.title();
  }

  async setLanguage(code) {
    localStorage.setItem(LANG, code);
    await this.strings(code);
  }

  /** After sign-in: the account, the product's UI when it differs from the hostname's. */
  async signedIn() {
    this.me = await api("/me");
    const uiID = this.me.product && this.me.product.userInterfaceId;
    if (uiID && uiID !== this.ui.id) {
      try {
        this.ui = await api(`/ui/${encodeURIComponent(uiID)}`);
        this.applyUI();
        await this.strings(this.storedLang(this.languageCodes()));
      } catch { /* the hostname's UI stays */ }
    }
    const stored = Number(localStorage.getItem(PROFILE));
    if (stored) {
      try { this.profile = await api(`/profiles/${stored}`); } catch { this.profile = null; }
    }
  }

  chooseProfile(p) {
    this.profile = p;
    localStorage.setItem(PROFILE, String(p.id));
  }

  forgetSession() {
    session.token = null;
    this.me = null;
    this.profile = null;
    localStorage.removeItem(PROFILE);
  }

  /** The query that scopes catalogue calls to the current profile. */
  get pq() { return this.profile ? { profileId: this.profile.id } : {}; }

  title(part) {
    const brand = (this.boot && this.boot.branding && this.boot.branding.name) || "TV";
    return part ? `${part} · ${brand}` : brand;
  }

  setTitle(part) { document.title = this.title(part); }

  async route() {
    // Only the newest navigation draws: a slow screen must not replace one opened after it.
    const gen = ++this.routeGen;
    const stale = () => gen !== this.routeGen;
    if (this.leave) { const leave = this.leave; this.leave = null; try { await leave(); } catch { /* leaving never blocks */ } }
    this.digitHandler = null;
    this.query = new URLSearchParams(location.search);
    let path = this.path();
    if (this.boot && this.boot.serviceRequired && path !== "service") path = "service";
    if (!path) path = session.token ? (this.ui.behaviour && this.ui.behaviour.startDirectToTV ? "tv" : "home") : "login";
    const match = ROUTES.map(([re, fn, opts]) => [path.match(re), fn, opts]).find(([m]) => m);
    if (!match) return this.go("home", { replace: true });
    const [m, screen, opts] = match;
    if (!opts.open && !session.token) return this.go("login", { replace: true });
    if (!opts.open && !this.me) {
      try { await this.signedIn(); } catch (err) { return stale() ? undefined : this.fatal(err); }
      if (stale()) return;
    }
    if (!opts.open && !opts.noProfile && !this.profile) return this.go("profiles", { replace: true });
    if (path !== this.path()) history.replaceState({}, "", this.url(path));
    localStorage.setItem("webtv.lastURL", location.pathname + location.search);
    let out;
    try {
      out = await screen(this, m.slice(1), this.query);
    } catch (err) {
      out = this.errorPanel(err);
    }
    if (stale()) {
      if (out && out.leave) out.leave();
      return;
    }
    if (out && out.redirect) return this.go(out.redirect, { replace: true });
    const element = out && out.element ? out.element : out;
    this.leave = out && out.leave ? out.leave : null;
    clear(this.root);
    this.root.append(opts.bare ? h("main", { id: "screen", class: "bare" }, element) : this.frame(element, opts.section || path.split("/")[0]));
    focusFirst(element);
    window.scrollTo(0, 0);
  }

  errorPanel(err) {
    // A refusal (4xx) will not change by asking again: only back. A lost connection or a server error may.
    const retry = !err || !err.status || err.status >= 500;
    return h("section", { class: "panel error-panel" }, h("h1", {}, this.t("webtv.error.title")),
      h("p", { role: "alert" }, this.errorText(err)),
      h("div", { class: "actions" },
        retry ? h("button", { type: "button", class: "primary", onclick: () => this.route() }, this.t("common.retry")) : null,
        h("button", { type: "button", class: "secondary", onclick: () => this.back() }, this.t("common.back"))));
  }

  errorText(err) {
    const code = err && err.code;
    const key = "error." + code;
    return code && this.t(key) !== key ? this.t(key) : this.t("error.generic");
  }

  fatal(err) {
    // No server at all: the offline page (the service worker keeps it) says so in the app's language.
    if (err && err.code === "network") { location.replace("/tv/offline.html"); return; }
    clear(this.root).append(h("main", { id: "screen", class: "bare" }, this.errorPanel(err)));
  }

  /** Header (logo, menu in the UI's order, personal menu, clock) around a screen. */
  frame(element, active) {
    const brand = this.boot.branding || {};
    const logo = this.ui.logo || brand.logo;
    const menu = (this.ui.menu || DEFAULT_UI.menu).filter((m) => m.type !== "section" || SECTION_PATHS[m.key]);
    const nav = h("nav", { class: "menu", "aria-label": this.t("webtv.menu.label") },
      h("ul", {}, menu.map((m) => {
        const text = label(m, this.lang, this.t, "menu.");
        if (m.type === "app") {
          return h("li", {}, m.url ? h("a", { href: m.url, target: "_blank", rel: "noopener" }, text) : null);
        }
        const path = SECTION_PATHS[m.key];
        return h("li", {}, h("a", { href: this.url(path), "data-route": path, "aria-current": active === path || active === m.key ? "page" : null }, text));
      })));
    const clock = h("time", { class: "clock" }, formatTime(new Date()));
    const tick = setInterval(() => { if (!clock.isConnected) clearInterval(tick); else clock.textContent = formatTime(new Date()); }, 15000);
    const who = this.profile
      ? h("a", { class: "who", href: this.url("me"), "data-route": "me", "aria-label": this.t("webtv.personal.title") },
        h("img", { src: this.profile.avatarImage, alt: this.profile.name, width: 36, height: 36 }))
      : null;
    return h("div", { class: "frame" },
      h("header", { class: "top" },
        h("a", { class: "brand", href: this.url("home"), "data-route": "home" },
          logo ? h("img", { src: logo, alt: brand.name || "", height: 32 }) : h("span", {}, brand.name || "")),
        nav, h("div", { class: "top-end" }, clock, who)),
      h("main", { id: "screen" }, element));
  }
}

export const app = new App();
app.start();
