// The offline page speaks the language the app last used: i18n.js keeps these few strings.
const saved = JSON.parse(localStorage.getItem("webtv.offline") || "null");
if (saved) {
  document.documentElement.lang = saved.lang;
  document.documentElement.dir = saved.rtl ? "rtl" : "ltr";
  document.title = saved.title;
  document.getElementById("offline-title").textContent = saved.title;
  document.getElementById("offline-text").textContent = saved.text;
  document.getElementById("offline-retry").textContent = saved.retry;
}
const back = localStorage.getItem("webtv.lastURL");
if (back && back.startsWith("/tv/")) document.getElementById("offline-retry").setAttribute("href", back);
