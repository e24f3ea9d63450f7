/* relevo — the safe formatting subset of answers (bot/formatting.py's grammar), drawn as
 * DOM nodes: **bold**, [label](url) with http, https or mailto only (the scheme is checked
 * again here: the browser's URL parser decides, not a regular expression), list lines
 * ("- ", "1. ") and blank-line paragraphs. Text only ever goes in as text nodes: raw
 * HTML, a javascript: link or anything else stays visible as written, never markup.
 * The widget writes this file in at its marker; the console and the editor load it. */
(function (scope) {
  "use strict";
  const INLINE = /\*\*([^\s*](?:[^\n]*?[^\s*])?)\*\*|\[([^\[\]\n]+)\]\(((?:[^()\s]|\([^()\s]*\))+)\)/g;
  const BULLET = /^\s{0,3}[-*•]\s+(.*)$/;
  const NUMBER = /^\s{0,3}(\d{1,3})[.)]\s+(.*)$/;
  const SCHEMES = ["http:", "https:", "mailto:"];

  function safeUrl(raw) {
    if (/[\u0000-\u0020<>"'`\\]/.test(raw)) return null;
    let url;
    try { url = new URL(raw); } catch (e) { return null; }
    if (SCHEMES.indexOf(url.protocol) < 0) return null;
    if (url.protocol === "mailto:") return url.pathname.indexOf("@") > 0 ? url.href : null;
    return url.hostname ? url.href : null;
  }

  function inline(parent, text) {
    let at = 0;
    INLINE.lastIndex = 0;
    for (let m = INLINE.exec(text); m; m = INLINE.exec(text)) {
      let node;
      if (m[1] !== undefined) {
        node = document.createElement("strong");
        node.textContent = m[1];
      } else {
        const href = safeUrl(m[3]);
        if (!href) continue; // not a link: its source stays text
        node = document.createElement("a");
        node.href = href;
        node.target = "_blank";
        node.rel = "noopener noreferrer";
        node.className = "relevo-link";
        node.textContent = m[2];
      }
      if (m.index > at) parent.appendChild(document.createTextNode(text.slice(at, m.index)));
      parent.appendChild(node);
      at = m.index + m[0].length;
    }
    if (at < text.length) parent.appendChild(document.createTextNode(text.slice(at)));
  }

  // Appends `text`, formatted, to `parent`: a <div> per paragraph, <ul>/<ol> for list runs.
  function render(parent, text) {
    const blocks = String(text).replace(/\r\n/g, "\n").replace(/^\n+|\n+$/g, "").split(/\n[ \t]*\n+/);
    for (const block of blocks) {
      if (!block.trim()) continue;
      const para = document.createElement("div");
      para.className = "relevo-para";
      let list = null;
      let line = null;
      for (const raw of block.split("\n")) {
        const bullet = BULLET.exec(raw);
        const number = bullet ? null : NUMBER.exec(raw);
        if (bullet || number) {
          const tag = bullet ? "ul" : "ol";
          if (!list || list.tagName.toLowerCase() !== tag) {
            list = document.createElement(tag);
            if (number) list.start = Number(number[1]);
            para.appendChild(list);
          }
          const item = document.createElement("li");
          inline(item, bullet ? bullet[1] : number[2]);
          list.appendChild(item);
          line = null;
        } else {
          list = null;
          if (line) para.appendChild(document.createElement("br"));
          line = document.createElement("span");
          inline(line, raw.replace(/\s+$/, ""));
          para.appendChild(line);
        }
      }
      parent.appendChild(para);
    }
  }

  scope.RelevoFormat = { render: render, safeUrl: safeUrl };
})(typeof window !== "undefined" ? window : this);
