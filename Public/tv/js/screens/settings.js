// Settings: account and subscription, language, devices (remove one), parental PIN, log out.
import { api } from "../api.js";
import { h, field, formValues } from "../dom.js";
import { formatDateTime } from "../i18n.js";

export async function render(app) {
  const t = app.t;
  app.setTitle(t("settings.title"));
  const [me, devices, parental] = await Promise.all([api("/me"), api("/devices"), api("/me/parental")]);
  app.me = me;

  const account = h("section", { class: "panel" }, h("h2", {}, t("settings.account")),
    h("dl", { class: "facts" },
      h("dt", {}, t("login.username")), h("dd", {}, me.login),
      h("dt", {}, t("settings.subscription")), h("dd", {}, me.product.name),
      me.expiresAt ? [h("dt", {}, t("webtv.settings.valid")), h("dd", {}, t("settings.expires", { date: formatDateTime(new Date(me.expiresAt)) }))] : null,
      h("dt", {}, t("webtv.settings.wallet")), h("dd", {}, `${me.wallet} ${me.currency}`)),
    me.product.support ? h("p", { class: "muted" }, me.product.support) : null);

  const langs = app.languages();
  const language = h("section", { class: "panel" }, h("h2", {}, t("settings.language")),
    field("settings-lang", t("settings.language"), { tag: "select",
      options: langs.map((l) => h("option", { value: l.code, selected: l.code === app.lang }, l.name)),
      onchange: async (e) => { await app.setLanguage(e.target.value); app.route(); } }));

  const deviceMessage = h("p", { class: "form-error", role: "alert" });
  const deviceList = h("ul", { class: "devices" }, devices.devices.map((d) => h("li", { dataset: { device: d.id } },
    h("div", {}, h("strong", {}, d.model || d.type), " ", h("span", { class: "muted" }, d.type),
      d.current ? h("span", { class: "badge" }, t("webtv.settings.this_device")) : null,
      d.lastSeenAt ? h("p", { class: "muted" }, t("webtv.settings.last_seen", { date: formatDateTime(new Date(d.lastSeenAt)) })) : null),
    d.current || d.linked ? null : h("button", { type: "button", class: "danger", onclick: async () => {
      try { await api(`/devices/${d.id}`, { method: "DELETE" }); app.route(); } catch (err) { deviceMessage.textContent = app.errorText(err); }
    } }, t("settings.remove_device")))));
  const devicesPanel = h("section", { class: "panel" }, h("h2", {}, t("settings.devices")),
    h("p", { class: "muted" }, t("webtv.settings.devices_limit", { count: me.product.maxDevices })), deviceList, deviceMessage);

  const pinMessage = h("p", { class: "form-error", role: "alert" });
  const pinForm = h("form", { class: "pin-change", novalidate: true },
    parental.pinSet ? field("currentPin", t("webtv.settings.current_pin"), { type: "password", inputmode: "numeric", maxlength: 8, autocomplete: "off" }) : null,
    field("newPin", t("webtv.settings.new_pin"), { type: "password", inputmode: "numeric", maxlength: 8, autocomplete: "off" }),
    h("button", { type: "submit", class: "primary" }, t("settings.change_pin")), pinMessage);
  pinForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    const v = formValues(pinForm);
    try {
      await api("/me/parental", { method: "PUT", body: { pin: v.newPin, ...(v.currentPin ? { currentPin: v.currentPin } : {}) } });
      pinMessage.className = "form-ok";
      pinMessage.textContent = t("settings.saved");
      pinForm.reset();
    } catch (err) {
      pinMessage.className = "form-error";
      pinMessage.textContent = err.code === "validation_failed" ? t("webtv.settings.pin_rule") : app.errorText(err);
    }
  });
  const parentalPanel = h("section", { class: "panel" }, h("h2", {}, t("settings.parental_pin")),
    h("p", { class: "muted" }, parental.pinSet ? t("webtv.settings.pin_set") : t("webtv.settings.pin_default")), pinForm);

  const logout = h("button", { type: "button", class: "danger", onclick: async () => {
    try { await api("/auth/logout", { method: "POST" }); } catch { /* signed out anyway */ }
    app.forgetSession();
    app.go("login", { replace: true });
  } }, t("settings.logout"));

  return h("div", { class: "settings" }, h("h1", {}, t("settings.title")), account, language, devicesPanel, parentalPanel,
    h("section", { class: "panel" }, h("h2", {}, t("settings.about")), h("p", { class: "muted" }, t("settings.version", { version: "webtv-1" })), logout));
}
