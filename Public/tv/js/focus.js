// Keyboard and remote control: a spatial focus manager. Arrow keys move the focus to the nearest
// focusable element in that direction (by on-screen geometry, so it works the same in
// right-to-left layouts); Enter activates; Back (Escape, Backspace outside text fields, the
// remote's Back key) goes back; digits are handed to the current screen (channel numbers).

const FOCUSABLE = "a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), select:not([disabled]), textarea, [tabindex='0'], video[controls]";
const DIRECTIONS = { ArrowUp: "up", ArrowDown: "down", ArrowLeft: "left", ArrowRight: "right" };

function visible(el) {
  const r = el.getBoundingClientRect();
  if (r.width === 0 || r.height === 0) return false;
  const style = getComputedStyle(el);
  return style.visibility !== "hidden" && style.display !== "none";
}

function candidates(root) {
  const modal = document.querySelector("dialog[open]");
  return [...(modal || root).querySelectorAll(FOCUSABLE)].filter(visible);
}

/** The best element from `from` in `dir`: in the half-plane, nearest by distance along the
 *  direction plus twice the sideways offset (so a row neighbour beats a diagonal one). */
export function nearest(from, dir, list) {
  const a = from.getBoundingClientRect();
  const ax = a.left + a.width / 2, ay = a.top + a.height / 2;
  let best = null, bestScore = Infinity;
  for (const el of list) {
    if (el === from) continue;
    const b = el.getBoundingClientRect();
    const bx = b.left + b.width / 2, by = b.top + b.height / 2;
    let along, side;
    if (dir === "up") { along = a.top - b.bottom; side = Math.abs(bx - ax); if (by >= ay) continue; }
    else if (dir === "down") { along = b.top - a.bottom; side = Math.abs(bx - ax); if (by <= ay) continue; }
    else if (dir === "left") { along = a.left - b.right; side = Math.abs(by - ay); if (bx >= ax) continue; }
    else { along = b.left - a.right; side = Math.abs(by - ay); if (bx <= ax) continue; }
    const score = Math.max(along, 0) + side * 2;
    if (score < bestScore) { bestScore = score; best = el; }
  }
  return best;
}

function typing(el) {
  return el && (el.tagName === "TEXTAREA" || el.tagName === "SELECT" || (el.tagName === "INPUT" && !["checkbox", "radio", "button", "submit"].includes(el.type)));
}

/** Installs the key handling; `handlers` = {back(), digit(d) → bool}. */
export function installFocus(root, handlers) {
  document.addEventListener("keydown", (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const active = document.activeElement;
    const dir = DIRECTIONS[e.key];
    if (dir) {
      // Inside a text field, left/right move the caret; up/down still leave it.
      if (typing(active) && (dir === "left" || dir === "right")) return;
      if (active && active.tagName === "SELECT" && (dir === "up" || dir === "down")) return;
      const list = candidates(root);
      const from = list.includes(active) ? active : null;
      const next = from ? nearest(from, dir, list) : list[0];
      if (next) {
        e.preventDefault();
        next.focus();
        next.scrollIntoView({ block: "nearest", inline: "nearest" });
      }
      return;
    }
    if (e.key === "Escape" || e.key === "GoBack" || e.key === "BrowserBack" || (e.key === "Backspace" && !typing(active))) {
      const dialog = document.querySelector("dialog[open]");
      if (dialog) { dialog.close(); e.preventDefault(); return; }
      if (e.key !== "BrowserBack") e.preventDefault();
      handlers.back();
      return;
    }
    // Digits are channel numbers unless a text field takes them (a focused list box does not).
    if (/^[0-9]$/.test(e.key) && !(typing(active) && active.tagName !== "SELECT")) {
      if (handlers.digit(e.key)) e.preventDefault();
    }
  });
}

/** Puts the focus on the screen's first control (or the one marked data-autofocus). */
export function focusFirst(root) {
  const el = root.querySelector("[data-autofocus]") || candidates(root)[0];
  if (el) el.focus({ preventScroll: true });
}
