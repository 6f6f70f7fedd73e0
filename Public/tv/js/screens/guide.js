// TV guide: a grid of channels × time for one day of the operator's calendar, day by day, with
// "now". A past programme on a catch-up channel plays through its catch-up address; a future
// one can be recorded when the product has recording hours and the channel allows it.
import { api } from "../api.js";
import { h, clear, append } from "../dom.js";
import { formatTime, formatDay, dayKey, addDays } from "../i18n.js";
import { Player } from "../player.js";
import { channelLogo } from "./common.js";

const PX_PER_MINUTE = 5;

export async function render(app, _params, query) {
  const t = app.t;
  app.setTitle(t("guide.title"));
  const today = dayKey(new Date());
  const day = /^\d{4}-\d{2}-\d{2}$/.test(query.get("day") || "") ? query.get("day") : today;
  const [chs, epg] = await Promise.all([api("/channels", { query: app.pq }), api("/epg", { query: { date: day, ...app.pq } })]);
  const byID = new Map(chs.channels.map((c) => [c.id, c]));
  const from = new Date(epg.from).getTime();
  const to = new Date(epg.to).getTime();
  const width = ((to - from) / 60000) * PX_PER_MINUTE;
  const now = Date.now();
  const canRecord = app.me && app.me.product && app.me.product.recordingHours > 0;
  const player = new Player(app, { className: "guide-player" });
  const detail = h("section", { class: "guide-detail", "aria-live": "polite", hidden: true });

  const x = (ms) => ((ms - from) / 60000) * PX_PER_MINUTE;
  const axis = h("div", { class: "guide-axis", style: { width: width + "px" } });
  for (let m = from; m < to; m += 30 * 60000) {
    axis.append(h("span", { class: "tick", style: { "inset-inline-start": x(m) + "px" } }, formatTime(new Date(m))));
  }
  const rows = h("div", { class: "guide-rows" });
  const names = h("div", { class: "guide-names" }, h("div", { class: "guide-corner" }));
  for (const row of epg.channels) {
    const c = byID.get(row.id);
    if (!c) continue;
    names.append(h("div", { class: "guide-name" }, channelLogo(c), h("span", {}, `${c.number} ${c.name}`)));
    const line = h("div", { class: "guide-row", style: { width: width + "px" }, dataset: { channel: c.id } });
    if (!row.programmes.length) { line.classList.add("no-info"); line.append(h("span", { class: "empty-slot" }, t("guide.no_info"))); }
    for (const p of row.programmes) {
      const s = Math.max(new Date(p.start).getTime(), from), e = Math.min(new Date(p.stop).getTime(), to);
      if (e <= s) continue;
      const state = new Date(p.stop).getTime() <= now ? "past" : new Date(p.start).getTime() <= now ? "now" : "future";
      line.append(h("button", { type: "button", class: `programme ${state}${p.catchup ? " catchup" : ""}`,
        style: { "inset-inline-start": x(s) + "px", width: Math.max(x(e) - x(s) - 2, 8) + "px" },
        dataset: { start: p.start, stop: p.stop, state, channel: c.id },
        onclick: () => open(c, p, state) },
        h("span", { class: "p-title" }, p.title), h("span", { class: "p-time" }, formatTime(new Date(p.start)))));
    }
    rows.append(line);
  }
  const nowLine = now >= from && now < to ? h("div", { class: "now-line", style: { "inset-inline-start": x(now) + "px" }, "aria-hidden": "true" }) : null;
  const scroller = h("div", { class: "guide-scroll", tabindex: "-1" }, h("div", { class: "guide-canvas", style: { width: width + "px" } }, axis, rows, nowLine));

  function jumpToNow() {
    if (dayKey(new Date()) !== day) { app.go(`guide?day=${today}`); return; }
    const pos = Math.max(x(Date.now()) - 120, 0);
    const rtl = document.documentElement.dir === "rtl";
    scroller.scrollLeft = rtl ? -pos : pos;
  }

  async function open(c, p, state) {
    clear(detail);
    detail.hidden = false;
    const when = `${formatTime(new Date(p.start))}–${formatTime(new Date(p.stop))}`;
    const message = h("p", { class: "form-error", role: "alert" });
    const actions = h("div", { class: "actions" });
    if (state === "past" && p.catchup) {
      actions.append(h("button", { type: "button", class: "primary", "data-action": "catchup", onclick: async () => {
        detail.append(player.element);
        await player.play({ kind: "catchup", item: `channel:${c.id}`, start: p.start, stop: p.stop });
      } }, t("guide.watch_from_start")));
    }
    if (state === "now") {
      actions.append(h("a", { class: "button primary", href: app.url(`tv/${c.id}`), "data-route": `tv/${c.id}` }, t("guide.watch_live")));
    }
    if (state === "future" && canRecord && c.recording) {
      actions.append(h("button", { type: "button", class: "secondary", "data-action": "record", onclick: async (e) => {
        try {
          await api("/recordings", { method: "POST", body: { channelId: c.id, start: p.start, stop: p.stop, title: p.title } });
          message.className = "form-ok";
          message.textContent = t("webtv.guide.recording_set");
          e.target.disabled = true;
        } catch (err) {
          message.className = "form-error";
          message.textContent = app.errorText(err);
        }
      } }, t("guide.record")));
    }
    actions.append(h("button", { type: "button", class: "secondary", onclick: async () => { await player.stop(); detail.hidden = true; } }, t("common.close")));
    append(detail, [h("h2", {}, p.title), h("p", { class: "muted" }, `${c.number} ${c.name} · ${formatDay(new Date(p.start))} · ${when}`),
      p.description ? h("p", {}, p.description) : null,
      state === "past" && !p.catchup ? h("p", { class: "muted" }, t("error.catchup_unavailable")) : null,
      actions, message]);
    actions.querySelector("button, a").focus();
  }

  const dayLink = (key, text) => h("a", { class: "button secondary", href: app.url(`guide?day=${key}`), "data-route": `guide?day=${key}` }, text);
  const dayName = day === today ? t("guide.today") : day === addDays(today, -1) ? t("guide.yesterday") : day === addDays(today, 1) ? t("guide.tomorrow") : formatDay(new Date(from + 12 * 3600000));
  const element = h("div", { class: "guide-screen" },
    h("div", { class: "guide-bar" },
      h("h1", {}, t("guide.title"), " · ", h("span", { class: "day" }, dayName)),
      h("div", { class: "actions" }, dayLink(addDays(day, -1), t("webtv.guide.previous_day")),
        h("button", { type: "button", class: "primary", onclick: jumpToNow }, t("guide.now")),
        dayLink(addDays(day, 1), t("webtv.guide.next_day")))),
    detail,
    h("div", { class: "guide-grid" }, names, scroller));
  if (day === today) requestAnimationFrame(() => requestAnimationFrame(jumpToNow));
  return { element, leave: () => player.stop() };
}
