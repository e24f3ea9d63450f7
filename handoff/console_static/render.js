/*! relevo operator console — what the console draws from the API's JSON: conversation
 * list items, the leaderboard, a conversation's messages (attachments as thumbnails or
 * links) and its sidebar. Text only ever goes in as text nodes. console.js calls these
 * through window.RelevoRender; `open(id)` is its "open this conversation".
 */
(() => {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const KIND_LABEL = { internal: "agent", outsourced: "outsourced agent", expert: "expert",
    ambassador: "ambassador" };

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function renderList(list, conversations, counter, current, open) {
    list.replaceChildren();
    if (counter) counter.textContent = conversations.length ? "(" + conversations.length + ")" : "";
    appendItems(list, conversations, current, open);
  }

  function appendItems(list, conversations, current, open) {
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
      item.addEventListener("click", () => open(c.id));
      item.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); open(c.id); }
      });
      list.append(item);
    }
  }

  function renderBoard(list, rows) {
    list.replaceChildren();
    for (const row of rows) {
      const badges = row.badges.map((b) => b.name).join(", ");
      list.append(el("li", null, row.name + " — " + row.points + " pts · " + row.level +
        (badges ? " · " + badges : "")));
    }
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
      const text = el(m.author.kind === "bot" ? "div" : "span", "text");
      // Bot answers in the safe formatting subset (bot/formatting.js): DOM nodes, never markup.
      if (m.author.kind === "bot" && window.RelevoFormat) window.RelevoFormat.render(text, m.text);
      else text.textContent = m.text;
      item.append(text);
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

  function renderContext(view, open) {
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
    renderHistory(view, open);
    $("reason").textContent = view.conversation.handoff_reason || "—";
    const routing = $("routing");
    routing.replaceChildren();
    for (const d of view.routing) routing.append(el("li", null, d.outcome + " (" + d.trigger + "): " + d.explanation));
    const notes = $("notes");
    notes.replaceChildren();
    for (const n of view.notes) notes.append(el("li", null, n.text));
  }

  function renderHistory(view, open) {
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
        button.addEventListener("click", () => open(c.id));
        item.append(button);
      }
      history.append(item);
    }
  }

  window.RelevoRender = { el, KIND_LABEL, renderList, appendItems, renderBoard, renderMessages, renderContext };
})();
