// Parts several screens share: the PIN dialog, cards for items and channels, empty states.
import { h } from "../dom.js";

/** Asks for a PIN in a modal dialog; `check(pin)` throws an APIError to refuse. Resolves to
 *  the accepted PIN, or null when cancelled. */
export function pinDialog(app, title, check) {
  const t = app.t;
  return new Promise((resolve) => {
    const error = h("p", { class: "form-error", role: "alert" });
    const input = h("input", { id: "pin-input", name: "pin", type: "password", inputmode: "numeric", autocomplete: "off", maxlength: 8, required: true });
    const form = h("form", { method: "dialog", class: "pin-form" },
      h("h2", {}, title),
      h("div", { class: "field" }, h("label", { for: "pin-input" }, t("webtv.pin.label")), input),
      error,
      h("div", { class: "actions" },
        h("button", { type: "submit", class: "primary" }, t("common.ok")),
        h("button", { type: "button", class: "secondary", onclick: () => dialog.close() }, t("common.cancel"))));
    const dialog = h("dialog", { class: "pin-dialog", "aria-label": title }, form);
    let accepted = null;
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        await check(input.value);
        accepted = input.value;
        dialog.close();
      } catch (err) {
        error.textContent = app.errorText(err);
        input.select();
      }
    });
    dialog.addEventListener("close", () => { dialog.remove(); resolve(accepted); });
    document.body.append(dialog);
    dialog.showModal();
    input.focus();
  });
}

/** A poster card linking to an item's detail page. */
export function itemCard(app, item, { progress } = {}) {
  const img = item.cover || item.image;
  return h("a", { class: "card-item", href: app.url(`item/${item.id}`), "data-route": `item/${item.id}`, dataset: { kind: item.kind } },
    img ? h("img", { src: img, alt: item.title, loading: "lazy" }) : h("span", { class: "poster-fallback", "aria-hidden": "true" }, item.title.slice(0, 1)),
    h("span", { class: "title" }, item.title),
    progress !== undefined ? h("progress", { max: 1, value: progress, "aria-label": app.t("webtv.progress") }) : null,
    item.access === "ppv" ? h("span", { class: "badge" }, app.t("webtv.vod.ppv")) : null);
}

export function channelLogo(channel) {
  return channel.logo ? h("img", { class: "logo", src: channel.logo, alt: channel.name, loading: "lazy" })
    : h("span", { class: "logo-fallback", "aria-hidden": "true" }, channel.name.slice(0, 1));
}

export function empty(text) {
  return h("p", { class: "empty" }, text);
}

export function rail(title, children) {
  return h("section", { class: "rail" }, h("h2", {}, title), h("div", { class: "rail-items" }, children));
}
