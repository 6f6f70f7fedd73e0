// On demand: sections (movies, series, music, courses, apps), detail pages with seasons and
// episodes, songs or lessons, favourites and My List, resume where the profile left off, and
// pay-per-view rental from the wallet with the rental window.
import { api, idempotencyKey } from "../api.js";
import { h } from "../dom.js";
import { formatDateTime, formatDuration } from "../i18n.js";
import { Player } from "../player.js";
import { itemCard, empty } from "./common.js";

const SECTIONS = { movies: "movies", series: "series", music: "music", education: "courses", apps: "apps" };
const PLAYABLE = new Set(["movie", "episode", "song", "lesson"]);
const LISTABLE = new Set(["movie", "series", "season", "episode", "album", "song", "course", "lesson", "app"]);

export async function section(app, [name]) {
  const t = app.t;
  const title = t("menu." + name);
  app.setTitle(title);
  const grid = h("div", { class: "item-grid" });
  const more = h("button", { type: "button", class: "secondary", hidden: true });
  let after = null;
  const load = async () => {
    const page = await api(`/vod/${SECTIONS[name]}`, { query: { ...app.pq, after, limit: 48 } });
    for (const item of page.items) grid.append(itemCard(app, item));
    after = page.next;
    more.hidden = after === null || after === undefined;
    if (!grid.childNodes.length) grid.append(empty(t("vod.empty")));
  };
  more.textContent = t("webtv.vod.more");
  more.addEventListener("click", load);
  await load();
  return h("section", { class: "vod-section" }, h("h1", {}, title), grid, more);
}

async function progressOf(app, kind, id) {
  try { return await api(`/profiles/${app.profile.id}/progress/${kind}/${id}`); } catch { return null; }
}

async function listToggle(app, list, item, labels) {
  const path = `/profiles/${app.profile.id}/${list}/${item.kind}/${item.id}`;
  const entries = await api(`/profiles/${app.profile.id}/${list}`).catch(() => ({ items: [] }));
  let on = entries.items.some((e) => e.type === item.kind && e.id === item.id);
  const button = h("button", { type: "button", class: "secondary", "aria-pressed": String(on) }, on ? labels[1] : labels[0]);
  button.addEventListener("click", async () => {
    await api(path, { method: on ? "DELETE" : "PUT" });
    on = !on;
    button.textContent = on ? labels[1] : labels[0];
    button.setAttribute("aria-pressed", String(on));
  });
  return button;
}

export async function detail(app, [id]) {
  const t = app.t;
  const item = await api(`/vod/items/${id}`, { query: app.pq });
  app.setTitle(item.title);
  const actions = h("div", { class: "actions" });
  const message = h("p", { class: "form-error", role: "alert" });
  if (PLAYABLE.has(item.kind) && item.access === "open") {
    // A rented title says until when it stays open.
    const rentals = await api("/me/rentals").catch(() => ({ rentals: [] }));
    const rental = rentals.rentals.find((r) => r.active && r.item === `${item.kind}:${item.id}`);
    if (rental) actions.append(h("p", { class: "rented" }, t("vod.rented", { date: formatDateTime(new Date(rental.accessUntil)) })));
    const progress = await progressOf(app, item.kind, item.id);
    if (progress && !progress.finished && progress.position > 0) {
      actions.append(h("a", { class: "button primary resume", href: app.url(`watch/${item.kind}/${item.id}`), "data-route": `watch/${item.kind}/${item.id}`,
        dataset: { position: progress.position } }, `${t("vod.resume")} (${formatDuration(progress.position)})`));
      actions.append(h("a", { class: "button secondary", href: app.url(`watch/${item.kind}/${item.id}?start=1`), "data-route": `watch/${item.kind}/${item.id}?start=1` }, t("player.restart")));
    } else {
      actions.append(h("a", { class: "button primary play", href: app.url(`watch/${item.kind}/${item.id}?start=1`), "data-route": `watch/${item.kind}/${item.id}?start=1` }, t("vod.play")));
    }
  }
  if (item.kind === "app" && item.launch && item.launch.web) {
    actions.append(h("a", { class: "button primary", href: item.launch.web, target: "_blank", rel: "noopener" }, t("webtv.vod.open_app")));
  }
  if (item.access === "ppv") actions.append(await rentPanel(app, item, message));
  if (item.access === "locked") actions.append(h("p", { class: "muted" }, t("vod.locked")));
  if (LISTABLE.has(item.kind)) {
    actions.append(await listToggle(app, "favorites", item, [t("vod.add_favourite"), t("vod.remove_favourite")]));
    actions.append(await listToggle(app, "watchlist", item, [t("vod.add_watchlist"), t("vod.remove_watchlist")]));
  }
  const facts = h("dl", { class: "facts" });
  const fact = (k, v) => { if (v) facts.append(h("dt", {}, k), h("dd", {}, v)); };
  fact(t("vod.genres"), (item.genres || []).join(", "));
  fact(t("vod.director"), item.director);
  fact(t("vod.cast"), item.actors);
  if (item.durationSeconds) fact(t("webtv.vod.length"), t("vod.duration", { minutes: Math.round(item.durationSeconds / 60) }));
  fact(t("webtv.vod.rating"), item.ageRating ? item.ageRating + "+" : "");
  const img = item.image || item.cover;
  return h("article", { class: "detail" },
    img ? h("img", { class: "backdrop", src: img, alt: item.title }) : null,
    h("div", { class: "detail-body" },
      (item.parents || []).length ? h("p", { class: "muted crumbs" }, item.parents.map((p) => h("a", { href: app.url(`item/${p.id}`), "data-route": `item/${p.id}` }, p.title))) : null,
      h("h1", {}, item.title, item.year ? h("span", { class: "muted" }, ` (${item.year})`) : null),
      item.description ? h("p", { class: "description" }, item.description) : null,
      actions, message, facts, children(app, item)));
}

function children(app, item) {
  const t = app.t;
  if (!item.children || !item.children.length) return null;
  const row = (c) => h("li", {}, h("a", { href: app.url(`item/${c.id}`), "data-route": `item/${c.id}` },
    c.number ? h("span", { class: "number" }, String(c.number)) : null, " ", c.title));
  if (item.kind === "series") {
    return h("section", { class: "seasons" }, item.children.map((s) => h("details", { open: item.children.length === 1 },
      h("summary", {}, s.title || t("vod.season", { number: s.number })),
      h("ol", { class: "episodes", "aria-label": t("vod.episodes") }, (s.episodes || []).map(row)))));
  }
  return h("ol", { class: "episodes" }, item.children.map(row));
}

async function rentPanel(app, item, message) {
  const t = app.t;
  let offer;
  try { offer = await api(`/ppv/${item.kind}/${item.id}`); } catch (err) { return h("p", { class: "muted" }, app.errorText(err)); }
  const box = h("div", { class: "rent" },
    h("p", {}, h("strong", {}, offer.rule), " · ", t("webtv.vod.window", { window: offer.window })),
    h("p", { class: "muted" }, t("webtv.vod.wallet", { balance: offer.walletBalance.formatted })));
  if (offer.owned) {
    box.append(h("p", {}, t("vod.rented", { date: offer.accessUntil ? formatDateTime(new Date(offer.accessUntil)) : "" })));
    return box;
  }
  const button = h("button", { type: "button", class: "primary", disabled: !offer.affordable }, t("vod.rent", { price: offer.price.formatted }));
  if (!offer.affordable) box.append(h("p", { class: "form-error" }, t("error.insufficient_funds")));
  // One key per offer shown: a double click or a retry after a lost answer rents once.
  const key = idempotencyKey();
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await api(`/ppv/${item.kind}/${item.id}/rent`, { method: "POST", body: {}, headers: { "Idempotency-Key": key } });
      app.route();
    } catch (err) {
      message.textContent = app.errorText(err);
      button.disabled = false;
    }
  });
  box.append(button);
  return box;
}

/** The on-demand player: resumes from the profile's saved position unless ?start=1. */
export async function watch(app, [kind, id], query) {
  const t = app.t;
  const item = await api(`/vod/items/${id}`, { query: app.pq });
  app.setTitle(item.title);
  let resumeAt = 0;
  if (!query.get("start")) {
    const p = await progressOf(app, kind, id);
    if (p && !p.finished) resumeAt = p.position;
  }
  const player = new Player(app, { className: "vod-player" });
  queueMicrotask(() => player.play({ kind: "vod", item: `${kind}:${id}` }, { resumeAt, progressItem: `${kind}:${id}` }));
  const element = h("section", { class: "watch" },
    h("div", { class: "watch-bar" },
      h("a", { class: "button secondary", href: app.url(`item/${id}`), "data-route": `item/${id}` }, t("common.back")),
      h("h1", {}, item.title)),
    player.element);
  return { element, leave: () => player.stop() };
}
