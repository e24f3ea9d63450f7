/*! relevo operator console — telling the operator about new work while they look
 * elsewhere: desktop notifications (permission asked on a click) and the tab title's
 * count of conversations offered to them or written in, not yet opened.
 * console.js drives it through window.RelevoAlerts.
 */
(() => {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const TITLE = "relevo console";
  const unseen = new Set();    // conversations offered to me / new messages, not yet opened
  const opened = new Set();    // conversations opened since the page loaded
  let current = () => null;    // the conversation on screen (console.js tells)

  function canNotify() { return "Notification" in window; }

  function showNotifyButton() {
    $("notify").hidden = !canNotify() || Notification.permission !== "default";
  }

  // Asked on a click: browsers refuse (or nag about) a permission prompt without one.
  $("notify").addEventListener("click", async () => {
    if (canNotify()) await Notification.requestPermission().catch(() => null);
    showNotifyButton();
  });

  function notify(title, body) {
    if (!canNotify() || Notification.permission !== "granted") return;
    if (document.visibilityState === "visible" && document.hasFocus()) return;
    try { new Notification(title, { body, tag: "relevo-console" }); } catch { /* not shown */ }
  }

  function renderBadge() {
    document.title = unseen.size ? "(" + unseen.size + ") " + TITLE : TITLE;
  }

  function markUnseen(id) {
    if (!id || (id === current() && document.hasFocus())) return;
    unseen.add(id);
    renderBadge();
  }

  function markOpened(id) {
    opened.add(id);
    if (unseen.delete(id)) renderBadge();
  }

  /* After a refresh: offers not opened yet count; what no longer waits for me does not. */
  function refreshed(offered, waiting) {
    for (const id of offered) if (!opened.has(id)) markUnseen(id);
    for (const id of [...unseen]) if (!waiting.has(id)) unseen.delete(id);
    renderBadge();
  }

  window.addEventListener("focus", () => {
    if (current() && unseen.delete(current())) renderBadge();
  });

  window.RelevoAlerts = {
    showNotifyButton, notify, markUnseen, markOpened, refreshed,
    follow(getCurrent) { current = getCurrent; },
  };
})();
