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
  const KIND_LABEL = { internal: "agent", outsourced: "outsourced agent", expert: "expert",
    ambassador: "ambassador" };
  let me = null;
  let current = null;          // id of the conversation on screen
  let currentView = null;      // its last GET
  let ws = null, wsRetry = 0, refreshTimer = null;
  let myConversations = new Set();  // assigned to me, from the last refresh
  let searchOffset = null;     // where the next page of search results starts
  const unseen = new Set();    // conversations offered to me / new messages, not yet opened
  const opened = new Set();    // conversations opened since the page loaded
  const TITLE = "relevo console";

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

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
    $("me-name").textContent = me.name;
    $("me-kind").textContent = (KIND_LABEL[me.kind] || me.kind) +
      (me.role && me.role !== "operator" ? " · " + me.role : "");
    $("me-load").textContent = me.load + "/" + me.max_concurrent + " · " + (me.points || 0) + " pts" +
      (me.level ? " · " + me.level : "");
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

  /* ---------- notifications and the title badge ---------- */

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
    if (!id || (id === current && document.hasFocus())) return;
    unseen.add(id);
    renderBadge();
  }

  window.addEventListener("focus", () => {
    if (current && unseen.delete(current)) renderBadge();
  });

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
      renderList($("queue"), queue.conversations, $("queue-count"));
      renderList($("mine"), mine.conversations, $("mine-count"));
      myConversations = new Set(mine.conversations.map((c) => c.id));
      for (const c of queue.conversations) if (c.offered_to_me && !opened.has(c.id)) markUnseen(c.id);
      const waiting = new Set([...queue.conversations.filter((c) => c.offered_to_me).map((c) => c.id),
        ...myConversations]);
      for (const id of [...unseen]) if (!waiting.has(id)) unseen.delete(id);
      renderBadge();
      renderBoard(board.leaderboard);
    } catch (error) {
      $("action-error").textContent = error.message;
    }
  }

  function renderList(list, conversations, counter) {
    list.replaceChildren();
    if (counter) counter.textContent = conversations.length ? "(" + conversations.length + ")" : "";
    appendItems(list, conversations);
  }

  function appendItems(list, conversations) {
    for (const c of conversations) {
      const item = el("li");
      item.dataset.id = c.id;
      item.tabIndex = 0;
      if (c.id === current) item.classList.add("current");
      if (c.offered_to_me) item.classList.add("offered");
      const line = el("div", "line1");
      line.append(el("strong", null, c.contact.display_name || "Shopper #" + c.contact.id),
        el("span", "tag", c.position ? "#" + c.position : c.channel));
      item.append(line);
      const detail = ["#" + c.id, c.state, c.channel, c.locale, c.offered_to_me ? "offered to you" : null,
        c.after_hours ? "after hours" : null, c.priority ? "priority " + c.priority : null]
        .filter(Boolean).join(" · ");
      item.append(el("div", "muted", detail));
      if (c.last_message) item.append(el("div", "preview", c.last_message.text));
      item.addEventListener("click", () => openConversation(c.id));
      item.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); openConversation(c.id); }
      });
      list.append(item);
    }
  }

  function renderBoard(rows) {
    const list = $("leaderboard");
    list.replaceChildren();
    for (const row of rows) {
      const badges = row.badges.map((b) => b.name).join(", ");
      list.append(el("li", null, row.name + " — " + row.points + " pts · " + row.level +
        (badges ? " · " + badges : "")));
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
      appendItems(list, body.conversations);
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
    opened.add(id);
    if (unseen.delete(id)) renderBadge();
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
    renderMessages(view.messages, id);
    renderContext(view);
    document.dispatchEvent(new CustomEvent("relevo:conversation", { detail: {
      id, mine: c.mine, state: c.state, name: view.contact ? view.contact.display_name : null,
      locale: c.locale || (view.contact && view.contact.locale) || null,
    } }));
  }

  function renderMessages(messages, id) {
    const list = $("messages");
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    const sameConversation = list.dataset.conversation === String(id);
    list.replaceChildren();
    if (!sameConversation) thumbnails.clear();
    list.dataset.conversation = String(id);
    for (const m of messages) {
      const item = el("li", m.author.kind);
      item.dataset.id = m.id;
      if (m.conversation_id !== id) item.classList.add("other-conv");
      const who = m.author.kind === "shopper" ? "Shopper" : (m.author.name || m.author.kind);
      item.append(el("span", "who", who + " · " + new Date(m.created_at).toLocaleString()));
      item.append(el("span", "text", m.text));
      if (m.attachments && m.attachments.length) item.append(renderAttachments(m.attachments));
      if (m.meta && m.meta.intent) {
        const parts = ["intent " + m.meta.intent];
        if (m.meta.article) parts.push("article " + m.meta.article);
        if (m.meta.confidence !== undefined) parts.push("confidence " + m.meta.confidence);
        item.append(el("span", "meta", parts.join(" · ")));
      }
      list.append(item);
    }
    // Scroll inside the pane only (scrollIntoView would also move the page).
    if (!sameConversation || atBottom) list.scrollTop = list.scrollHeight;
  }

  /* What the shopper sent as files: images as thumbnails (the same <img> kept across
   * re-renders, so a refresh does not download them again), other files as links; the
   * URLs are the operator API's, read with the session cookie. */
  const IMAGE_TYPES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);
  const thumbnails = new Map();  // url → its link, for the conversation on screen

  function fileSize(size) {
    if (typeof size !== "number") return "";
    return size < 1024 ? " (" + size + " B)" : size < 1048576 ? " (" + Math.round(size / 1024) + " KB)"
      : " (" + (size / 1048576).toFixed(1) + " MB)";
  }

  function fileLink(url, className, text) {
    const link = el("a", className, text);
    link.href = url;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    return link;
  }

  function renderAttachments(files) {
    const box = el("div", "attachments");
    for (const f of files) {
      const label = f.name || f.content_type || "attachment";
      if (f.url && IMAGE_TYPES.has(f.content_type)) {
        let link = thumbnails.get(f.url);
        if (!link) {
          link = fileLink(f.url, "thumb");
          const image = el("img");
          image.src = f.url;
          image.alt = label;
          link.append(image);
          thumbnails.set(f.url, link);
        }
        box.append(link);
      } else if (f.url) {
        box.append(fileLink(f.url, "file", label + fileSize(f.size)));
      } else {
        box.append(el("span", "file", label + " (not stored)"));
      }
    }
    return box;
  }

  function renderContext(view) {
    const contact = $("contact");
    contact.replaceChildren();
    const add = (label, value) => {
      if (value === null || value === undefined || value === "") return;
      contact.append(el("dt", null, label), el("dd", null, value));
    };
    const who = view.contact || { tags: [], channels: [] };
    add("Name", who.display_name);
    add("Language", who.locale);
    add("E-mail", who.email);
    add("Phone", who.phone);
    add("Topic", view.conversation.topic);
    add("Intent", view.conversation.intent);
    if (view.csat && view.csat.score) add("CSAT", view.csat.score + "/5");
    const tags = $("tags");
    tags.replaceChildren();
    for (const tag of who.tags || []) {
      tags.append(el("li", String(tag).toLowerCase() === "vip" ? "vip" : null, tag));
    }
    const channels = $("channels");
    channels.replaceChildren();
    for (const ch of who.channels || []) {
      channels.append(el("li", null, ch.channel + " · " + ch.external_user_id +
        (ch.last_seen_at ? " · seen " + new Date(ch.last_seen_at).toLocaleDateString() : "")));
    }
    renderHistory(view);
    $("reason").textContent = view.conversation.handoff_reason || "—";
    const routing = $("routing");
    routing.replaceChildren();
    for (const d of view.routing) routing.append(el("li", null, d.outcome + " (" + d.trigger + "): " + d.explanation));
    const notes = $("notes");
    notes.replaceChildren();
    for (const n of view.notes) notes.append(el("li", null, n.text));
    loadTransferTargets();
  }

  function renderHistory(view) {
    const history = $("history");
    history.replaceChildren();
    for (const c of view.contact_conversations || []) {
      const item = el("li");
      const label = "#" + c.id + " · " + c.state + " · " + c.channel + " · " + new Date(c.created_at).toLocaleDateString();
      if (c.id === view.conversation.id) {
        item.append(el("span", null, label + " (this one)"));
        item.setAttribute("aria-current", "true");
      } else {
        const button = el("button", null, label);
        button.type = "button";
        button.addEventListener("click", () => openConversation(c.id));
        item.append(button);
      }
      history.append(item);
    }
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
