// Before sign-in: the Service ID (super hostnames, or a hostname no operator maps), the language
// choice and the sign-in itself (password or activation code), with every typed refusal shown
// in words and a forgot-password entry that says where to go.
import { api, APIError, session, deviceInfo } from "../api.js";
import { h, field, formValues } from "../dom.js";
import { formatDateTime } from "../i18n.js";

function brandHeader(app) {
  const b = (app.boot && app.boot.branding) || {};
  const logo = (app.ui && app.ui.logo) || b.logo;
  return h("div", { class: "brand-block" },
    logo ? h("img", { class: "logo", src: logo, alt: b.name || "" }) : null,
    b.name ? h("p", { class: "brand-name" }, b.name) : null);
}

export function service(app) {
  const t = app.t;
  app.setTitle(t("login.service_id"));
  const error = h("p", { class: "form-error", role: "alert" }, app.bootError ? app.errorText(app.bootError) : "");
  const form = h("form", { class: "card narrow", novalidate: true },
    h("h1", {}, t("login.service_id")),
    h("p", {}, t("login.service_prompt")),
    field("service", t("login.service_id"), { required: true, autocomplete: "off", autocapitalize: "none", "data-autofocus": true,
      value: app.query.get("service") || localStorage.getItem("webtv.service") || "" }),
    error,
    h("button", { type: "submit", class: "primary" }, t("login.continue")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const id = formValues(form).service.trim().toLowerCase();
    if (!id) { error.textContent = t("error.unknown_service"); return; }
    try {
      await api("/bootstrap", { query: { host: app.query.get("host") || location.hostname, service: id } });
    } catch (err) {
      error.textContent = app.errorText(err);
      return;
    }
    // Reopened with ?service= so the page's media policy and every later call name the operator.
    localStorage.setItem("webtv.service", id);
    const q = new URLSearchParams({ service: id });
    if (app.query.get("host")) q.set("host", app.query.get("host"));
    location.assign("/tv/?" + q.toString());
  });
  return h("section", { class: "start" }, form);
}

export function language(app) {
  const t = app.t;
  app.setTitle(t("login.language"));
  return h("section", { class: "start" },
    h("div", { class: "card narrow" }, brandHeader(app),
      h("h1", {}, t("login.language")),
      h("ul", { class: "choices" }, app.languages().map((l) =>
        h("li", {}, h("button", { type: "button", lang: l.code, dir: l.rtl ? "rtl" : "ltr", "aria-pressed": String(app.lang === l.code),
          onclick: async () => { await app.setLanguage(l.code); app.go("login"); } }, l.name))))));
}

/** The login screen: password or activation code. */
export function login(app) {
  const t = app.t;
  if (session.token && app.me) return { redirect: "home" };
  app.setTitle(t("login.title"));
  const methods = (app.boot && app.boot.authMethods) || ["password"];
  const body = h("div", { class: "login-body" });
  const side = h("aside", { class: "login-side" });
  const texts = (app.boot && app.boot.texts) || {};
  if (texts.loginSide) side.append(h("p", {}, texts.loginSide));
  const support = (app.boot && app.boot.support) || {};
  if (support.text) side.append(h("p", {}, support.text));
  if (texts.disclaimer) side.append(h("p", { class: "disclaimer" }, texts.disclaimer));

  const langs = app.languages();
  const langPicker = langs.length > 1
    ? h("div", { class: "lang-pick" }, field("lang", t("login.language"), { tag: "select",
      options: langs.map((l) => h("option", { value: l.code, selected: l.code === app.lang }, l.name)),
      onchange: async (e) => { await app.setLanguage(e.target.value); app.route(); } }))
    : null;

  const showPassword = () => { body.replaceChildren(passwordForm(app, methods, showCode)); };
  const showCode = () => { body.replaceChildren(codePanel(app, showPassword)); };
  if (methods.includes("password")) showPassword(); else showCode();
  return h("section", { class: "start login" },
    h("div", { class: "card wide" }, brandHeader(app), h("h1", {}, t("login.welcome")), langPicker,
      h("div", { class: "login-columns" }, body, side.childNodes.length ? side : null)));
}

async function signedIn(app, reply) {
  session.token = reply.token;
  await app.signedIn();
  app.go("profiles", { replace: true });
}

function passwordForm(app, methods, showCode) {
  const t = app.t;
  const error = h("p", { class: "form-error", role: "alert", "aria-live": "assertive" });
  const forgot = h("div", { class: "forgot", hidden: true });
  const form = h("form", { class: "login-form", novalidate: true },
    h("h2", {}, t("login.title")),
    field("login", t("login.username"), { autocomplete: "username", required: true, autocapitalize: "none", "data-autofocus": true }),
    field("password", t("login.password"), { type: "password", autocomplete: "current-password", required: true }),
    error,
    h("button", { type: "submit", class: "primary" }, t("login.submit")),
    h("div", { class: "login-links" },
      h("button", { type: "button", class: "link", onclick: () => { forgot.hidden = !forgot.hidden; } }, t("webtv.login.forgot")),
      methods.includes("activation_code") ? h("button", { type: "button", class: "link", onclick: showCode }, t("login.use_code")) : null),
    forgot);
  forgotText(app, forgot);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const v = formValues(form);
    error.textContent = "";
    if (!v.login.trim() || !v.password) { error.textContent = t("webtv.login.missing"); return; }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const reply = await api("/auth/login", { method: "POST", body: { service: app.boot.service, login: v.login.trim(), password: v.password, device: deviceInfo() } });
      await signedIn(app, reply);
    } catch (err) {
      error.textContent = app.errorText(err);
      error.dataset.code = err.code || "";
      button.disabled = false;
    }
  });
  return form;
}

/** Where a subscriber who forgot the login goes: the operator's support contacts. */
function forgotText(app, box) {
  const t = app.t;
  const s = (app.boot && app.boot.support) || {};
  box.append(h("p", {}, t("webtv.login.forgot_help")));
  const list = h("ul", { class: "contacts" });
  if (s.website) list.append(h("li", {}, h("a", { href: s.website, target: "_blank", rel: "noopener" }, s.website)));
  if (s.email) list.append(h("li", {}, h("a", { href: "mailto:" + s.email }, s.email)));
  if (s.phone) list.append(h("li", {}, h("a", { href: "tel:" + s.phone.replace(/\s+/g, "") }, s.phone)));
  if (list.childNodes.length) box.append(list);
}

/** Activation code: the screen shows a code, the subscriber confirms it elsewhere, we poll. */
function codePanel(app, showPassword) {
  const t = app.t;
  const panel = h("div", { class: "code-panel", "aria-live": "polite" }, h("h2", {}, t("login.use_code")));
  const status = h("p", { class: "form-error", role: "alert" });
  let timer = null;
  let stopped = false;
  const stop = () => { stopped = true; if (timer) clearTimeout(timer); };
  const again = h("button", { type: "button", class: "secondary", onclick: () => { stop(); panel.replaceWith(codePanel(app, showPassword)); } }, t("common.retry"));
  panel.append(status);
  (async () => {
    let started;
    try {
      started = await api("/auth/activation-code", { method: "POST", body: { service: app.boot.service, device: deviceInfo() } });
    } catch (err) {
      status.textContent = app.errorText(err);
      panel.append(again);
      return;
    }
    const url = started.verifyURL;
    panel.insertBefore(h("div", { class: "code-box" },
      h("p", {}, t("login.code_instructions", { url })),
      h("p", { class: "code", "aria-label": t("webtv.login.code") }, started.code),
      h("p", { class: "muted" }, t("webtv.login.code_expires", { time: formatDateTime(new Date(started.expiresAt)) })),
      h("p", { class: "muted waiting" }, t("login.code_waiting"))), status);
    const poll = async () => {
      if (stopped || !panel.isConnected) return;
      try {
        const reply = await api("/auth/activation-code/poll", { method: "POST", body: { pollToken: started.pollToken } });
        if (reply && reply.token) { stop(); await signedIn(app, reply); return; }
        status.textContent = "";
      } catch (err) {
        status.textContent = app.errorText(err);
        // An expired or used code needs a new one; a refused session (e.g. device limit) may
        // pass once a place is freed, so polling goes on.
        if (err instanceof APIError && ["activation_expired", "activation_used", "activation_unknown"].includes(err.code)) {
          stop(); panel.append(again); return;
        }
      }
      timer = setTimeout(poll, Math.max(2, started.interval || 5) * 1000);
    };
    timer = setTimeout(poll, Math.max(2, started.interval || 5) * 1000);
  })();
  if ((app.boot.authMethods || []).includes("password")) {
    panel.append(h("button", { type: "button", class: "link", onclick: () => { stop(); showPassword(); } }, t("login.use_password")));
  }
  return panel;
}
