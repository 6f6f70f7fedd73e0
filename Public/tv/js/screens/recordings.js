// Cloud PVR: the customer's recordings with the quota, play a finished one, delete.
import { api } from "../api.js";
import { h } from "../dom.js";
import { formatDateTime } from "../i18n.js";
import { Player } from "../player.js";
import { empty } from "./common.js";

export async function render(app) {
  const t = app.t;
  app.setTitle(t("recordings.title"));
  const [data, chs] = await Promise.all([api("/recordings"), api("/channels", { query: app.pq })]);
  const names = new Map(chs.channels.map((c) => [c.id, `${c.number} ${c.name}`]));
  const q = data.quota;
  const used = Math.round(q.usedHours * 10) / 10;
  const player = new Player(app, { className: "recording-player" });
  const holder = h("div", { class: "player-holder" });
  const message = h("p", { class: "form-error", role: "alert" });
  const list = h("ul", { class: "recording-list" }, data.recordings.map((r) => {
    const row = h("li", { class: "recording", dataset: { state: r.state } },
      h("div", {}, h("h2", {}, r.title || names.get(r.channelId) || ""),
        h("p", { class: "muted" }, `${names.get(r.channelId) || ""} · ${formatDateTime(new Date(r.start))}`),
        h("p", { class: "badge" }, t("webtv.recordings.state." + r.state))),
      h("div", { class: "actions" },
        r.state === "done" ? h("button", { type: "button", class: "primary", onclick: async () => {
          holder.replaceChildren(player.element);
          await player.play({ kind: "recording", recordingId: r.id });
        } }, t("player.play")) : null,
        h("button", { type: "button", class: "danger", onclick: async () => {
          try {
            await api(`/recordings/${r.id}`, { method: "DELETE" });
            app.route();
          } catch (err) { message.textContent = app.errorText(err); }
        } }, t("recordings.delete"))));
    return row;
  }));
  const element = h("section", { class: "recordings" },
    h("h1", {}, t("recordings.title")),
    h("div", { class: "quota" },
      h("label", { for: "quota-bar" }, t("recordings.quota", { used, total: q.totalHours })),
      h("progress", { id: "quota-bar", max: Math.max(q.totalHours, 1), value: Math.min(used, q.totalHours) })),
    holder, message,
    data.recordings.length ? list : empty(t("recordings.empty")));
  return { element, leave: () => player.stop() };
}
