/* relevo web chat widget — how one message is drawn: its bubble, links (http/https
 * only, rel="noopener noreferrer"), rating stars, quick replies and the delivery status of the shopper's own. A part of
 * widget.js, written in at its "relevo:widget-messages" marker when /widget.js is
 * served (one script for the shop's page), so it shares widget.js's scope. */
  function h(tag, cls, attrs, text) {
    const el = document.createElement(tag);
    if (cls) el.className = cls;
    for (const k in attrs || {}) el.setAttribute(k, attrs[k]);
    if (text != null) el.textContent = text;
    return el;
  }

  // The safe formatting subset of bot answers (bot/formatting.js, written in here when
  // /widget.js is served): inside this function `window` is a local object, so the
  // renderer lands in FORMAT and nothing is added to the shop's page.
  const FORMAT = (function () { const window = {}; /*relevo:formatting*/ return window.RelevoFormat; })();
  const VOTE_RE = /^(\u{1F44D}|\u{1F44E}) #\d+$/u; // a 👍/👎 button's message: "👎 #<answer id>"

  function messageEl(kind, name, text, createdAt, files) {
    const safeKind = ["shopper", "bot", "operator", "system"].includes(kind) ? kind : "system";
    const el = h("div", "relevo-msg relevo-msg--" + safeKind);
    const label = safeKind === "operator" ? (name || "") : safeKind === "bot" ? (name || T.bot) : "";
    if (label) el.appendChild(h("div", "relevo-author", null, label));
    const bubble = h("div", "relevo-bubble");
    const names = (Array.isArray(files) ? files : []).map((f) => (f && typeof f.name === "string" && f.name) || "file");
    // A file sent alone has the text "[name]": its chip says it already.
    const vote = safeKind === "shopper" ? VOTE_RE.exec(text) : null;
    if (vote) bubble.textContent = vote[1]; // the answer's id is for the server, not the eye
    else if (safeKind === "bot") FORMAT.render(bubble, text);
    else if (text !== names.map((n) => "[" + n + "]").join("\n")) linkify(bubble, text);
    for (const n of names) bubble.appendChild(h("span", "relevo-file", null, n));
    const when = createdAt ? new Date(createdAt) : null;
    if (when && !isNaN(when)) bubble.title = when.toLocaleString(LOCALE);
    el.appendChild(bubble);
    return el;
  }

  // Message data is never markup: text nodes, and http(s) URLs as links that open a new tab
  // without handing this page to the shop's destination. No other scheme (javascript:, data:…) is a link.
  const URL_RE = /\bhttps?:\/\/[^\s<>"'`]+/gi;
  function linkify(bubble, text) {
    let at = 0;
    for (const found of text.matchAll(URL_RE)) {
      const raw = found[0].replace(/[.,;:!?)\]}'"»]+$/, ""); // trailing punctuation belongs to the sentence
      let url;
      try { url = new URL(raw); } catch { continue; }
      if (url.protocol !== "http:" && url.protocol !== "https:") continue;
      bubble.appendChild(document.createTextNode(text.slice(at, found.index)));
      bubble.appendChild(h("a", "relevo-link", { href: url.href, target: "_blank", rel: "noopener noreferrer" }, raw));
      at = found.index + raw.length;
    }
    bubble.appendChild(document.createTextNode(text.slice(at)));
  }

  // A satisfaction request ({"rating": {"scale": 5}}): stars and an optional comment; a star sends
  // one ordinary message, "4" or "4 <comment>", exactly what a shopper typing their answer would.
  function addRating(el, scale) {
    const box = h("div", "relevo-rating", { role: "group", "aria-label": T.rating_prompt });
    const stars = h("div", "relevo-stars");
    const comment = h("input", "relevo-rating-comment", { type: "text", maxlength: "500",
      "aria-label": T.rating_comment, placeholder: T.rating_comment });
    for (let value = 1; value <= scale; value++) {
      const star = h("button", "relevo-star", { type: "button", "aria-pressed": "false",
        "aria-label": T.rating_star.replace("{value}", String(value)).replace("{scale}", String(scale)) }, "★");
      star.addEventListener("click", () => {
        for (const b of box.querySelectorAll("button, input")) b.disabled = true;
        star.setAttribute("aria-pressed", "true");
        box.dataset.value = String(value);
        const note = comment.value.trim();
        submit(note ? value + " " + note : String(value));
        input.focus(); // the pressed star is disabled now: keep the keyboard in the chat
      });
      stars.appendChild(star);
    }
    box.append(stars, comment);
    el.appendChild(box);
  }

  // Quick replies (e.g. "which of these do you mean?"): tapping one sends its title as the
  // shopper's answer, exactly as if typed; the buttons go once one is used.
  function addChoices(el, choices) {
    const row = h("div", "relevo-choices");
    for (const choice of choices.slice(0, 10)) {
      if (!choice || typeof choice.title !== "string" || !choice.title) continue;
      const button = h("button", "relevo-choice", { type: "button" }, choice.title);
      button.addEventListener("click", () => { row.remove(); submit(choice.title); });
      row.appendChild(button);
    }
    if (row.children.length) el.appendChild(row);
  }

  // "Was this helpful?" under a bot answer ({"feedback": true}): 👍/👎 send the ordinary message
  // "👍 #<id>" (the last vote counts); after 👎 the bot offers a person.
  function addFeedback(el, id) {
    const box = h("div", "relevo-feedback", { role: "group", "aria-label": T.feedback_prompt });
    box.appendChild(h("span", "relevo-feedback-prompt", null, T.feedback_prompt));
    for (const [emoji, label] of [["\u{1F44D}", T.feedback_up], ["\u{1F44E}", T.feedback_down]]) {
      const button = h("button", "relevo-vote", { type: "button", "aria-pressed": "false",
        "aria-label": label, title: label }, emoji);
      button.addEventListener("click", () => {
        for (const b of box.querySelectorAll("button")) b.setAttribute("aria-pressed", String(b === button));
        submit(emoji + " #" + id);
      });
      box.appendChild(button);
    }
    el.appendChild(box);
  }

  function setStatus(item, state, reason) {
    item.el.dataset.state = state;
    const old = item.el.querySelector(".relevo-status");
    if (old) old.remove();
    if (state === "sent") return;
    const status = h("div", "relevo-status", state === "sending" ? null : { role: "alert" },
      state === "sending" ? T.sending : state === "failed" ? (reason || T.failed) + " " : reason);
    if (state === "failed") {
      const retry = h("button", "relevo-retry", { type: "button" }, T.retry);
      retry.addEventListener("click", () => enqueue(item));
      status.appendChild(retry);
    }
    item.el.appendChild(status);
  }

  // Icons are constant markup written here, never data from the server.
  const ICON_CHAT = '<svg viewBox="0 0 24 24" width="26" height="26" aria-hidden="true" focusable="false"><path fill="currentColor" d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"/></svg>';
  const ICON_CLOSE = '<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false"><path fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" d="M6 6l12 12M18 6L6 18"/></svg>';
  const ICON_ATTACH = '<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false"><path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" d="M20 11.5 12 19.5a5 5 0 0 1-7-7l8.5-8.5a3.3 3.3 0 0 1 4.7 4.7L9.7 17.2a1.7 1.7 0 0 1-2.4-2.4L15 7"/></svg>';
  const ICON_SEND = '<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false"><path fill="currentColor" d="M3 20.5 21 12 3 3.5 3 10l12 2-12 2z"/></svg>';

  // Every selector is under .relevo-root with relevo- class names, and the basics are reset there,
  // so neither the shop's CSS nor ours leaks across.
  const CSS = /*relevo:widget-css*/""/*end*/; // channels/web/static/widget.css

  const root = h("div", "relevo-root", { "data-open": "false", lang: LOCALE });
  const panelId = "relevo-panel-" + Math.random().toString(36).slice(2, 8);
  const title = opts.title || T.title;
  const panel = h("section", "relevo-panel", { id: panelId, role: "dialog", "aria-label": title, hidden: "" });
  const header = h("div", "relevo-header");
  const heading = h("div", "relevo-heading");
  heading.append(h("div", "relevo-title", null, title), h("div", "relevo-subtitle", null, T.subtitle));
  const closeBtn = h("button", "relevo-close", { type: "button", "aria-label": T.close });
  closeBtn.innerHTML = ICON_CLOSE;
  header.append(heading, closeBtn);
  const list = h("div", "relevo-log", { role: "log", "aria-live": "polite", "aria-label": T.log, tabindex: "0" });
  list.appendChild(h("div", "relevo-intro", null, T.intro));
  const typing = h("div", "relevo-typing", { role: "status", "aria-live": "polite", hidden: "" });
  const form = h("form", "relevo-form");
  const fileInput = h("input", "relevo-file-input", { type: "file", accept: "image/*,application/pdf",
    tabindex: "-1", "aria-hidden": "true" });
  const attachBtn = h("button", "relevo-attach", { type: "button", "aria-label": T.attach, title: T.attach });
  attachBtn.innerHTML = ICON_ATTACH;
  const input = h("textarea", "relevo-input", { rows: "1", placeholder: T.placeholder, "aria-label": T.input });
  const sendBtn = h("button", "relevo-send", { type: "submit", "aria-label": T.send });
  sendBtn.innerHTML = ICON_SEND;
  form.append(fileInput, attachBtn, input, sendBtn);
  panel.append(header, list, typing, form);
  const launcher = h("button", "relevo-launcher", { type: "button", "aria-label": T.open,
    "aria-expanded": "false", "aria-controls": panelId });
  launcher.innerHTML = ICON_CHAT;
  const badge = h("span", "relevo-badge", { hidden: "", "aria-hidden": "true" });
  launcher.appendChild(badge);
  root.append(panel, launcher);
