/*! relevo web chat widget — vanilla JS, no build step, no dependencies.
 *
 * Embed: <script src="https://support.example/widget.js" defer
 *                data-relevo-url="https://support.example"   (default: this script's origin)
 *                data-locale="es" data-title="Soporte"></script>
 *
 * Contract (see ARCHITECTURE.md): POST /webchat/sessions, POST|GET /webchat/messages,
 * WS /webchat/ws. The server is the source of truth; this file only keeps a view of it.
 * Every string that comes from the server is rendered with textContent, never as HTML.
 */
(() => {
  "use strict";
  if (window.RelevoWidget) return; // embedded twice: the first copy wins

  const script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  const opts = (script && script.dataset) || {};
  const BASE = (opts.relevoUrl || (script && script.src ? new URL(script.src, location.href).origin
    : location.origin)).replace(/\/+$/, "");
  const asked = (opts.locale || navigator.language || "en").toLowerCase().split(/[-_]/)[0];
  const LOCALE = /^[a-z]{2,3}$/.test(asked) ? asked : "en"; // the server refuses malformed locales
  const TOKEN_KEY = "relevo.visitor_token";
  const SEEN_KEY = "relevo.last_seen";   // the newest message id the shopper has had open in front of them
  const TYPING_MS = 6000;                // an operator's "typing…" goes after this much silence
  const SEND_ATTEMPTS = 4;           // then the bubble is marked failed with a retry control
  const WS_BACKOFF_CAP_MS = 30000;
  const WS_FAILURES_BEFORE_POLLING = 2;
  const POLL_MS = 4000;

  // Language → label → text: the catalog's widget.* texts (bot/locales/<language>.yml),
  // written in by the server when it serves this file. English is always there.
  const STRINGS = /*relevo:widget-strings*/{ en: {} }/*end*/;
  const T = STRINGS[LOCALE] || STRINGS.en;

  // localStorage throws in some privacy modes and sandboxed iframes: the chat must still work.
  const store = {
    get: (key = TOKEN_KEY) => { try { return localStorage.getItem(key); } catch { return null; } },
    set: (v, key = TOKEN_KEY) => { try { localStorage.setItem(key, v); } catch { /* session-only */ } },
    clear: (key = TOKEN_KEY) => { try { localStorage.removeItem(key); } catch { /* nothing stored */ } },
  };

  let token = store.get();
  let lastSeen = Number(store.get(SEEN_KEY)) || 0;
  let sessionPromise = null;
  let generation = 0;           // bumped when the session is dropped: late answers for it are ignored
  const byId = new Map();       // server message id → its element (dedupes WS, GET and our own POSTs)
  let lastId = 0;               // highest id received from the server, for ?after= catch-up
  const unconfirmed = [];       // our sends that have no server id yet, oldest first
  const queue = [];             // sends are delivered one at a time so the server keeps their order
  let pumping = false;
  let ws = null, wsFailures = 0, wsTimer = null, pollTimer = null;
  let unread = 0;
  let typingTimer = null, typingName = null;

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  // Exponential backoff with jitter, so a fleet of reloaded pages does not reconnect in lockstep.
  const backoff = (attempt, baseMs, capMs) =>
    Math.min(capMs, baseMs * 2 ** attempt) * (0.5 + Math.random() * 0.5);
  // randomUUID only exists in secure contexts (https, localhost); ids only need to be unique per visitor.
  const newClientId = () => (typeof crypto !== "undefined" && crypto.randomUUID) ? crypto.randomUUID()
    : Date.now().toString(36) + "-" + Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);

  /* ---------- HTTP ---------- */

  // `file`: a Blob sent as the raw body with its own type (uploads); else `body` goes as JSON.
  async function request(method, path, body, file) {
    const headers = { Accept: "application/json" };
    if (file) headers["Content-Type"] = file.type || "application/octet-stream";
    else if (body !== undefined) headers["Content-Type"] = "application/json";
    if (token) headers.Authorization = "Bearer " + token;
    const res = await fetch(BASE + path, { method, headers, credentials: "omit",
      body: file || (body === undefined ? undefined : JSON.stringify(body)) });
    const json = await res.json().catch(() => ({}));
    return { status: res.status, json };
  }

  // The shopper reads their own language, never the server's English `detail`: the status picks the label.
  function errorText(status) {
    const key = !status ? "error_network" : status === 401 ? "error_session" : status === 413 ? "error_too_large"
      : status === 415 ? "error_type" : status === 422 || status === 400 ? "error_invalid"
      : status === 429 ? "error_busy" : status >= 500 ? "error_server" : "error_generic";
    return T[key] || T.error_generic || T.rejected;
  }

  // Sessions are created lazily on the first send, so browsing visitors do not each get one.
  function ensureSession() {
    if (token) return Promise.resolve(token);
    sessionPromise = sessionPromise || request("POST", "/webchat/sessions", { locale: LOCALE }).then((r) => {
      if (r.status >= 300 || !r.json.visitor_token) throw new Error("session: HTTP " + r.status);
      token = r.json.visitor_token;
      store.set(token);
      connect();
      return token;
    }).finally(() => { sessionPromise = null; });
    return sessionPromise;
  }

  // 401: the server no longer knows this visitor. Its history is gone with it; unsent bubbles stay
  // and go out again under the new session (same client_message_id, so never twice).
  function dropSession() {
    generation++;
    token = null;
    store.clear();
    closeSocket();
    stopPolling();
    lastId = 0;
    markSeen(0, true);
    byId.forEach((el) => el.remove());
    byId.clear();
  }

  // One catch-up at a time; a request that arrives meanwhile runs once more afterwards, so nothing
  // written between the first read and a socket (re)opening can slip through.
  let catching = null, catchAgain = false;
  function catchUp() {
    if (catching) { catchAgain = true; return catching; }
    catching = (async () => { do { catchAgain = false; await fetchNewer(); } while (catchAgain); })()
      .finally(() => { catching = null; });
    return catching;
  }
  async function fetchNewer() {
    // The server answers a page at a time, oldest first: keep asking until a page comes back empty.
    for (let page = 0; page < 50 && token; page++) {
      const gen = generation;
      let r;
      try { r = await request("GET", "/webchat/messages" + (lastId ? "?after=" + lastId : "")); }
      catch { return; } // offline: the next reconnect or poll tries again
      if (gen !== generation) return;
      if (r.status === 401) return dropSession();
      const found = r.status === 200 && Array.isArray(r.json.messages) ? r.json.messages : [];
      found.forEach((m) => addMessage(m));
      if (!found.length) return;
    }
  }

  /* ---------- live push: WebSocket, polling as the fallback ---------- */

  function connect() {
    if (!token || ws) return;
    if (!("WebSocket" in window)) return startPolling();
    clearTimeout(wsTimer);
    const gen = generation;
    const sock = new WebSocket(BASE.replace(/^http/, "ws") + "/webchat/ws?token=" + encodeURIComponent(token));
    let openedAt = 0;
    ws = sock;
    sock.onopen = () => { openedAt = Date.now(); stopPolling(); catchUp(); };
    sock.onmessage = (ev) => {
      let m; try { m = JSON.parse(ev.data); } catch { return; }
      if (m && m.event === "typing") return showTyping(m);
      addMessage(m);
    };
    sock.onclose = () => {
      if (ws !== sock) return; // we closed it on purpose
      ws = null;
      if (gen !== generation) return;
      // Only a connection that stayed up for a while resets the backoff; an accept-then-drop loop must not spin.
      wsFailures = openedAt && Date.now() - openedAt > 10000 ? 1 : wsFailures + 1;
      // A refused socket may mean a dead token: the GET finds out (401 → new session) and fills any gap.
      catchUp();
      if (wsFailures >= WS_FAILURES_BEFORE_POLLING) startPolling();
      wsTimer = setTimeout(connect, backoff(wsFailures - 1, 1000, WS_BACKOFF_CAP_MS));
    };
  }
  function closeSocket() {
    clearTimeout(wsTimer);
    if (ws) { const s = ws; ws = null; s.close(); }
  }
  function startPolling() { if (!pollTimer) pollTimer = setInterval(catchUp, POLL_MS); }
  function stopPolling() { clearInterval(pollTimer); pollTimer = null; }

  /* ---------- sending ---------- */

  function submit(raw, files) {
    const text = raw.trim(); // the server trims too; the same text lets its push find this bubble
    if (!text) return;
    const item = { cmid: newClientId(), text, files, el: messageEl("shopper", null, text, null, files) };
    list.appendChild(item.el);
    unconfirmed.push(item);
    enqueue(item);
    scrollToEnd(true);
  }
  function enqueue(item) {
    if (!queue.includes(item)) queue.push(item);
    setStatus(item, "sending");
    pump();
  }
  async function pump() {
    if (pumping) return;
    pumping = true;
    try { while (queue.length) { await deliver(queue[0]); queue.shift(); } } finally { pumping = false; }
  }

  async function deliver(item) {
    let last = 0; // the last answer's status (0: no answer at all), for the shopper's error text
    for (let attempt = 0; attempt < SEND_ATTEMPTS; attempt++) {
      if (attempt) await sleep(backoff(attempt - 1, 1000, 8000));
      if (!unconfirmed.includes(item)) return; // its push already arrived: the server has it
      let r;
      try {
        await ensureSession();
        const body = { text: item.text, locale: LOCALE, client_message_id: item.cmid };
        if (item.files) body.attachments = item.files.map((f) => f.id);
        r = await request("POST", "/webchat/messages", body);
      } catch { last = 0; continue; } // network error: the server may have stored it, the same id makes resending safe
      last = r.status;
      if (r.status >= 200 && r.status < 300) return confirm(item, r.json.message_id);
      if (r.status === 401) { dropSession(); continue; }
      if (r.status === 408 || r.status === 429 || r.status >= 500) continue;
      forget(item); // 413/422…: never stored, and sending it again cannot help
      return setStatus(item, "rejected", errorText(r.status));
    }
    setStatus(item, "failed", errorText(last));
  }

  // A file goes up first (its own route, raw body); the message that carries it follows like any other.
  async function attach(file) {
    const el = messageEl("shopper", null, "", null, [{ name: file.name }]);
    list.appendChild(el);
    const item = { el };
    setStatus(item, "sending");
    scrollToEnd(true);
    let r;
    try {
      await ensureSession();
      r = await request("POST", "/webchat/attachments?name=" + encodeURIComponent(file.name), undefined, file);
    } catch { return setStatus(item, "rejected", errorText(0)); }
    if (r.status === 401) dropSession();
    if (r.status !== 201 || typeof r.json.id !== "string") return setStatus(item, "rejected", errorText(r.status));
    el.remove();
    const sent = { id: r.json.id, name: r.json.name };
    submit("[" + sent.name + "]", [sent]); // the text the server gives a file sent alone
  }

  function forget(item) {
    const i = unconfirmed.indexOf(item);
    if (i >= 0) unconfirmed.splice(i, 1);
  }

  function confirm(item, id) {
    forget(item);
    setStatus(item, "sent");
    if (typeof id !== "number") return;
    const known = byId.get(id);
    if (known && known !== item.el) item.el.remove(); // the push arrived first and was drawn already
    else if (!known && item.el.dataset.id) place(messageEl("shopper", null, item.text, null), id); // twin text
    // (its bubble was taken by an identical earlier message whose push arrived first)
    else if (!known) { item.el.dataset.id = String(id); byId.set(id, item.el); }
  }

  /* ---------- receiving ---------- */

  function addMessage(m) {
    if (!m || typeof m.id !== "number") return; // frames without an id (typing…) are not messages
    lastId = Math.max(lastId, m.id); // even for one we already show (our own send): else paging re-asks forever
    if (byId.has(m.id)) return;
    const kind = (m.author && m.author.kind) || "system";
    const text = typeof m.text === "string" ? m.text : "";
    // Our own message can be pushed before its POST answers: reuse the optimistic bubble, not a second one.
    const mine = kind === "shopper" ? unconfirmed.find((it) => it.text === text && !it.el.dataset.id) : null;
    let el;
    if (mine) {
      el = mine.el;
      confirm(mine, m.id);
    } else {
      el = place(messageEl(kind, m.author && m.author.name, text, m.created_at, m.attachments), m.id);
      if (kind === "bot" && m.feedback === true) addFeedback(el, m.id);
    }
    if (m.id >= lastId) {
      // Only the latest message's choices are live: anything newer makes them stale.
      for (const row of list.querySelectorAll(".relevo-choices")) row.remove();
      for (const b of list.querySelectorAll(".relevo-rating button, .relevo-rating input")) b.disabled = true;
      const scale = m.rating && Number(m.rating.scale);
      if (kind !== "shopper" && scale >= 2 && scale <= 10) addRating(el, scale);
      else if (kind !== "shopper" && Array.isArray(m.quick_replies)) addChoices(el, m.quick_replies);
    }
    byId.set(m.id, el);
    if (kind === "operator" && typingName === ((m.author && m.author.name) || "")) hideTyping();
    const isOpen = root.dataset.open === "true";
    if (isOpen) markSeen(m.id);
    // A reply the shopper has not had open in front of them, now or before a reload, counts as unread.
    else if ((kind === "bot" || kind === "operator") && m.id > lastSeen) setUnread(unread + 1);
    if (kind === "shopper") scrollToEnd(true); else scrollToStart(el);
  }

  function markSeen(id, reset) {
    if (!reset && id <= lastSeen) return;
    lastSeen = id;
    if (reset) store.clear(SEEN_KEY); else store.set(String(id), SEEN_KEY);
  }

  // "Lucía · experta is typing…": shown until that author's message, `active: false` or a silence.
  function showTyping(frame) {
    const name = frame.author && typeof frame.author.name === "string" ? frame.author.name : "";
    if (frame.active !== true) { if (name === typingName) hideTyping(); return; }
    typingName = name;
    typing.textContent = (T.typing || "{name}").replace("{name}", name);
    typing.hidden = false;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(hideTyping, TYPING_MS);
    scrollToEnd(false);
  }
  function hideTyping() {
    clearTimeout(typingTimer);
    typingName = null;
    typing.hidden = true;
    typing.textContent = "";
  }

  /* ---------- DOM ---------- */

  // Keep id order; unconfirmed bubbles (no id yet) stay at the end.
  function place(el, id) {
    el.dataset.id = String(id);
    let before = null;
    for (const child of list.children) {
      if (child.classList.contains("relevo-msg") && (!child.dataset.id || Number(child.dataset.id) > id)) {
        before = child;
        break;
      }
    }
    list.insertBefore(el, before);
    byId.set(id, el);
    return el;
  }

  /*relevo:widget-messages*/

  function setUnread(n) {
    unread = n;
    badge.hidden = n === 0;
    badge.textContent = n > 9 ? "9+" : String(n);
    launcher.setAttribute("aria-label", n ? T.open + " (" + T.unread.replace("{count}", String(n)) + ")" : T.open);
  }
  const nearEnd = () => list.scrollHeight - list.scrollTop - list.clientHeight < 120;
  function scrollToEnd(force) {
    // Do not yank the shopper down while they are reading older messages.
    if (force || nearEnd()) list.scrollTop = list.scrollHeight;
  }
  // A reply is read from its top: one taller than the view is scrolled to its first line, not its last.
  function scrollToStart(el) {
    const before = el.previousElementSibling;
    const wasNearEnd = list.scrollHeight - el.offsetHeight - list.scrollTop - list.clientHeight < 120;
    if (!wasNearEnd && before) return; // reading older messages: leave them be
    if (el.offsetHeight > list.clientHeight - 24) list.scrollTop = el.offsetTop - 12;
    else list.scrollTop = list.scrollHeight;
  }
  function open() {
    root.dataset.open = "true";
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    setUnread(0);
    markSeen(lastId);
    scrollToEnd(true);
    const last = list.lastElementChild; // a long last reply opens at its first line
    if (last && last.classList.contains("relevo-msg") && !last.classList.contains("relevo-msg--shopper")) scrollToStart(last);
    input.focus();
  }
  function close() {
    root.dataset.open = "false";
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }

  launcher.addEventListener("click", () => (root.dataset.open === "true" ? close() : open()));
  closeBtn.addEventListener("click", close);
  panel.addEventListener("keydown", (e) => { if (e.key === "Escape") close(); });
  form.addEventListener("submit", (e) => { e.preventDefault(); submit(input.value); input.value = ""; autosize(); });
  input.addEventListener("keydown", (e) => {
    // Enter sends, Shift+Enter is a newline; never send half-composed IME text.
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); sendBtn.click(); }
  });
  const autosize = () => { input.style.height = "auto"; input.style.height = Math.min(input.scrollHeight + 2, 120) + "px"; };
  input.addEventListener("input", autosize);
  attachBtn.addEventListener("click", () => fileInput.click());
  fileInput.addEventListener("change", () => {
    const chosen = Array.from(fileInput.files || []);
    fileInput.value = "";
    chosen.forEach((file) => attach(file));
  });
  // Back online: reconnect and resend now rather than waiting out the backoff.
  window.addEventListener("online", () => { if (token && !ws) connect(); pump(); });

  window.RelevoWidget = { open, close };
  const mount = () => {
    document.head.appendChild(h("style", null, { "data-relevo": "" }, CSS));
    document.body.appendChild(root);
    // A returning visitor: load the history and listen, so a reply shows as a badge even while closed.
    if (token) catchUp().then(connect);
  };
  // Loaded without defer from <head>, there is no body yet.
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
