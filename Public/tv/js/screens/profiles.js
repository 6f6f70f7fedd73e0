// "Who is watching": choose a profile (a locked one asks for its PIN), add and edit profiles,
// kids profiles. Guarded changes (lifting a limit, changing a locked profile's PIN) ask for the
// account's parental PIN, as the API requires.
import { api } from "../api.js";
import { h, field, formValues } from "../dom.js";
import { pinDialog } from "./common.js";

export async function list(app) {
  const t = app.t;
  app.setTitle(t("profiles.title"));
  const data = await api("/profiles");
  const profiles = data.profiles;
  // One profile only: nothing to choose.
  if (profiles.length === 1 && !profiles[0].pinSet && !app.query.get("manage")) {
    app.chooseProfile(profiles[0]);
    return { redirect: "home" };
  }
  const error = h("p", { class: "form-error", role: "alert" });
  const choose = async (p) => {
    error.textContent = "";
    if (p.pinSet) {
      const ok = await pinDialog(app, t("profiles.enter_pin"), async (pin) => {
        await api(`/profiles/${p.id}/verify-pin`, { method: "POST", body: { pin } });
      });
      if (!ok) return;
    }
    app.chooseProfile(p);
    app.go("home");
  };
  return h("section", { class: "profiles" },
    h("h1", {}, t("profiles.title")),
    h("ul", { class: "profile-grid" },
      profiles.map((p) => h("li", {},
        h("button", { type: "button", class: "profile-tile", onclick: () => choose(p), dataset: { profile: p.name } },
          h("img", { src: p.avatarImage, alt: "", width: 120, height: 120 }),
          h("span", { class: "name" }, p.name),
          p.kids ? h("span", { class: "badge" }, t("profiles.kids")) : null,
          p.pinSet ? h("span", { class: "badge" }, t("webtv.profiles.locked")) : null),
        h("a", { class: "edit-link", href: app.url(`profiles/${p.id}`), "data-route": `profiles/${p.id}` }, t("profiles.edit"), " ", h("span", { class: "sr-only" }, p.name)))),
      profiles.length < data.maxProfiles
        ? h("li", {}, h("a", { class: "profile-tile add", href: app.url("profiles/new"), "data-route": "profiles/new" },
          h("span", { class: "plus", "aria-hidden": "true" }, "+"), h("span", { class: "name" }, t("profiles.add"))))
        : null),
    error);
}

export async function edit(app, [id]) {
  const t = app.t;
  const existing = id ? await api(`/profiles/${id}`) : null;
  app.setTitle(existing ? t("profiles.edit") : t("profiles.add"));
  const { avatars } = await api("/avatars");
  const error = h("p", { class: "form-error", role: "alert" });
  const ratings = [["", t("webtv.profiles.no_limit")], ...[0, 6, 9, 12, 16, 18].map((r) => [String(r), r === 0 ? t("webtv.rating.all") : r + "+"])];
  const form = h("form", { class: "card narrow", novalidate: true },
    h("h1", {}, existing ? t("profiles.edit") : t("profiles.add")),
    field("name", t("profiles.name"), { required: true, maxlength: 30, value: existing ? existing.name : "", "data-autofocus": true }),
    h("fieldset", { class: "avatars" }, h("legend", {}, t("profiles.avatar")),
      avatars.map((a) => h("label", { class: "avatar-choice" },
        // A new profile left without a choice gets the first picture not in use (the server picks it).
        h("input", { type: "radio", name: "avatar", value: a.id, checked: existing ? existing.avatar === a.id : false }),
        h("img", { src: a.image, alt: a.name, width: 56, height: 56 })))),
    h("div", { class: "field check" }, h("input", { type: "checkbox", id: "kids", name: "kids", checked: existing ? existing.kids : false }),
      h("label", { for: "kids" }, t("profiles.kids"))),
    field("maxRating", t("settings.max_rating"), { tag: "select",
      options: ratings.map(([v, l]) => h("option", { value: v, selected: existing ? String(existing.maxRating ?? "") === v : v === "" }, l)) }),
    field("pin", t("profiles.pin"), { type: "password", inputmode: "numeric", pattern: "[0-9]{4,8}", autocomplete: "new-password", maxlength: 8,
      placeholder: existing && existing.pinSet ? "••••" : "" }),
    existing && existing.pinSet ? h("div", { class: "field check" }, h("input", { type: "checkbox", id: "removePin", name: "removePin" }),
      h("label", { for: "removePin" }, t("webtv.profiles.remove_pin"))) : null,
    field("parentalPin", t("settings.parental_pin"), { type: "password", inputmode: "numeric", autocomplete: "off", maxlength: 8,
      "aria-describedby": "parental-help" }),
    h("p", { id: "parental-help", class: "muted" }, t("webtv.profiles.parental_help")),
    error,
    h("div", { class: "actions" },
      h("button", { type: "submit", class: "primary" }, t("settings.save")),
      h("a", { class: "button secondary", href: app.url("profiles?manage=1"), "data-route": "profiles" }, t("common.cancel")),
      existing && !existing.isDefault ? h("button", { type: "button", class: "danger", onclick: () => remove() }, t("profiles.delete")) : null));
  const remove = async () => {
    const v = formValues(form);
    try {
      await api(`/profiles/${existing.id}`, { method: "DELETE", headers: v.parentalPin ? { "X-Parental-PIN": v.parentalPin } : {} });
      if (app.profile && app.profile.id === existing.id) app.profile = null;
      app.go("profiles");
    } catch (err) { error.textContent = app.errorText(err); }
  };
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const v = formValues(form);
    const avatar = form.querySelector("input[name=avatar]:checked");
    const body = { name: v.name.trim(), avatar: avatar ? avatar.value : undefined, kids: v.kids, maxRating: v.maxRating === "" ? null : Number(v.maxRating) };
    if (v.pin) body.pin = v.pin;
    if (v.removePin) body.pin = null;
    if (v.parentalPin) body.parentalPin = v.parentalPin;
    try {
      const saved = existing
        ? await api(`/profiles/${existing.id}`, { method: "PUT", body })
        : await api("/profiles", { method: "POST", body });
      if (app.profile && app.profile.id === saved.id) app.chooseProfile(saved);
      app.go("profiles");
    } catch (err) {
      error.textContent = app.errorText(err);
    }
  });
  return h("section", { class: "start" }, form);
}
