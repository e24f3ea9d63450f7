/*! relevo operator console — the reply box: saved replies and "operator typing".
 *
 * Typing "/" (at the start or after a space) opens the saved replies of the
 * conversation's language (GET /api/saved-replies?language=), filtered as you type;
 * ArrowUp/ArrowDown choose, Enter or Tab inserts (with {name} as the contact's name),
 * Escape closes. Enter without the list sends, Shift+Enter is a new line.
 *
 * While the operator of the conversation types, POST /api/conversations/{id}/typing
 * {"active": true} at most every THROTTLE_MS; {"active": false} after IDLE_MS without
 * a key, on sending, and on leaving the conversation. The shopper's channel shows it.
 */
(() => {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const THROTTLE_MS = 3000, IDLE_MS = 5000, CACHE_MS = 60000, SHOWN = 8;
  let conversation = null;      // {id, mine, state, name, locale} of the open conversation
  let typingSentAt = 0, typingIn = null, idleTimer = null;
  const cache = new Map();      // language → {at, replies}
  let menu = null;              // {start, matches, selected} while the list is open

  function post(path, body) {
    return fetch(path, {
      method: "POST", credentials: "same-origin", body: JSON.stringify(body),
      headers: { Accept: "application/json", "Content-Type": "application/json", "X-Relevo-Console": "1" },
    }).catch(() => null);
  }

  function fold(text) {
    return String(text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  /* ---------- typing ---------- */

  function typing() {
    if (!conversation || !conversation.mine) return;
    const now = Date.now();
    if (typingIn !== conversation.id || now - typingSentAt >= THROTTLE_MS) {
      typingSentAt = now;
      typingIn = conversation.id;
      post("/api/conversations/" + conversation.id + "/typing", { active: true });
    }
    clearTimeout(idleTimer);
    idleTimer = setTimeout(stopTyping, IDLE_MS);
  }

  function stopTyping() {
    clearTimeout(idleTimer);
    if (typingIn === null) return;
    const id = typingIn;
    typingIn = null;
    typingSentAt = 0;
    post("/api/conversations/" + id + "/typing", { active: false });
  }

  document.addEventListener("relevo:conversation", (event) => {
    if (conversation && conversation.id !== event.detail.id) stopTyping();
    if (conversation && conversation.id !== event.detail.id) closeMenu();
    conversation = event.detail;
    if (!conversation.mine && typingIn === conversation.id) stopTyping();
  });
  document.addEventListener("relevo:leave", () => { stopTyping(); closeMenu(); });
  document.addEventListener("relevo:sent", stopTyping);
  window.addEventListener("pagehide", stopTyping);

  /* ---------- saved replies ---------- */

  function language() {
    const locale = (conversation && conversation.locale) || document.documentElement.lang || "en";
    return locale.split(/[-_]/)[0].toLowerCase();
  }

  async function savedReplies(lang) {
    const cached = cache.get(lang);
    if (cached && Date.now() - cached.at < CACHE_MS) return cached.replies;
    const res = await fetch("/api/saved-replies?language=" + encodeURIComponent(lang), {
      credentials: "same-origin", headers: { Accept: "application/json" },
    }).catch(() => null);
    const body = res && res.ok ? await res.json().catch(() => null) : null;
    const replies = body && Array.isArray(body.saved_replies) ? body.saved_replies : [];
    cache.set(lang, { at: Date.now(), replies });
    return replies;
  }

  // The "/word" being typed just before the cursor, or null.
  function slashQuery(box) {
    const before = box.value.slice(0, box.selectionStart);
    const found = /(^|\s)\/([^\s/]*)$/.exec(before);
    return found ? { start: before.length - found[2].length - 1, query: found[2] } : null;
  }

  async function updateMenu() {
    const box = $("reply");
    const slash = slashQuery(box);
    if (!slash || box.disabled) { closeMenu(); return; }
    const replies = await savedReplies(language());
    const again = slashQuery(box);  // the text may have changed while we fetched
    if (!again || again.query !== slash.query) return;
    const q = fold(slash.query);
    const matches = replies.filter((r) => fold(r.shortcut).startsWith(q) || fold(r.title).includes(q))
      .slice(0, SHOWN);
    menu = { start: slash.start, matches, selected: 0 };
    renderMenu();
  }

  function renderMenu() {
    const list = $("saved-menu");
    list.replaceChildren();
    if (!menu) { list.hidden = true; return; }
    if (!menu.matches.length) {
      const empty = document.createElement("li");
      empty.className = "empty";
      empty.textContent = "No saved reply matches.";
      list.append(empty);
    }
    menu.matches.forEach((reply, index) => {
      const item = document.createElement("li");
      item.id = "saved-reply-" + reply.id;
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", String(index === menu.selected));
      const shortcut = document.createElement("span");
      shortcut.className = "shortcut";
      shortcut.textContent = "/" + reply.shortcut;
      item.append(shortcut, document.createTextNode(" " + reply.title));
      item.title = reply.text;
      // mousedown, not click: the textarea keeps its focus and cursor.
      item.addEventListener("mousedown", (event) => { event.preventDefault(); insert(index); });
      list.append(item);
    });
    list.hidden = false;
    const chosen = menu.matches[menu.selected];
    $("reply").setAttribute("aria-expanded", "true");
    if (chosen) $("reply").setAttribute("aria-activedescendant", "saved-reply-" + chosen.id);
    const selected = list.querySelector('[aria-selected="true"]');
    if (selected) selected.scrollIntoView({ block: "nearest" });
  }

  function closeMenu() {
    menu = null;
    $("saved-menu").hidden = true;
    $("saved-menu").replaceChildren();
    $("reply").setAttribute("aria-expanded", "false");
    $("reply").removeAttribute("aria-activedescendant");
  }

  function filled(text) {
    const name = (conversation && conversation.name) || "";
    return text.replace(/\{name\}/g, name).replace(/ +([,.!?])/g, "$1");
  }

  function insert(index) {
    const reply = menu && menu.matches[index];
    if (!reply) return;
    const box = $("reply");
    box.setRangeText(filled(reply.text), menu.start, box.selectionStart, "end");
    closeMenu();
    box.focus();
    typing();
  }

  const reply = $("reply");
  reply.addEventListener("input", () => {
    if (reply.value.trim()) typing(); else stopTyping();
    updateMenu();
  });
  reply.addEventListener("blur", () => setTimeout(closeMenu, 150));
  reply.addEventListener("keydown", (event) => {
    if (menu && menu.matches.length) {
      const moves = { ArrowDown: 1, ArrowUp: -1 };
      if (event.key in moves) {
        event.preventDefault();
        menu.selected = (menu.selected + moves[event.key] + menu.matches.length) % menu.matches.length;
        renderMenu();
        return;
      }
      if (event.key === "Enter" || event.key === "Tab") {
        event.preventDefault();
        insert(menu.selected);
        return;
      }
    }
    if (menu && event.key === "Escape") { event.preventDefault(); closeMenu(); return; }
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("reply-form").requestSubmit();
    }
  });
})();
