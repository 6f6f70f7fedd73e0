// Channels and the TV player: groups ("All channels" first), search, the list, live playback,
// number zapping with the keyboard or remote, the now/next banner and favourites.
import { api } from "../api.js";
import { h, clear } from "../dom.js";
import { formatTime } from "../i18n.js";
import { Player } from "../player.js";
import { channelLogo } from "./common.js";

const ZAP_DIGIT_MS = 1500;

export async function render(app, [id]) {
  const t = app.t;
  app.setTitle(t("menu.tv"));
  const [data, favs] = await Promise.all([
    api("/channels", { query: app.pq }),
    api(`/profiles/${app.profile.id}/favorites`).catch(() => ({ items: [] })),
  ]);
  const channels = data.channels;
  const favourites = new Set(favs.items.filter((f) => f.type === "channel").map((f) => f.id));
  const groups = [{ id: "all", name: t("guide.all_channels"), channels: channels.map((c) => c.id) },
    { id: "fav", name: t("rail.favourites"), channels: null }, ...data.groups];
  let group = "all";
  let filter = "";
  let current = null;
  const player = new Player(app, { className: "live" });
  const banner = h("div", { class: "zap-banner", "aria-live": "polite", hidden: true });
  const digits = h("div", { class: "zap-digits", "aria-live": "assertive", hidden: true });
  const favButton = h("button", { type: "button", class: "secondary fav", hidden: true, onclick: () => toggleFavourite() });
  player.overlay.append(banner, digits);
  const list = h("ul", { class: "channel-list", "aria-label": t("menu.tv") });
  const search = h("input", { id: "channel-search", type: "search", autocomplete: "off",
    oninput: (e) => { filter = e.target.value.trim().toLowerCase(); draw(); } });
  const groupSelect = h("select", { id: "channel-group", onchange: (e) => { group = e.target.value; draw(); } },
    groups.map((g) => h("option", { value: g.id }, g.name)));

  function visibleChannels() {
    const g = groups.find((x) => String(x.id) === String(group));
    const ids = g.id === "fav" ? null : new Set(g.channels);
    return channels.filter((c) => (ids ? ids.has(c.id) : favourites.has(c.id))
      && (!filter || c.name.toLowerCase().includes(filter) || String(c.number).startsWith(filter)));
  }

  function draw() {
    clear(list);
    const shown = visibleChannels();
    if (!shown.length) list.append(h("li", { class: "empty" }, t("search.no_results", { query: filter })));
    for (const c of shown) {
      list.append(h("li", {}, h("button", { type: "button", class: "channel-row", "aria-current": current && current.id === c.id ? "true" : null,
        dataset: { number: c.number, id: c.id }, onclick: () => tune(c) },
        h("span", { class: "number" }, String(c.number)), channelLogo(c),
        h("span", { class: "name" }, c.name),
        favourites.has(c.id) ? h("span", { class: "star", "aria-label": t("rail.favourites") }, "★") : null,
        c.status === "down" ? h("span", { class: "badge warn" }, t("webtv.channel.down")) : null)));
    }
  }

  async function showBanner(c) {
    clear(banner).append(h("p", { class: "banner-title" }, h("span", { class: "number" }, String(c.number)), " ", c.name));
    banner.hidden = false;
    try {
      const nn = await api("/epg/now-next", { query: { channels: c.id, ...app.pq } });
      const row = nn.channels[0] || {};
      for (const [key, p] of [["player.now", row.now], ["player.next", row.next]]) {
        if (p) banner.append(h("p", { class: "banner-row" }, h("strong", {}, t(key)), " ", formatTime(new Date(p.start)), " ", p.title));
      }
      if (!row.now && !row.next) banner.append(h("p", { class: "banner-row muted" }, t("guide.no_info")));
    } catch { /* the banner is a courtesy */ }
    const seconds = (app.ui.behaviour && app.ui.behaviour.zapBannerSeconds) || 5;
    clearTimeout(showBanner.timer);
    showBanner.timer = setTimeout(() => { banner.hidden = true; }, seconds * 1000);
  }

  async function tune(c) {
    current = c;
    history.replaceState({}, "", app.url(`tv/${c.id}`));
    favButton.hidden = false;
    favButton.textContent = favourites.has(c.id) ? t("vod.remove_favourite") : t("vod.add_favourite");
    draw();
    showBanner(c);
    await player.play({ kind: "live", item: `channel:${c.id}` });
  }

  async function toggleFavourite() {
    if (!current) return;
    const path = `/profiles/${app.profile.id}/favorites/channel/${current.id}`;
    if (favourites.has(current.id)) { await api(path, { method: "DELETE" }); favourites.delete(current.id); }
    else { await api(path, { method: "PUT" }); favourites.add(current.id); }
    favButton.textContent = favourites.has(current.id) ? t("vod.remove_favourite") : t("vod.add_favourite");
    draw();
  }

  // Number zapping: digits gather for a moment, then the channel with that number is tuned.
  let typed = "";
  let zapTimer = null;
  app.digitHandler = (d) => {
    typed = (typed + d).slice(-5);
    digits.hidden = false;
    digits.textContent = typed;
    clearTimeout(zapTimer);
    zapTimer = setTimeout(() => {
      const n = Number(typed);
      typed = "";
      digits.hidden = true;
      const c = channels.find((x) => x.number === n);
      if (c) tune(c); else { digits.hidden = false; digits.textContent = t("webtv.channel.no_number", { number: n }); setTimeout(() => { digits.hidden = true; }, 1500); }
    }, ZAP_DIGIT_MS);
    return true;
  };

  draw();
  const startID = Number(id) || (app.ui.behaviour && app.ui.behaviour.startChannel ? (channels.find((c) => c.number === app.ui.behaviour.startChannel) || {}).id : null);
  const first = channels.find((c) => c.id === startID);
  if (first) queueMicrotask(() => tune(first));
  else player.show(t("webtv.channel.choose"));

  const element = h("div", { class: "channels-screen" },
    h("aside", { class: "channel-side" },
      h("div", { class: "field" }, h("label", { for: "channel-group" }, t("webtv.channel.group")), groupSelect),
      h("div", { class: "field" }, h("label", { for: "channel-search" }, t("search.title")), search),
      list),
    h("div", { class: "channel-main" }, player.element, h("div", { class: "player-actions" }, favButton,
      h("p", { class: "muted hint" }, t("webtv.channel.zap_hint")))));
  return { element, leave: () => { clearTimeout(zapTimer); return player.stop(); } };
}
