/*! relevo operator console — vanilla JS, no build step, no dependencies.
 *
 * Talks to the operator API (/api/...) with the session cookie set by POST /console/session,
 * and listens to WS /api/ws for small notices ("queue", "offered", "message", …) after which
 * it re-reads what changed. Every string from the server is rendered with textContent.
 *
 * Layout: only the panes scroll (lists, messages, sidebar), so the actions and the reply
 * box stay on screen; on a phone the list and the conversation are two views (".show-conv"
 * on #app, a back button returns). The reply box's helpers (saved replies, typing) are
 * in compose.js, which learns the open conversation from the "relevo:conversation" event.
 */
(() => {
  "use strict";

  const $ = (id) => document.getElementById(id);
  let me = null;
  let current = null;          // id of the conversation on screen
  let currentView = null;      // its last GET
  let ws = null, wsRetry = 0, refreshTimer = null;
  let myConversations = new Set();  // assigned to me, from the last refresh
  let searchOffset = null;     // where the next page of search results starts

  const RelevoRender = window.RelevoRender, { el, KIND_LABEL } = RelevoRender;
  const { showNotifyButton, notify, markUnseen } = window.RelevoAlerts;
  window.RelevoAlerts.follow(() => current);

  async function api(method, path, body) {
    const headers = { Accept: "application/json", "X-Relevo-Console": "1" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const res = await fetch(path, { method, headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body) });
    const json = await res.json().catch(() => ({}));
    if (res.status === 401 && !path.startsWith("/console/session")) showLogin();
    if (!res.ok) {
      const detail = typeof json.detail === "string" ? json.detail : "request failed (" + res.status + ")";
      throw new Error(detail);
    }
    return json;
  }

  /* ---------- login ---------- */

  function showLogin() {
    $("app").hidden = true;
    $("login").hidden = false;
    if (ws) { ws.onclose = null; ws.close(); ws = null; }
  }

  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("login-error").textContent = "";
    const token = $("login-token").value.trim();
    const body = token ? { token } : { email: $("login-email").value.trim(), password: $("login-password").value };
    try {
      await api("POST", "/console/session", body);
      $("login-password").value = "";
      $("login-token").value = "";
      await start();
    } catch (error) {
      $("login-error").textContent = error.message;
    }
  });

  $("logout").addEventListener("click", async () => {
    await api("DELETE", "/console/session").catch(() => null);
    showLogin();
  });

  /* ---------- app ---------- */

  async function start() {
    const body = await api("GET", "/api/operators/me");
    me = body.operator;
    $("login").hidden = true;
    $("app").hidden = false;
    renderMe();
    showNotifyButton();
    // Views in their own files (audit.js) learn who is logged in from this event.
    document.dispatchEvent(new CustomEvent("relevo:me", { detail: me }));
    connect();
    await refreshLists();
  }

  // What the role allows (GET /api/operators/me lists the scopes); the server checks anyway.
  function can(scope) {
    return Boolean(me && Array.isArray(me.scopes) && me.scopes.includes(scope));
  }

  function renderMe() {
    const roles = (me.roles || [me.role]).filter((r) => r && r !== "operator"); // implied
    const badges = (me.badges || []).filter((badge) => badge.name);
    $("me-name").textContent = me.name;
    $("me-kind").textContent = (KIND_LABEL[me.kind] || me.kind) + (roles.length ? " · " + roles.join(", ") : "");
    $("me-load").textContent = me.load + "/" + me.max_concurrent + " · " + (me.points || 0) + " pts" +
      (me.level ? " · " + me.level : "") + (badges.length ? " · " + badges.map((b) => b.name).join(", ") : "");
    $("me-load").title = badges.map((badge) => badge.name + ": " + badge.description).join("\n");
    $("presence").value = me.presence;
    $("presence-badge").textContent = me.presence;
    $("presence-badge").className = "presence-badge " + me.presence;
    $("presence-prompt").hidden = me.presence !== "offline";
  }

  async function setPresence(status) {
    try {
      const body = await api("POST", "/api/operators/me/presence", { status });
      me = Object.assign(me, body.operator);
      renderMe();
      refreshLists();
    } catch (error) {
      $("action-error").textContent = error.message;
    }
  }

  $("presence").addEventListener("change", () => setPresence($("presence").value));
  $("go-online").addEventListener("click", () => setPresence("online"));

  function connect() {
    if (ws) return;
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(scheme + location.host + "/api/ws");
    ws.onopen = () => {
      wsRetry = 0;
      $("live").classList.add("on");
      if (current) ws.send(JSON.stringify({ type: "watch", conversation_id: current }));
    };
    ws.onmessage = (event) => {
      let notice;
      try { notice = JSON.parse(event.data); } catch { return; }
      onNotice(notice);
    };
    ws.onclose = () => {
      $("live").classList.remove("on");
      ws = null;
      const delay = Math.min(30000, 1000 * 2 ** wsRetry++) * (0.5 + Math.random() / 2);
      setTimeout(() => { if (me && !$("app").hidden) connect(); }, delay);
    };
  }

  // Tell the server we are here (keeps auto-away off while the console is open).
  setInterval(() => { if (ws && ws.readyState === 1) ws.send(JSON.stringify({ type: "ping" })); }, 30000);

  function onNotice(notice) {
    if (notice.type === "watching") return;  // the answer to our "watch"
    if (notice.type === "presence") {
      me.presence = notice.presence;
      renderMe();
      return;
    }
    if (notice.type === "reminder" && notice.conversation_id) {
      $("action-error").textContent = "Reminder: the shopper in conversation " + notice.conversation_id +
        " has waited " + Math.round(notice.waiting_seconds / 60) + " min for your reply.";
    }
    if (notice.type === "offered" && notice.conversation_id) {
      markUnseen(notice.conversation_id);
      notify("New conversation for you", "Conversation #" + notice.conversation_id +
        (notice.reason ? " · " + notice.reason : ""));
    }
    if (notice.type === "message" && notice.conversation_id &&
        myConversations.has(notice.conversation_id) && notice.conversation_id !== current) {
      markUnseen(notice.conversation_id);
      notify("New message", "Conversation #" + notice.conversation_id);
    }
    scheduleRefresh();
    if (current && notice.conversation_id === current) {
      loadConversation(current);
      if (notice.type === "message") loadSuggestions(current);
    }
  }

  function scheduleRefresh() {
    if (refreshTimer) return;
    refreshTimer = setTimeout(() => { refreshTimer = null; refreshLists(); }, 150);
  }

  async function refreshLists() {
    try {
      const [queue, mine, board, self] = await Promise.all([
        api("GET", "/api/conversations?state=queued"),
        api("GET", "/api/conversations?state=mine"),
        api("GET", "/api/leaderboard"),
        api("GET", "/api/operators/me"),
      ]);
      me = self.operator;
      renderMe();
      RelevoRender.renderList($("queue"), queue.conversations, $("queue-count"), current, openConversation);
      RelevoRender.renderList($("mine"), mine.conversations, $("mine-count"), current, openConversation);
      myConversations = new Set(mine.conversations.map((c) => c.id));
      const offered = queue.conversations.filter((c) => c.offered_to_me).map((c) => c.id);
      window.RelevoAlerts.refreshed(offered, new Set([...offered, ...myConversations]));
      RelevoRender.renderBoard($("leaderboard"), board.leaderboard);
    } catch (error) {
      $("action-error").textContent = error.message;
    }
  }

  /* ---------- search: resolved and all conversations ---------- */

  async function search(more) {
    const q = $("search").value.trim();
    const state = $("search-state").value;
    if (!q && state === "open" && !more) { clearSearch(); return; }
    const query = new URLSearchParams({ state, limit: "30", offset: String(more ? searchOffset || 0 : 0) });
    if (q) query.set("q", q);
    try {
      const body = await api("GET", "/api/conversations?" + query);
      const list = $("results");
      if (!more) list.replaceChildren();
      RelevoRender.appendItems(list, body.conversations, current, openConversation);
      searchOffset = body.next_offset;
      $("results-more").hidden = searchOffset === null || searchOffset === undefined;
      $("results-count").textContent = "(" + list.children.length + (searchOffset ? "+" : "") + ")";
      $("results-section").hidden = false;
      if (!list.children.length) list.append(el("li", "muted", "Nothing found."));
    } catch (error) {
      $("action-error").textContent = error.message;
    }
  }

  function clearSearch() {
    $("search").value = "";
    $("search-state").value = "open";
    $("results").replaceChildren();
    $("results-section").hidden = true;
  }

  $("search-form").addEventListener("submit", (event) => { event.preventDefault(); search(false); });
  $("search-state").addEventListener("change", () => search(false));
  $("results-more").addEventListener("click", () => search(true));
  $("results-clear").addEventListener("click", clearSearch);

  /* ---------- one conversation ---------- */

  async function openConversation(id) {
    if (current !== id) document.dispatchEvent(new CustomEvent("relevo:leave", { detail: current }));
    current = id;
    window.RelevoAlerts.markOpened(id);
    $("app").classList.add("show-conv");
    showDetails(false);
    if (ws && ws.readyState === 1) ws.send(JSON.stringify({ type: "watch", conversation_id: id }));
    for (const li of document.querySelectorAll(".convs li")) {
      li.classList.toggle("current", Number(li.dataset.id) === id);
    }
    $("action-error").textContent = "";
    $("transfer-form").hidden = true;
    $("transfer-open").setAttribute("aria-expanded", "false");
    $("suggestions").replaceChildren();
    await loadConversation(id);
    loadSuggestions(id);
  }

  function showDetails(on) {
    $("app").classList.toggle("show-details", on);
    $("details-toggle").setAttribute("aria-expanded", String(on));
    $("details-toggle").textContent = on ? "Messages" : "Contact";
  }

  $("back").addEventListener("click", () => {
    $("app").classList.remove("show-conv");
    showDetails(false);
  });
  $("details-toggle").addEventListener("click", () => showDetails(!$("app").classList.contains("show-details")));

  async function loadConversation(id) {
    let view;
    try {
      view = await api("GET", "/api/conversations/" + id);
    } catch (error) {
      $("action-error").textContent = error.message;
      return;
    }
    if (id !== current) return;
    currentView = view;
    const c = view.conversation;
    $("empty").hidden = true;
    $("view").hidden = false;
    const name = (view.contact && view.contact.display_name) || "Shopper #" + c.contact.id;
    $("conv-title").textContent = name;
    $("conv-state").textContent = "#" + c.id + " · " + c.state + (c.assigned_operator ? " · " + c.assigned_operator.name : "");
    $("claim").disabled = c.state !== "queued";
    $("resolve").disabled = !(c.mine || c.state === "queued");
    $("return").disabled = !(c.mine || c.state === "queued");
    $("transfer-open").disabled = !c.mine;
    if (!c.mine) $("transfer-form").hidden = true;
    // The reply box stays in place; it takes text once the conversation is yours.
    $("reply").disabled = !c.mine;
    $("send").disabled = !c.mine;
    $("reply").placeholder = c.mine ? "Write to the shopper… (type / for saved replies)"
      : c.state === "queued" ? "Claim the conversation to reply" : "Only its operator replies here";
    // Notes go on your own conversations (managers and admins: on any).
    $("note-form").hidden = !(c.mine || can("conversations:all"));
    RelevoRender.renderMessages(view.messages, id);
    RelevoRender.renderContext(view, openConversation);
    loadTransferTargets();
    document.dispatchEvent(new CustomEvent("relevo:conversation", { detail: {
      id, mine: c.mine, state: c.state, name: view.contact ? view.contact.display_name : null,
      locale: c.locale || (view.contact && view.contact.locale) || null,
    } }));
  }

  function loadTransferTargets() {
    const target = $("transfer-target");
    api("GET", "/api/operators").then((body) => {
      target.replaceChildren();
      for (const kind of ["internal", "outsourced", "expert", "ambassador"]) {
        const option = el("option", null, "Pool: " + (KIND_LABEL[kind] || kind));
        option.value = "pool:" + kind;
        target.append(option);
      }
      for (const o of body.operators) {
        if (o.id === me.id) continue;
        const option = el("option", null, o.name + " (" + (KIND_LABEL[o.kind] || o.kind) + ", " + o.presence + ")");
        option.value = "operator:" + o.id;
        target.append(option);
      }
    }).catch(() => null);
  }

  async function loadSuggestions(id) {
    try {
      const body = await api("GET", "/api/conversations/" + id + "/suggestions");
      if (id !== current) return;
      const box = $("suggestions");
      box.replaceChildren();
      for (const s of body.suggestions) {
        const button = el("button", "suggestion", s.title + " (" + Math.round(s.confidence * 100) + "%)");
        button.type = "button";
        button.title = s.answer;
        button.setAttribute("aria-label", "Insert suggested answer: " + s.title);
        button.addEventListener("click", () => insertIntoReply(s.answer));
        box.append(button);
      }
    } catch { /* suggestions are optional */ }
  }

  // Into the reply box at the cursor, not sent: the operator reads and edits it first.
  function insertIntoReply(text) {
    const box = $("reply");
    if (box.disabled) return;
    const start = box.selectionStart ?? box.value.length, end = box.selectionEnd ?? box.value.length;
    box.setRangeText(text, start, end, "end");
    box.focus();
  }

  async function act(path, body) {
    $("action-error").textContent = "";
    try {
      const result = await api("POST", "/api/conversations/" + current + path, body);
      await loadConversation(current);
      scheduleRefresh();
      return result;
    } catch (error) {
      $("action-error").textContent = error.message;
      return null;
    }
  }

  $("claim").addEventListener("click", () => act("/claim"));
  $("resolve").addEventListener("click", () => act("/resolve"));
  $("return").addEventListener("click", () => act("/return-to-bot"));
  $("transfer-open").addEventListener("click", () => {
    const form = $("transfer-form");
    form.hidden = !form.hidden;
    $("transfer-open").setAttribute("aria-expanded", String(!form.hidden));
    if (!form.hidden) $("transfer-target").focus();
  });

  $("reply-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("reply").value.trim();
    if (!text) return;
    const id = current;
    if (await act("/messages", { text })) {
      $("reply").value = "";
      document.dispatchEvent(new CustomEvent("relevo:sent", { detail: id }));
    }
  });

  $("note-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("note").value.trim();
    if (!text) return;
    if (await act("/notes", { text })) $("note").value = "";
  });

  $("transfer-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const [type, value] = $("transfer-target").value.split(":");
    const note = $("transfer-note").value.trim() || null;
    const body = type === "pool" ? { pool: { kinds: [value] }, note } : { operator_id: Number(value), note };
    if (await act("/transfer", body)) {
      $("transfer-note").value = "";
      $("transfer-form").hidden = true;
      $("transfer-open").setAttribute("aria-expanded", "false");
    }
  });

  /* ---------- boot ---------- */

  start().catch(() => showLogin());
})();
