// The personal menu (favourites, My List, My Content, messages, profile switch, settings),
// search and messages.
import { api } from "../api.js";
import { h } from "../dom.js";
import { formatDateTime } from "../i18n.js";
import { itemCard, channelLogo, empty } from "./common.js";

function entryLink(app, e) {
  const path = e.type === "channel" ? `tv/${e.id}` : `item/${e.id}`;
  return h("li", {}, h("a", { href: app.url(path), "data-route": path }, e.title));
}

export async function menu(app) {
  const t = app.t;
  app.setTitle(t("webtv.personal.title"));
  const pid = app.profile.id;
  const [favs, watch, rentals, msgs] = await Promise.all([
    api(`/profiles/${pid}/favorites`), api(`/profiles/${pid}/watchlist`), api("/me/rentals"), api("/messages"),
  ]);
  const block = (title, list, emptyText) => h("section", { class: "panel" }, h("h2", {}, title),
    list.length ? h("ul", { class: "plain-list" }, list) : empty(emptyText));
  return h("div", { class: "personal" },
    h("div", { class: "personal-head" },
      h("img", { src: app.profile.avatarImage, alt: "", width: 64, height: 64 }),
      h("h1", {}, app.profile.name),
      h("a", { class: "button secondary", href: app.url("profiles?manage=1"), "data-route": "profiles?manage=1" }, t("webtv.personal.switch")),
      h("a", { class: "button secondary", href: app.url("messages"), "data-route": "messages" }, t("messages.title"), " ",
        msgs.unread ? h("span", { class: "badge" }, t("messages.unread", { count: msgs.unread })) : null),
      h("a", { class: "button secondary", href: app.url("settings"), "data-route": "settings" }, t("settings.title"))),
    block(t("rail.favourites"), favs.items.map((e) => entryLink(app, e)), t("vod.empty")),
    block(t("webtv.personal.watchlist"), watch.items.map((e) => entryLink(app, e)), t("vod.empty")),
    block(t("webtv.personal.my_content"), rentals.rentals.map((r) => h("li", {},
      h("span", {}, r.title), " · ", h("span", { class: "muted" },
        r.active ? t("vod.rented", { date: formatDateTime(new Date(r.accessUntil)) }) : t("webtv.personal.rental_ended")))), t("vod.empty")));
}

export async function messages(app) {
  const t = app.t;
  app.setTitle(t("messages.title"));
  const data = await api("/messages");
  const list = h("ul", { class: "messages" }, data.messages.map((m) => {
    const li = h("li", { class: m.read ? "read" : "unread" },
      h("details", { ontoggle: async (e) => {
        if (e.target.open && !m.read) { await api(`/messages/${m.id}/read`, { method: "POST" }).catch(() => {}); m.read = true; li.className = "read"; }
      } },
      h("summary", {}, h("span", { class: "subject" }, m.subject), " ", h("time", { class: "muted" }, formatDateTime(new Date(m.at)))),
      h("p", {}, m.body),
      h("button", { type: "button", class: "danger", onclick: async () => { await api(`/messages/${m.id}`, { method: "DELETE" }); li.remove(); } }, t("webtv.messages.delete"))));
    return li;
  }));
  return h("section", { class: "panel" }, h("h1", {}, t("messages.title")),
    data.unread ? h("p", { class: "muted" }, t("messages.unread", { count: data.unread })) : null,
    data.messages.length ? list : empty(t("messages.empty")));
}

export async function search(app, _p, query) {
  const t = app.t;
  app.setTitle(t("search.title"));
  const results = h("div", { class: "search-results", "aria-live": "polite" });
  const input = h("input", { id: "q", name: "q", type: "search", minlength: 2, maxlength: 100, value: query.get("q") || "", "data-autofocus": true });
  const form = h("form", { class: "search-form", role: "search" },
    h("div", { class: "field" }, h("label", { for: "q" }, t("search.placeholder")), input),
    h("button", { type: "submit", class: "primary" }, t("search.title")));
  const run = async (q) => {
    results.replaceChildren();
    if (q.trim().length < 2) return;
    const data = await api("/search", { query: { q: q.trim(), ...app.pq } });
    if (!data.channels.length && !data.items.length) { results.append(empty(t("search.no_results", { query: q }))); return; }
    if (data.channels.length) {
      results.append(h("h2", {}, t("menu.tv")), h("div", { class: "rail-items" }, data.channels.map((c) =>
        h("a", { class: "card-channel", href: app.url(`tv/${c.id}`), "data-route": `tv/${c.id}` }, channelLogo(c), h("span", { class: "title" }, `${c.number} ${c.name}`)))));
    }
    if (data.items.length) results.append(h("h2", {}, t("webtv.search.on_demand")), h("div", { class: "item-grid" }, data.items.map((i) => itemCard(app, i))));
  };
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    history.replaceState({}, "", app.url(`search?q=${encodeURIComponent(input.value)}`));
    run(input.value).catch((err) => results.replaceChildren(h("p", { class: "form-error", role: "alert" }, app.errorText(err))));
  });
  if (input.value) run(input.value).catch(() => {});
  return h("section", { class: "search" }, h("h1", {}, t("search.title")), form, results);
}
