// The player: asks POST /play for a signed address and plays it in the browser's own HLS
// <video> (no JavaScript HLS library). Keeps the playback counted (heartbeat), stops it when
// the screen is left, reports the resume position of on-demand titles, asks for the parental
// PIN when the API wants it, and says plainly when the browser cannot play HLS or the API refuses.
import { api, APIError } from "./api.js";
import { h, clear } from "./dom.js";
import { pinDialog } from "./screens/common.js";

const HEARTBEAT_MS = 60_000;
const PROGRESS_MS = 10_000;

export function canPlayHLS(video) {
  return video.canPlayType("application/vnd.apple.mpegurl") !== "";
}

export class Player {
  constructor(app, { className = "" } = {}) {
    this.app = app;
    this.video = h("video", { class: "video", controls: true, playsinline: true, preload: "auto", "aria-label": app.t("webtv.player.label") });
    this.message = h("div", { class: "player-message", role: "alert", hidden: true });
    this.overlay = h("div", { class: "player-overlay" });
    this.element = h("div", { class: "player " + className }, this.video, this.overlay, this.message);
    this.playback = null;
    this.heartbeat = null;
    this.progressItem = null;
    this.lastReport = 0;
    this.generation = 0;
    this.video.addEventListener("error", () => {
      if (this.video.getAttribute("src")) this.show(app.t("webtv.player.stream_error"));
    });
    this.video.addEventListener("timeupdate", () => this.maybeReport(false));
    this.video.addEventListener("pause", () => this.maybeReport(true));
  }

  show(text) {
    this.message.hidden = false;
    clear(this.message).append(h("p", {}, text));
    this.element.classList.add("has-message");
  }

  hideMessage() {
    this.message.hidden = true;
    this.element.classList.remove("has-message");
  }

  /** request: {kind, item?, recordingId?, start?, stop?}; opts: {resumeAt, progressItem}. */
  async play(request, { resumeAt = 0, progressItem = null } = {}) {
    await this.stop();
    const gen = ++this.generation;
    this.hideMessage();
    if (!canPlayHLS(this.video)) {
      this.show(this.app.t("webtv.player.unsupported"));
      return false;
    }
    const body = { ...request, ...(this.app.profile ? { profileId: this.app.profile.id } : {}) };
    let grant;
    try {
      grant = await api("/play", { method: "POST", body });
    } catch (err) {
      if (err instanceof APIError && err.code === "parental_pin_required") {
        let pinned = null;
        const pin = await pinDialog(this.app, this.app.t("player.enter_pin"), async (p) => {
          pinned = await api("/play", { method: "POST", body: { ...body, pin: p } });
        });
        if (!pin || !pinned) return false;
        grant = pinned;
      } else {
        if (gen === this.generation) this.show(this.app.errorText(err));
        this.element.dataset.error = err.code || "generic";
        return false;
      }
    }
    if (gen !== this.generation) {
      // Another play() started meanwhile: this grant is not wanted any more.
      api(`/play/${grant.playbackID}/stop`, { method: "POST" }).catch(() => {});
      return false;
    }
    delete this.element.dataset.error;
    this.playback = grant;
    this.progressItem = progressItem;
    this.element.dataset.playback = String(grant.playbackID);
    if (grant.format && grant.format !== "hls" && !grant.url.includes(".m3u8")) {
      this.show(this.app.t("webtv.player.unsupported"));
      return false;
    }
    this.video.src = grant.url;
    if (resumeAt > 0) {
      this.video.addEventListener("loadedmetadata", () => { this.video.currentTime = resumeAt; }, { once: true });
    }
    this.video.play().catch(() => { /* autoplay refused: the controls let the viewer start it */ });
    this.heartbeat = setInterval(() => {
      if (this.playback) api(`/play/${this.playback.playbackID}/heartbeat`, { method: "POST" }).catch(() => {});
    }, HEARTBEAT_MS);
    return true;
  }

  /** Saves the resume position of an on-demand title: every few seconds while playing, and at once on pause or stop. */
  maybeReport(force) {
    if (!this.progressItem || !this.app.profile) return;
    const duration = this.video.duration;
    const position = this.video.currentTime;
    if (!isFinite(duration) || duration < 1 || position < 1) return;
    const now = performance.now();
    if (!force && now - this.lastReport < PROGRESS_MS) return;
    this.lastReport = now;
    this.element.dataset.reported = String(Math.floor(position));
    return api(`/profiles/${this.app.profile.id}/progress`, { method: "PUT",
      body: { item: this.progressItem, position: Math.floor(position), duration: Math.ceil(duration) } }).catch(() => {});
  }

  async stop() {
    this.generation++;   // a play() still waiting for its grant gives it back
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    const playing = this.playback;
    if (playing) {
      await this.maybeReport(true);
      this.playback = null;
      delete this.element.dataset.playback;
      this.video.pause();
      this.video.removeAttribute("src");
      this.video.load();
      try { await api(`/play/${playing.playbackID}/stop`, { method: "POST" }); } catch { /* already ended */ }
    }
  }
}
