// Home: a hero item and the rails the UI document lists, in its order (continue watching,
// favourites, new movies, new series, channels on now).
import { api } from "../api.js";
import { h } from "../dom.js";
import { formatTime } from "../i18n.js";
import { label } from "../ui.js";
import { itemCard, channelLogo, rail, empty } from "./common.js";

export async function render(app) {
  const t = app.t;
  app.setTitle(t("menu.home"));
  const pid = app.profile.id;
  const [home, chs, cont, favs] = await Promise.all([
    api("/home", { query: app.pq }),
    api("/channels", { query: app.pq }),
    api(`/profiles/${pid}/continue-watching`, { query: { limit: 20 } }).catch(() => ({ items: [] })),
    api(`/profiles/${pid}/favorites`).catch(() => ({ items: [] })),
  ]);
  const byID = new Map(chs.channels.map((c) => [c.id, c]));
  const served = new Map(home.rails.map((r) => [r.id, r]));
  const channelTile = (row) => {
    const c = byID.get(row.id);
    if (!c) return null;
    return h("a", { class: "card-channel", href: app.url(`tv/${c.id}`), "data-route": `tv/${c.id}` }, channelLogo(c),
      h("span", { class: "title" }, `${c.number} ${c.name}`),
      row.now ? h("span", { class: "muted" }, `${formatTime(new Date(row.now.start))} ${row.now.title}`) : null);
  };
  const builders = {
    continue_watching: () => cont.items.map((p) => h("a", { class: "card-item", href: app.url(`item/${p.id}`), "data-route": `item/${p.id}` },
      h("span", { class: "poster-fallback", "aria-hidden": "true" }, p.title.slice(0, 1)),
      h("span", { class: "title" }, p.title), h("progress", { max: 1, value: p.progress || p.position / p.duration, "aria-label": t("webtv.progress") }))),
    favourites: () => favs.items.map((f) => f.type === "channel"
      ? (byID.get(f.id) ? channelTile({ id: f.id }) : null)
      : h("a", { class: "card-item", href: app.url(`item/${f.id}`), "data-route": `item/${f.id}` },
        h("span", { class: "poster-fallback", "aria-hidden": "true" }, f.title.slice(0, 1)), h("span", { class: "title" }, f.title))),
    new_movies: () => ((served.get("new-movies") || {}).items || []).map((i) => itemCard(app, i)),
    new_series: () => ((served.get("new-series") || {}).items || []).map((i) => itemCard(app, i)),
    channels_now: () => ((served.get("live") || {}).items || []).map(channelTile),
  };
  const rails = (app.ui.rails || []).filter((r) => builders[r.key]).map((r) => {
    const items = builders[r.key]().filter(Boolean);
    return items.length ? rail(label(r, app.lang, t, "rail."), items) : null;
  });
  const heroItem = ((served.get("new-movies") || {}).items || []).find((i) => i.image || i.cover);
  const hero = heroItem
    ? h("section", { class: "hero" },
      h("img", { src: heroItem.image || heroItem.cover, alt: heroItem.title }),
      h("div", { class: "hero-text" }, h("p", { class: "muted" }, t("home.featured")), h("h1", {}, heroItem.title),
        heroItem.description ? h("p", {}, heroItem.description) : null,
        h("a", { class: "button primary", href: app.url(`item/${heroItem.id}`), "data-route": `item/${heroItem.id}` }, t("home.more_info"))))
    : h("section", { class: "hero plain" }, h("h1", {}, t("login.welcome"), ", ", app.profile.name));
  return h("div", { class: "home" }, hero, rails.some(Boolean) ? rails : empty(t("vod.empty")));
}
