/*! relevo operator console — vanilla JS, no build step, no dependencies.
 *
 * Talks to the operator API (/api/...) with the session cookie set by POST /console/session,
 * and listens to WS /api/ws for small notices ("queue", "offered", "message", …) after which
 * it re-reads what changed. Every string from the server is rendered with textContent.
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
  }

  $("presence").addEventListener("change", async () => {
    try {
      const body = await api("POST", "/api/operators/me/presence", { status: $("presence").value });
      me = Object.assign(me, body.operator);
      renderMe();
      refreshLists();
    } catch (error) {
      $("action-error").textContent = error.message;
    }
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
    scheduleRefresh();
    if (current && notice.conversation_id === current) loadConversation(current);
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
      renderBoard(board.leaderboard);
    } catch (error) {
      $("action-error").textContent = error.message;
    }
  }

  function renderList(list, conversations, counter) {
    list.replaceChildren();
    counter.textContent = conversations.length ? "(" + conversations.length + ")" : "";
    for (const c of conversations) {
      const item = el("li");
      item.dataset.id = c.id;
      if (c.id === current) item.classList.add("current");
      if (c.offered_to_me) item.classList.add("offered");
      const line = el("div", "line1");
      line.append(el("strong", null, c.contact.display_name || "Shopper #" + c.contact.id),
        el("span", "tag", c.position ? "#" + c.position : c.channel));
      item.append(line);
      const detail = [c.channel, c.locale, c.offered_to_me ? "offered to you" : null,
        c.after_hours ? "after hours" : null, c.priority ? "priority " + c.priority : null]
        .filter(Boolean).join(" · ");
      item.append(el("div", "muted", detail));
      if (c.last_message) item.append(el("div", "preview", c.last_message.text));
      item.addEventListener("click", () => openConversation(c.id));
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

  /* ---------- one conversation ---------- */

  async function openConversation(id) {
    current = id;
    if (ws && ws.readyState === 1) ws.send(JSON.stringify({ type: "watch", conversation_id: id }));
    for (const li of document.querySelectorAll(".convs li")) {
      li.classList.toggle("current", Number(li.dataset.id) === id);
    }
    $("action-error").textContent = "";
    await loadConversation(id);
    loadSuggestions(id);
  }

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
    $("conv-title").textContent = (view.contact && view.contact.display_name) || "Shopper #" + c.contact.id;
    $("conv-state").textContent = c.state + (c.assigned_operator ? " · " + c.assigned_operator.name : "");
    $("claim").disabled = c.state !== "queued";
    $("resolve").disabled = !(c.mine || c.state === "queued");
    $("return").disabled = !(c.mine || c.state === "queued");
    $("reply-form").hidden = !c.mine;
    $("transfer-form").hidden = !c.mine;
    // Notes go on your own conversations (managers and admins: on any).
    $("note-form").hidden = !(c.mine || can("conversations:all"));
    renderMessages(view.messages, id);
    renderContext(view);
  }

  function renderMessages(messages, id) {
    const list = $("messages");
    list.replaceChildren();
    for (const m of messages) {
      const item = el("li", m.author.kind);
      item.dataset.id = m.id;
      if (m.conversation_id !== id) item.classList.add("other-conv");
      const who = m.author.kind === "shopper" ? "Shopper" : (m.author.name || m.author.kind);
      item.append(el("span", "who", who + " · " + new Date(m.created_at).toLocaleString()));
      item.append(el("span", "text", m.text));
      if (m.meta && m.meta.intent) {
        const parts = ["intent " + m.meta.intent];
        if (m.meta.article) parts.push("article " + m.meta.article);
        if (m.meta.confidence !== undefined) parts.push("confidence " + m.meta.confidence);
        item.append(el("span", "meta", parts.join(" · ")));
      }
      list.append(item);
    }
    list.lastElementChild && list.lastElementChild.scrollIntoView({ block: "end" });
  }

  function renderContext(view) {
    const contact = $("contact");
    contact.replaceChildren();
    const add = (label, value) => {
      if (value === null || value === undefined || value === "") return;
      contact.append(el("dt", null, label), el("dd", null, value));
    };
    if (view.contact) {
      add("Name", view.contact.display_name);
      add("Language", view.contact.locale);
      add("E-mail", view.contact.email);
      add("Tags", (view.contact.tags || []).join(", "));
      add("Channels", view.contact.channels.map((ch) => ch.channel).join(", "));
    }
    add("Topic", view.conversation.topic);
    add("Intent", view.conversation.intent);
    if (view.csat && view.csat.score) add("CSAT", view.csat.score + "/5");
    $("reason").textContent = view.conversation.handoff_reason || "—";
    const routing = $("routing");
    routing.replaceChildren();
    for (const d of view.routing) {
      const item = el("li", null, d.outcome + " (" + d.trigger + "): " + d.explanation);
      routing.append(item);
    }
    const notes = $("notes");
    notes.replaceChildren();
    for (const n of view.notes) notes.append(el("li", null, n.text));
    const target = $("transfer-target");
    target.replaceChildren();
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
    const box = $("suggestions");
    box.replaceChildren();
    try {
      const body = await api("GET", "/api/conversations/" + id + "/suggestions");
      if (id !== current) return;
      for (const s of body.suggestions) {
        const button = el("button", null, s.title + " (" + Math.round(s.confidence * 100) + "%)");
        button.type = "button";
        button.title = s.answer;
        button.addEventListener("click", () => { $("reply").value = s.answer; $("reply").focus(); });
        box.append(button);
      }
    } catch { /* suggestions are optional */ }
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

  $("reply-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("reply").value.trim();
    if (!text) return;
    if (await act("/messages", { text })) $("reply").value = "";
  });
  $("reply").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      $("reply-form").requestSubmit();
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
    if (await act("/transfer", body)) $("transfer-note").value = "";
  });

  /* ---------- boot ---------- */

  start().catch(() => showLogin());
})();
