// WebTV's service worker: keeps the app shell (HTML, CSS, modules, icons) for a fast start and
// shows the offline page when the network is gone. API answers and streams are never cached:
// they are personal, signed and short-lived.
const CACHE = "webtv-shell-v1";
const SHELL = [
  "/tv/", "/tv/offline.html", "/tv/css/webtv.css", "/tv/icons/icon-192.png", "/tv/icons/icon-512.png",
  "/tv/js/app.js", "/tv/js/api.js", "/tv/js/dom.js", "/tv/js/focus.js", "/tv/js/i18n.js", "/tv/js/ui.js", "/tv/js/player.js", "/tv/js/offline.js",
  "/tv/js/screens/start.js", "/tv/js/screens/profiles.js", "/tv/js/screens/common.js", "/tv/js/screens/home.js",
  "/tv/js/screens/channels.js", "/tv/js/screens/guide.js", "/tv/js/screens/recordings.js", "/tv/js/screens/vod.js",
  "/tv/js/screens/personal.js", "/tv/js/screens/settings.js",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith("webtv-") && k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin || !url.pathname.startsWith("/tv/")) return;
  if (req.mode === "navigate") {
    // Pages: always the network (the shell's security policy depends on the operator); offline → the offline page.
    event.respondWith(fetch(req).catch(() => caches.match("/tv/offline.html")));
    return;
  }
  // Shell files: the network first so an update shows at once, the cache when offline.
  event.respondWith(fetch(req).then((res) => {
    if (res.ok && SHELL.includes(url.pathname)) {
      const copy = res.clone();
      caches.open(CACHE).then((c) => c.put(url.pathname, copy));
    }
    return res;
  }).catch(() => caches.match(url.pathname).then((hit) => hit || Response.error())));
});
