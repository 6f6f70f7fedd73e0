// The UI document (UIT, docs/CLIENT-API.md): colours, direction, languages, menu order, rails and
// behaviour. A hostname without a UI gets the built-in default below: English, the Akua look,
// every section. It has the same shape as a served one, so the rest of the app does not care.

export const DEFAULT_UI = {
  id: null, name: "Default", version: 0, template: "akua", rtl: false,
  defaultLanguage: "en", languages: ["en"],
  colours: { primary: "#2F80ED", secondary: "#F2C94C", background: "#0B1220", surface: "#16213A", text: "#F5F7FA" },
  logo: null, background: null,
  menu: ["home", "tv", "guide", "recordings", "movies", "series", "music", "education", "apps", "search", "messages", "settings"]
    .map((key) => ({ key, type: "section", label: {} })),
  rails: ["continue_watching", "favourites", "new_movies", "channels_now"].map((key) => ({ key, label: {} })),
  behaviour: { startChannel: null, zapBannerSeconds: 5, clockFormat: "24h", startDirectToTV: false,
    parental: { maxRating: null, pinForLocked: true }, sleepMinutes: 0 },
};

const HEX = /^#[0-9a-fA-F]{6}$/;

/** Colours as CSS custom properties on <html>; a bad value keeps the default. */
export function applyTheme(ui, branding) {
  const root = document.documentElement.style;
  const colours = { ...DEFAULT_UI.colours, ...(ui.colours || {}) };
  if (branding && HEX.test(branding.selectionColour || "")) colours.secondary = branding.selectionColour;
  for (const [name, value] of Object.entries(colours)) {
    if (HEX.test(value)) root.setProperty("--" + name, value);
  }
  document.documentElement.dataset.template = ui.template || "akua";
  const meta = document.querySelector("meta[name=theme-color]");
  if (meta && HEX.test(colours.background)) meta.content = colours.background;
}

/** A menu entry's or rail's label in the language, else the translation of its key. */
export function label(entry, lang, t, prefix) {
  const l = entry.label || {};
  return l[lang] || t(prefix + entry.key) !== prefix + entry.key && t(prefix + entry.key) || l.en || entry.key;
}

/** Menu keys WebTV has a screen for, with the path of that screen. */
export const SECTION_PATHS = {
  home: "home", tv: "tv", guide: "guide", recordings: "recordings", catchup: "guide", movies: "movies", series: "series",
  music: "music", education: "education", apps: "apps", search: "search", messages: "messages", settings: "settings",
};
