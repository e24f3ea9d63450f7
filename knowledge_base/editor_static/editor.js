/*! relevo knowledge-base editor — vanilla JS, no build step, no dependencies.
 *
 * Talks only to the REST API under /api/kb/ (and /api/operators/me for who is signed in)
 * with the console's session cookie; unsafe requests carry X-Relevo-Console: 1. What the
 * server sends is drawn with textContent only: answers in the safe formatting subset
 * (**bold**, [label](http/https/mailto), "- " and "1. " lists, blank-line paragraphs) are
 * built node by node, so markup typed by editors or shoppers stays text.
 *
 * Never lose an editor's text: a save refused with 409 keeps the form as typed and offers
 * the newer revision side by side; unsaved changes are kept in this tab's session storage
 * as they are typed, so leaving the article or reloading the page brings them back.
 */
(() => {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const enc = encodeURIComponent;
  const LOCALE_RE = /^[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$/;
  const DEFAULT_LANGUAGES = ["es", "en"];
  const STATUS_LABEL = { draft: "draft", in_review: "in review", published: "published", archived: "archived" };

  let me = null;
  let tab = "articles";
  let allArticles = [];
  const seenTopics = new Set(), seenLanguages = new Set(DEFAULT_LANGUAGES);

  let article = null;        // the ArticleDetail on screen; null while writing a new one
  let baseRevision = null;   // the revision the form was loaded from (PUT's base_revision)
  let dirty = false;         // the form differs from what was loaded
  const unsaved = keeper();   // intent (or "" for a new one) → {content, base, note, pending}
  let pending = null;        // {cluster: {id, label}, proposal: id | null}: done on the next save
  let conflict = null;       // the newer RevisionDetail a save ran into
  let keptAside = null;      // the editor's own text while the newer revision is on screen
  let cluster = null;        // the ClusterDetail on screen

  /* Unsaved changes by article, in the tab's session storage (in memory without it). */
  function keeper() {
    const KEY = "relevo-editor-unsaved", memory = {};
    const read = () => {
      try { return JSON.parse(sessionStorage.getItem(KEY) || "{}"); } catch { return memory; }
    };
    const write = (all) => {
      try { sessionStorage.setItem(KEY, JSON.stringify(all)); } catch { Object.assign(memory, all); }
    };
    return {
      get: (key) => read()[key] || null,
      set: (key, value) => { const all = read(); all[key] = value; write(all); },
      delete: (key) => { const all = read(); delete all[key]; write(all); },
    };
  }

  /* ---------- talking to the server ---------- */

  class ApiError extends Error {
    constructor(status, body) {
      super(describe(status, body));
      this.status = status;
      this.body = body;
      this.field = typeof body.field === "string" ? body.field : pydanticField(body);
    }
  }

  function describe(status, body) {
    if (typeof body.detail === "string") return body.detail;
    if (Array.isArray(body.detail)) {
      return body.detail.map((d) => (d.loc || []).slice(1).join(".") + ": " + d.msg).join("; ");
    }
    return "request failed (" + status + ")";
  }

  function pydanticField(body) {
    const first = Array.isArray(body.detail) ? body.detail[0] : null;
    return first && Array.isArray(first.loc) ? first.loc.slice(1).join(".") : null;
  }

  async function api(method, path, body) {
    const headers = { Accept: "application/json", "X-Relevo-Console": "1" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const res = await fetch(path, { method, headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body) });
    const json = await res.json().catch(() => ({}));
    if (res.status === 401) showSignin();
    if (!res.ok) throw new ApiError(res.status, json || {});
    return json;
  }

  function can(scope) {
    return Boolean(me && Array.isArray(me.scopes) && me.scopes.includes(scope));
  }

  /* ---------- DOM helpers ---------- */

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function button(text, onClick, className, label) {
    const node = el("button", className, text);
    node.type = "button";
    if (label) node.setAttribute("aria-label", label);
    node.addEventListener("click", onClick);
    return node;
  }

  function when(at) {
    return at ? new Date(at).toLocaleString() : "";
  }

  function notice(text) {
    $("notice").textContent = text || "";
  }

  function listItem(onOpen) {
    const item = el("li");
    item.tabIndex = 0;
    item.addEventListener("click", onOpen);
    item.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); onOpen(); }
    });
    return item;
  }

  /* ---------- the safe formatting subset, as DOM nodes ----------
   * Drawn by bot/formatting.js (window.RelevoFormat, loaded before this file): the same
   * grammar the widget and the console use, so an answer looks here as shoppers see it. */

  const LINK = /\[([^\[\]\n]+)\]\(((?:[^()\s]|\([^()\s]*\))+)\)/g;

  function formatted(text, className) {
    const box = el("div", className || "rendered");
    if (window.RelevoFormat) window.RelevoFormat.render(box, String(text || ""));
    else box.textContent = String(text || "");  // the formatter missing: plain text, still safe
    return box;
  }

  function formattingProblems(text) {
    const problems = [];
    if (!window.RelevoFormat) return problems;
    for (const match of String(text || "").matchAll(LINK)) {
      if (!window.RelevoFormat.safeUrl(match[2])) {
        problems.push("the link to “" + match[2] + "” is not an http, https or mailto address: it shows as text");
      }
    }
    return problems;
  }

  /* ---------- signing in ---------- */

  function showSignin() {
    $("app").hidden = true;
    $("signin").hidden = false;
  }

  async function start() {
    try {
      me = (await api("GET", "/api/operators/me")).operator;
    } catch (error) {
      showSignin();
      return;
    }
    $("signin").hidden = true;
    $("app").hidden = false;
    $("me-name").textContent = me.name;
    $("me-roles").textContent = Array.isArray(me.roles) ? me.roles.join(", ") : me.role;
    $("new-article").hidden = !can("kb:edit");
    $("retrain").hidden = !can("kb:review");
    await Promise.all([refreshArticles(), refreshModels(), refreshClusterCount()]);
    await route(location.hash.slice(1));
    setInterval(() => { if (!$("app").hidden) refreshModels(); }, 5000);
  }

  async function route(hash) {
    const [kind, value] = hash.split(/\/(.*)/s);
    if (kind === "article" && value) { await openArticle(decodeURIComponent(value)); return; }
    if (kind === "cluster" && value) { showTab("inbox"); await openCluster(Number(value)); return; }
    if (kind === "inbox" || kind === "review") { showTab(kind); return; }
    if (kind === "new" && can("kb:edit")) newArticle(emptyContent(), null);
  }

  // A link or a typed address to another view (remember() replaces the hash silently).
  window.addEventListener("hashchange", () => { if (me) route(location.hash.slice(1)); });

  function remember(hash) {
    history.replaceState(null, "", "#" + hash);
  }

  $("logout").addEventListener("click", async () => {
    await api("DELETE", "/console/session").catch(() => null);
    showSignin();
  });

  /* ---------- tabs and lists ---------- */

  function showTab(name) {
    tab = name;
    for (const id of ["articles", "review", "inbox"]) {
      $("tab-" + id).setAttribute("aria-selected", String(id === name));
    }
    $("article-pane").hidden = name === "inbox";
    $("inbox-pane").hidden = name !== "inbox";
    $("article-filters").hidden = name === "review";
    $("list-title").firstChild.textContent = name === "review" ? "Waiting for review " : "Articles ";
    if (name === "inbox") refreshClusters(); else renderArticleList();
    if (!article && !cluster && name !== "articles") remember(name);
  }

  for (const name of ["articles", "review", "inbox"]) {
    $("tab-" + name).addEventListener("click", () => showTab(name));
  }

  function filterQuery() {
    const query = new URLSearchParams();
    if (tab === "review") { query.set("status", "in_review"); return query; }
    for (const [key, id] of [["status", "filter-status"], ["topic", "filter-topic"],
      ["language", "filter-language"], ["owner", "filter-owner"], ["q", "filter-q"]]) {
      const value = $(id).value.trim();
      if (value) query.set(key, value);
    }
    return query;
  }

  async function refreshArticles() {
    try {
      allArticles = (await api("GET", "/api/kb/articles")).articles;
      for (const a of allArticles) {
        if (a.topic) seenTopics.add(a.topic);
        for (const language of a.languages || []) seenLanguages.add(language);
      }
      const waiting = allArticles.filter((a) => a.status === "in_review").length;
      $("review-count").textContent = waiting ? "(" + waiting + ")" : "";
      fillOptions();
      await renderArticleList();
    } catch (error) {
      notice(error.message);
    }
  }

  function fillOptions() {
    const keep = (select, values, first) => {
      const chosen = select.value;
      select.replaceChildren(...first.map(([v, t]) => option(v, t)), ...[...values].sort().map((v) => option(v, v)));
      select.value = chosen;
    };
    keep($("filter-topic"), seenTopics, [["", "Any topic"]]);
    keep($("filter-language"), seenLanguages, [["", "Any language"]]);
    keep($("cluster-language"), seenLanguages, [["", "Any language"]]);
    $("topics").replaceChildren(...[...seenTopics].sort().map((t) => option(t, t)));
    const targets = allArticles.map((a) => [a.intent, a.intent + " — " + firstTitle(a)]);
    keep($("cl-add-article"), [], [["", "Pick an article…"], ...targets]);
  }

  function option(value, text) {
    const node = el("option", null, text);
    node.value = value;
    return node;
  }

  function firstTitle(a) {
    const titles = a.title || {};
    return titles.en || titles.es || Object.values(titles)[0] || a.intent;
  }

  async function renderArticleList() {
    const query = filterQuery();
    let shown = allArticles;
    try {
      if ([...query.keys()].length) shown = (await api("GET", "/api/kb/articles?" + query)).articles;
    } catch (error) {
      notice(error.message);
      return;
    }
    const list = $("articles");
    list.replaceChildren();
    $("articles-count").textContent = "(" + shown.length + ")";
    for (const a of shown) {
      const item = listItem(() => openArticle(a.intent));
      item.dataset.intent = a.intent;
      if (article && article.intent === a.intent) item.classList.add("current");
      const line = el("div", "line1");
      line.append(el("strong", null, a.intent), el("span", "tag " + a.status, STATUS_LABEL[a.status] || a.status));
      item.append(line, el("div", null, firstTitle(a)));
      const facts = [a.topic, (a.languages || []).join(", "), a.owner ? a.owner.name : null,
        "rev " + a.head_revision, (a.helpful || 0) + " helpful / " + (a.not_helpful || 0) + " not"];
      item.append(el("div", "sub", facts.filter(Boolean).join(" · ")));
      list.append(item);
    }
    if (!shown.length) list.append(el("li", "muted", "No articles."));
  }

  let searchTimer = null;
  $("article-filters").addEventListener("submit", (event) => { event.preventDefault(); renderArticleList(); });
  $("article-filters").addEventListener("change", () => renderArticleList());
  $("filter-q").addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(renderArticleList, 250);
  });

  /* ---------- the article form ---------- */

  function emptyContent() {
    return { intent: "", topic: "", tags: [], title: {}, questions: {}, answer: {} };
  }

  function localeBox(locale) {
    return [...$("locales").children].find((box) => box.dataset.locale === locale) || null;
  }

  function addQuestion(box, text) {
    const locale = box.dataset.locale, list = box.querySelector(".questions");
    const row = el("div", "question");
    const input = el("input");
    input.value = text || "";
    input.readOnly = !can("kb:edit");
    input.setAttribute("aria-label", "Question (" + locale + ")");
    row.append(input);
    if (can("kb:edit")) {
      row.append(button("×", () => { row.remove(); changed(); }, null, "Remove question (" + locale + ")"));
    }
    list.append(row);
    return input;
  }

  function addLocale(locale, content) {
    const existing = localeBox(locale);
    if (existing) return existing;
    const editable = can("kb:edit");
    const box = el("fieldset", "locale");
    box.dataset.locale = locale;
    box.append(el("legend", null, locale));
    const title = el("input");
    title.dataset.field = "title." + locale;
    title.value = (content.title || {})[locale] || "";
    title.readOnly = !editable;
    title.setAttribute("aria-label", "Title (" + locale + ")");
    const titleLabel = el("label", null, "Title");
    titleLabel.append(title);
    const questions = el("div", "questions");
    questions.dataset.field = "questions." + locale;
    box.append(titleLabel, el("label", null, "Questions shoppers ask"), questions);
    for (const q of (content.questions || {})[locale] || []) addQuestion(box, q);
    if (editable) {
      box.append(button("Add question", () => { addQuestion(box, "").focus(); changed(); }, null,
        "Add question (" + locale + ")"));
    }
    const answer = el("textarea");
    answer.dataset.field = "answer." + locale;
    answer.value = (content.answer || {})[locale] || "";
    answer.readOnly = !editable;
    answer.setAttribute("aria-label", "Answer (" + locale + ")");
    const rendered = el("div", "rendered");
    rendered.setAttribute("aria-label", "Answer as shoppers see it (" + locale + ")");
    const problems = el("p", "problems");
    const answerBox = el("div", "answer-box");
    answerBox.append(answer, rendered);
    box.append(el("label", null, "Answer (**bold**, [label](https://…), “- ” lists)"), answerBox, problems);
    answer.addEventListener("input", () => renderAnswer(box));
    if (editable) {
      box.append(button("Remove language " + locale, () => { box.remove(); changed(); fillPreviewLocales(); }));
    }
    $("locales").append(box);
    renderAnswer(box);
    return box;
  }

  function renderAnswer(box) {
    const text = box.querySelector("textarea").value;
    const rendered = box.querySelector(".rendered");
    rendered.replaceChildren(...formatted(text).childNodes);
    box.querySelector(".problems").textContent = formattingProblems(text).join("; ");
  }

  function fillForm(content, intentEditable) {
    const editable = can("kb:edit");
    $("f-intent").value = content.intent || "";
    $("f-intent").readOnly = !intentEditable;
    $("f-topic").value = content.topic || "";
    $("f-tags").value = (content.tags || []).join(", ");
    $("f-topic").readOnly = $("f-tags").readOnly = $("f-note").readOnly = !editable;
    $("locales").replaceChildren();
    const locales = new Set([...Object.keys(content.title || {}), ...Object.keys(content.questions || {}),
      ...Object.keys(content.answer || {})]);
    for (const locale of locales) addLocale(locale, content);
    $("save").hidden = $("discard").hidden = $("add-locale").parentElement.hidden = !editable;
    fillPreviewLocales();
    clearInvalid();
  }

  function readForm() {
    const content = {
      intent: $("f-intent").value.trim(), topic: $("f-topic").value.trim(),
      tags: $("f-tags").value.split(",").map((t) => t.trim()).filter(Boolean),
      title: {}, questions: {}, answer: {},
    };
    for (const box of $("locales").children) {
      const locale = box.dataset.locale;
      content.title[locale] = box.querySelector("[data-field^='title.']").value.trim();
      content.questions[locale] = [...box.querySelectorAll(".question input")]
        .map((i) => i.value.trim()).filter(Boolean);
      content.answer[locale] = box.querySelector("textarea").value.trim();
    }
    return content;
  }

  let keepTimer = null;

  function changed() {
    dirty = true;
    clearTimeout(keepTimer);
    keepTimer = setTimeout(keepUnsaved, 300);
  }

  function keepUnsaved() {
    if (!dirty || $("article-view").hidden || !can("kb:edit")) return;
    unsaved.set(article ? article.intent : "", { content: readForm(), base: baseRevision,
      note: $("f-note").value, pending });
  }

  $("article-form").addEventListener("input", changed);
  $("add-locale").addEventListener("click", () => {
    const locale = $("new-locale").value.trim();
    if (!LOCALE_RE.test(locale)) { $("art-error").textContent = "language: give a code like es, en or pt-BR"; return; }
    const box = addLocale(locale, emptyContent());
    if (!box.querySelector(".question")) addQuestion(box, "");
    box.querySelector("input").focus();
    $("new-locale").value = "";
    changed();
    fillPreviewLocales();
  });

  function clearInvalid() {
    for (const node of document.querySelectorAll(".invalid")) node.classList.remove("invalid");
    $("art-error").textContent = "";
  }

  function markInvalid(field) {
    let path = field || "";
    while (path) {
      const node = document.querySelector('[data-field="' + CSS.escape(path) + '"]');
      if (node) {
        node.classList.add("invalid");
        (node.matches("input,textarea") ? node : node.querySelector("input") || node).focus();
        return;
      }
      path = path.includes(".") ? path.slice(0, path.lastIndexOf(".")) : "";
    }
  }

  function showError(error) {
    $("art-error").textContent = error.message;
    if (error.field) markInvalid(error.field);
  }

  /* ---------- opening, writing and saving an article ---------- */

  function leaveArticle() {
    if ($("article-view").hidden) return;
    keepUnsaved();
    clearTimeout(keepTimer);
    dirty = false;
  }

  function showView(name) {
    $("empty").hidden = true;
    $("article-view").hidden = name !== "article";
    $("cluster-view").hidden = name !== "cluster";
    if (name !== "cluster") cluster = null;
    for (const li of document.querySelectorAll(".items li.current")) li.classList.remove("current");
  }

  function resetPanels() {
    for (const id of ["conflict", "kept-aside", "publish-box", "reject-form", "resolve-banner"]) $(id).hidden = true;
    for (const id of ["preview-result", "replay-result", "diff", "conflict-diff"]) $(id).replaceChildren();
    clearInvalid();
    conflict = null;
    keptAside = null;
  }

  async function openArticle(intent) {
    let detail;
    try {
      detail = await api("GET", "/api/kb/articles/" + enc(intent));
    } catch (error) {
      notice(error.message);
      return;
    }
    leaveArticle();
    if (tab === "inbox") showTab("articles");
    showView("article");
    resetPanels();
    pending = null;
    notice("");
    showArticle(detail);
    const kept = unsaved.get(detail.intent);
    if (kept && can("kb:edit")) {  // what was typed here and not saved comes back
      fillForm(kept.content, false);
      $("f-note").value = kept.note;
      baseRevision = kept.base;
      pending = kept.pending;
      dirty = true;
      showPending();
      notice("Your unsaved changes to " + detail.intent + " are back (written on revision " + kept.base + ").");
    }
    remember("article/" + enc(intent));
  }

  /* The article as the server has it now, in the form and the panels. */
  function showArticle(detail) {
    article = detail;
    baseRevision = detail.head_revision;
    fillForm(Object.assign({ intent: detail.intent }, detail.content), false);
    $("f-note").value = "";
    dirty = false;
    $("art-heading").textContent = detail.intent;
    $("art-status").textContent = STATUS_LABEL[detail.status] || detail.status;
    $("art-status").className = "tag " + detail.status;
    $("art-revisions").textContent = "revision " + detail.head_revision +
      (detail.published_revision ? " · serving revision " + detail.published_revision : " · not serving") +
      (detail.owner ? " · " + detail.owner.name : "");
    showWorkflow(detail.status);
    showPending();
    renderEvents(detail.events || []);
    loadRevisions();
    for (const li of $("articles").children) li.classList.toggle("current", li.dataset.intent === detail.intent);
  }

  function showWorkflow(status) {
    const isNew = !article;
    $("submit").hidden = isNew || !can("kb:edit");
    $("submit").disabled = status !== "draft";
    $("reject-open").hidden = isNew || !can("kb:review");
    $("reject-open").disabled = status !== "in_review";
    $("publish").hidden = isNew || !can("kb:review");
    $("publish").disabled = !(status === "in_review" || (status === "draft" && can("kb:edit")));
    $("archive").hidden = isNew || !can("kb:review");
    $("archive").disabled = status === "archived";
  }

  function showPending() {
    $("resolve-banner").hidden = !(pending && pending.cluster);
    if (pending && pending.cluster) {
      $("resolve-text").textContent = "Saving resolves cluster #" + pending.cluster.id + " “" +
        pending.cluster.label + "” with this article." + (pending.proposal ? " The answer credits proposal #" +
        pending.proposal + "." : "");
    }
  }

  $("resolve-cancel").addEventListener("click", () => { pending = null; showPending(); });

  function newArticle(content, from) {
    leaveArticle();
    if (tab === "inbox" && !from) showTab("articles");
    showView("article");
    resetPanels();
    article = null;
    baseRevision = null;
    const kept = !from && unsaved.get("");
    fillForm(kept ? kept.content : content, true);
    $("f-note").value = kept ? kept.note : "";
    pending = kept ? kept.pending : from;
    dirty = false;
    if (kept || from) changed();
    $("art-heading").textContent = "New article";
    $("art-status").textContent = "not saved";
    $("art-status").className = "tag";
    $("art-revisions").textContent = "";
    showWorkflow(null);
    showPending();
    $("revisions").replaceChildren();
    $("events").replaceChildren();
    for (const id of ["diff-from", "diff-to"]) $(id).replaceChildren();
    if (!$("locales").children.length) for (const locale of DEFAULT_LANGUAGES) addQuestion(addLocale(locale, content), "");
    fillPreviewLocales();
    remember("new");
    $("f-intent").focus();
  }

  $("new-article").addEventListener("click", () => newArticle(emptyContent(), null));

  async function save(overBase) {
    clearInvalid();
    const content = readForm();
    const note = $("f-note").value.trim();
    let detail;
    try {
      if (!article) {
        const body = Object.assign({}, content, note ? { note } : {},
          pending && pending.proposal ? { proposal: pending.proposal } : {});
        detail = await api("POST", "/api/kb/articles", body);
      } else {
        const { intent, ...rest } = content;
        const body = Object.assign(rest, { base_revision: overBase || baseRevision }, note ? { note } : {});
        detail = await api("PUT", "/api/kb/articles/" + enc(article.intent), body);
      }
    } catch (error) {
      if (error.status === 409 && error.body.current) showConflict(error);
      else showError(error);
      return;
    }
    const resolving = pending && pending.cluster;
    clearTimeout(keepTimer);
    dirty = false;
    pending = null;
    unsaved.delete(article ? article.intent : "");
    resetPanels();
    showArticle(detail);
    remember("article/" + enc(detail.intent));
    notice("Saved revision " + detail.head_revision + " of " + detail.intent + ".");
    if (resolving) await resolveCluster(resolving.id, detail.intent);
    refreshArticles();
  }

  $("article-form").addEventListener("submit", (event) => { event.preventDefault(); save(null); });

  $("discard").addEventListener("click", async () => {
    clearTimeout(keepTimer);
    unsaved.delete(article ? article.intent : "");
    dirty = false;
    pending = null;
    if (!article) { newArticle(emptyContent(), null); return; }
    const detail = await api("GET", "/api/kb/articles/" + enc(article.intent)).catch((error) => {
      $("art-error").textContent = error.message;
      return null;
    });
    if (!detail) return;
    resetPanels();
    showArticle(detail);
    notice("Changes discarded: revision " + detail.head_revision + " is in the form.");
  });

  /* ---------- a save that ran into a newer revision ---------- */

  function showConflict(error) {
    conflict = error.body.current;
    $("conflict-detail").textContent = error.message;
    $("conflict-diff").replaceChildren();
    $("conflict").hidden = false;
    $("conflict").scrollIntoView({ block: "nearest" });
  }

  function flatten(content) {
    const fields = new Map([["topic", content.topic || ""], ["tags", (content.tags || []).join(", ")]]);
    for (const part of ["title", "questions", "answer"]) {
      for (const [locale, value] of Object.entries(content[part] || {})) {
        fields.set(part + "." + locale, Array.isArray(value) ? value.join("\n") : value || "");
      }
    }
    return fields;
  }

  $("conflict-compare").addEventListener("click", () => {
    const theirs = flatten(conflict.content), mine = flatten(readForm());
    const box = $("conflict-diff");
    box.replaceChildren();
    const author = conflict.author ? conflict.author.name : "someone";
    for (const field of new Set([...theirs.keys(), ...mine.keys()])) {
      if ((theirs.get(field) || "") === (mine.get(field) || "")) continue;
      const split = el("div", "split");
      split.append(sideText("Revision " + conflict.number + " by " + author, theirs.get(field)),
        sideText("Yours", mine.get(field)));
      box.append(el("h4", null, field), split);
    }
    if (!box.children.length) box.append(el("p", "muted", "Your text and revision " + conflict.number + " are the same."));
  });

  function sideText(label, text) {
    const side = el("div");
    side.append(el("div", "muted", label), el("pre", null, text === undefined ? "(none)" : text));
    return side;
  }

  $("conflict-load").addEventListener("click", async () => {
    keptAside = { content: readForm(), note: $("f-note").value };
    const mine = keptAside;
    const detail = await api("GET", "/api/kb/articles/" + enc(article.intent)).catch((error) => {
      $("art-error").textContent = error.message;
      return null;
    });
    if (!detail) return;
    resetPanels();
    keptAside = mine;
    showArticle(detail);
    $("kept-aside").hidden = false;
    notice("Loaded revision " + detail.head_revision + "; your version is kept aside.");
  });

  $("kept-restore").addEventListener("click", () => {
    fillForm(keptAside.content, false);
    $("f-note").value = keptAside.note;
    changed();
    keptAside = null;
    $("kept-aside").hidden = true;
    notice("Your version is back in the form; saving it replaces revision " + baseRevision + ".");
  });

  $("kept-drop").addEventListener("click", () => { keptAside = null; $("kept-aside").hidden = true; });
  $("conflict-overwrite").addEventListener("click", () => save(conflict.number));

  /* ---------- workflow: submit, reject, publish, archive ---------- */

  async function step(action, body) {
    $("art-error").textContent = "";
    try {
      await api("POST", "/api/kb/articles/" + enc(article.intent) + "/" + action, body);
    } catch (error) {
      if (action === "publish" && error.status === 409 && Array.isArray(error.body.regressions)) {
        showRegressions(error);
      } else {
        showError(error);
      }
      return false;
    }
    const detail = await api("GET", "/api/kb/articles/" + enc(article.intent));
    resetPanels();
    showArticle(detail);
    refreshArticles();
    return true;
  }

  $("submit").addEventListener("click", async () => {
    if (dirty) { $("art-error").textContent = "Save your changes before submitting them."; return; }
    if (await step("submit", {})) notice("Submitted for review.");
  });

  $("reject-open").addEventListener("click", () => { $("reject-form").hidden = false; $("reject-note").focus(); });
  $("reject-cancel").addEventListener("click", () => { $("reject-form").hidden = true; });
  $("reject-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const note = $("reject-note").value.trim();
    if (!note) { $("art-error").textContent = "note: say what the author should change"; return; }
    if (await step("reject", { note })) { $("reject-note").value = ""; notice("Sent back to draft."); }
  });

  async function publish(confirm) {
    if (dirty) { $("art-error").textContent = "Save your changes before publishing them."; return; }
    const body = { revision: article.head_revision, confirm };
    if (await step("publish", body)) {
      notice("Published revision " + article.published_revision + "; the model is retraining.");
      refreshModels();
    }
  }

  function showRegressions(error) {
    $("publish-detail").textContent = error.message;
    const box = $("publish-regressions");
    box.replaceChildren(changesTable(error.body.regressions));
    $("publish-box").hidden = false;
  }

  $("publish").addEventListener("click", () => publish(false));
  $("publish-anyway").addEventListener("click", () => publish(true));
  $("publish-cancel").addEventListener("click", () => { $("publish-box").hidden = true; });
  $("archive").addEventListener("click", async () => {
    if (await step("archive", {})) notice("Archived: shoppers are no longer served this article.");
  });

  function renderEvents(events) {
    const list = $("events");
    list.replaceChildren();
    for (const e of events) {
      const actor = e.actor && typeof e.actor === "object" ? e.actor.name : e.actor;
      const item = el("li", null, [e.action, "revision " + e.revision, actor, when(e.at)].filter(Boolean).join(" · "));
      if (e.note) item.append(el("div", "muted", e.note));
      list.append(item);
    }
  }

  /* ---------- revisions, diff, restore ---------- */

  async function loadRevisions() {
    const intent = article.intent;
    let revisions;
    try {
      revisions = (await api("GET", "/api/kb/articles/" + enc(intent) + "/revisions")).revisions;
    } catch (error) {
      $("revisions").replaceChildren(el("li", "error", error.message));
      return;
    }
    if (!article || article.intent !== intent) return;
    const list = $("revisions");
    list.replaceChildren();
    for (const r of revisions) {
      const item = el("li");
      item.dataset.revision = r.number;
      item.append(el("strong", null, "#" + r.number), document.createTextNode(" · " +
        (r.author ? r.author.name : "") + " · " + when(r.created_at)));
      if (r.published) item.append(document.createTextNode(" "), el("span", "tag published", "published"));
      if (r.number !== article.head_revision) {
        item.append(button("Diff with head", () => showDiff(r.number, article.head_revision), null,
          "Diff revision " + r.number + " with head"));
        if (can("kb:edit")) item.append(button("Restore", () => restore(r.number), null, "Restore revision " + r.number));
      }
      if (r.note) item.append(el("div", "muted", r.note));
      list.append(item);
    }
    const numbers = revisions.map((r) => r.number);
    $("diff-from").replaceChildren(...numbers.map((n) => option(n, "from #" + n)));
    $("diff-to").replaceChildren(...numbers.map((n) => option(n, "to #" + n)));
    $("diff-to").value = String(article.head_revision);
    $("diff-from").value = String(numbers.length > 1 ? numbers[1] : numbers[0]);
  }

  async function showDiff(from, to) {
    $("diff-from").value = String(from);
    $("diff-to").value = String(to);
    const box = $("diff");
    try {
      const result = await api("GET", "/api/kb/articles/" + enc(article.intent) + "/diff?from=" + from + "&to=" + to);
      renderDiff(box, result, $("diff-mode").value);
    } catch (error) {
      box.replaceChildren(el("p", "error", error.message));
    }
  }

  $("diff-show").addEventListener("click", () => showDiff(Number($("diff-from").value), Number($("diff-to").value)));

  function asText(value) {
    if (value === null || value === undefined) return "(none)";
    return Array.isArray(value) ? value.join("\n") : String(value);
  }

  function renderDiff(box, result, mode) {
    box.replaceChildren(el("p", "muted", "Revision " + result.from + " → " + result.to +
      (result.changes.length ? "" : ": no changes")));
    for (const change of result.changes) {
      box.append(el("h4", null, change.field));
      if (mode === "split") {
        const split = el("div", "split");
        split.append(sideText("#" + result.from, asText(change.before)), sideText("#" + result.to, asText(change.after)));
        box.append(split);
        continue;
      }
      const pre = el("pre");
      for (const line of change.diff || []) {
        const kind = line.startsWith("+++") || line.startsWith("---") || line.startsWith("@@") ? "hunk"
          : line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : "ctx";
        pre.append(el("span", kind, line));
      }
      box.append(pre);
    }
  }

  async function restore(number) {
    $("art-error").textContent = "";
    if (dirty) { $("art-error").textContent = "Save or undo your changes before restoring a revision."; return; }
    try {
      await api("POST", "/api/kb/articles/" + enc(article.intent) + "/restore",
        { revision: number, base_revision: article.head_revision });
    } catch (error) {
      showError(error);
      return;
    }
    const detail = await api("GET", "/api/kb/articles/" + enc(article.intent));
    resetPanels();
    showArticle(detail);
    notice("Restored revision " + number + " as revision " + detail.head_revision + " (a draft).");
    refreshArticles();
  }

  /* ---------- preview and regression replay ---------- */

  function fillPreviewLocales() {
    const select = $("preview-locale"), chosen = select.value;
    const locales = new Set([...[...$("locales").children].map((b) => b.dataset.locale), ...DEFAULT_LANGUAGES]);
    select.replaceChildren(...[...locales].map((l) => option(l, l)));
    if (chosen && locales.has(chosen)) select.value = chosen;
  }

  function replyCard(heading, reply) {
    const card = el("div", "reply-card");
    card.append(el("h4", null, heading));
    if (!reply) { card.append(el("p", "muted", "—")); return card; }
    const facts = [reply.decision, reply.intent, typeof reply.confidence === "number" ? reply.confidence.toFixed(2) : null];
    card.append(el("div", "muted", facts.filter((f) => f !== null && f !== undefined).join(" · ")));
    if (reply.title) card.append(el("strong", null, reply.title));
    card.append(formatted(reply.text));
    return card;
  }

  $("preview-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const box = $("preview-result");
    const text = $("preview-text").value.trim();
    if (!text) return;
    try {
      const draft = readForm(), body = { text, locale: $("preview-locale").value };
      if (draft.intent) body.article = draft;  // without an intent there is no draft yet
      const result = await api("POST", "/api/kb/preview", body);
      box.replaceChildren(replyCard("Bot now", result.current), replyCard("With this draft", result.draft));
    } catch (error) {
      box.replaceChildren(el("p", "error", error.message));
      if (error.field) markInvalid(error.field.replace(/^article\./, ""));
    }
  });

  function outcome(side) {
    if (!side) return "—";
    const confidence = typeof side.confidence === "number" ? " (" + side.confidence.toFixed(2) + ")" : "";
    return side.decision + (side.intent ? " " + side.intent : "") + confidence;
  }

  function changesTable(changes) {
    const table = el("table", "regressions");
    const head = el("tr");
    for (const h of ["Question", "Expected", "Before", "After"]) head.append(el("th", null, h));
    table.append(head);
    for (const c of changes) {
      const row = el("tr", c.regression ? "regression" : null);
      const question = el("td", null, c.text);
      question.append(el("div", "muted", c.locale + " · " + c.source + (c.regression ? " · now wrong" : "")));
      row.append(question, el("td", null, c.expected || "—"), el("td", null, outcome(c.before)),
        el("td", null, outcome(c.after)));
      table.append(row);
    }
    return table;
  }

  $("replay").addEventListener("click", async () => {
    const box = $("replay-result");
    box.replaceChildren(el("p", "muted", "Replaying…"));
    try {
      const result = await api("POST", "/api/kb/replay", { article: readForm() });
      const regressions = result.changes.filter((c) => c.regression).length;
      box.replaceChildren(el("p", regressions ? "error" : "muted", "Checked " + result.checked + " questions: " +
        result.changes.length + " answers change, " + regressions + " right answers turn wrong."));
      if (result.changes.length) box.append(changesTable(result.changes));
    } catch (error) {
      box.replaceChildren(el("p", "error", error.message));
      if (error.field) markInvalid(error.field.replace(/^article\./, ""));
    }
  });

  /* ---------- the model ---------- */

  async function refreshModels() {
    let models;
    try {
      models = await api("GET", "/api/kb/models");
    } catch (error) {
      $("model-badge").textContent = "model: unknown";
      $("model-failure").textContent = error.status === 401 || error.status === 404 ? "" : error.message;
      return;
    }
    const serving = models.serving, failure = models.last_failure;
    const failedLast = failure && (!serving || failure.version > serving.version);
    $("model-badge").textContent = models.training ? "training…" : serving ? "model v" + serving.version : "no model";
    $("model-badge").className = "model-badge " + (models.training ? "training" : failedLast ? "failed" : serving ? "ready" : "");
    const facts = $("model-facts");
    facts.replaceChildren();
    const add = (label, value) => facts.append(el("dt", null, label), el("dd", null, value));
    add("Serving", serving ? "v" + serving.version + " · " + serving.articles + " articles · " +
      serving.examples + " examples" : "none");
    if (serving) add("Trained", when(serving.created_at) + " in " + Number(serving.train_seconds || 0).toFixed(1) + " s");
    add("Training", models.training ? "yes" : "no");
    $("model-failure").textContent = failure ? "Training v" + failure.version + " failed " + when(failure.at) +
      ": " + failure.error + (serving ? " (v" + serving.version + " keeps serving)" : "") : "";
  }

  $("retrain").addEventListener("click", async () => {
    try {
      await api("POST", "/api/kb/models");
      notice("Retraining from the published articles.");
    } catch (error) {
      notice(error.message);
    }
    refreshModels();
  });

  /* ---------- the unanswered-question inbox ---------- */

  async function refreshClusterCount() {
    try {
      const open = (await api("GET", "/api/kb/clusters?status=open&limit=50")).clusters;
      $("inbox-count").textContent = open.length ? "(" + open.length + (open.length >= 50 ? "+" : "") + ")" : "";
    } catch (error) {
      $("inbox-count").textContent = "";
    }
  }

  async function refreshClusters() {
    const query = new URLSearchParams({ status: $("cluster-status").value, limit: "50" });
    if ($("cluster-language").value) query.set("language", $("cluster-language").value);
    const list = $("clusters");
    let clusters;
    try {
      clusters = (await api("GET", "/api/kb/clusters?" + query)).clusters;
    } catch (error) {
      list.replaceChildren(el("li", "error", error.message));
      return;
    }
    list.replaceChildren();
    $("clusters-count").textContent = "(" + clusters.length + ")";
    for (const c of clusters) {
      const item = listItem(() => openCluster(c.id));
      item.dataset.id = c.id;
      if (cluster && cluster.id === c.id) item.classList.add("current");
      const line = el("div", "line1");
      line.append(el("strong", null, c.label), el("span", "tag", "×" + c.size));
      const channels = Object.entries(c.channels || {}).map(([k, v]) => k + " " + v).join(", ");
      item.append(line, el("div", "sub", [c.language, channels, when(c.last_at)].filter(Boolean).join(" · ")));
      list.append(item);
    }
    if (!clusters.length) list.append(el("li", "muted", "Nothing here."));
    if ($("cluster-status").value === "open") {
      $("inbox-count").textContent = clusters.length ? "(" + clusters.length + ")" : "";
    }
  }

  $("cluster-filters").addEventListener("change", refreshClusters);

  async function openCluster(id) {
    let detail;
    try {
      detail = await api("GET", "/api/kb/clusters/" + id);
    } catch (error) {
      notice(error.message);
      return;
    }
    leaveArticle();
    showView("cluster");
    article = null;
    cluster = detail;
    notice("");
    renderCluster(detail);
    remember("cluster/" + id);
    for (const li of $("clusters").children) li.classList.toggle("current", Number(li.dataset.id) === id);
  }

  function renderCluster(c) {
    $("cl-error").textContent = "";
    $("cl-heading").textContent = c.label;
    $("cl-status").textContent = c.status;
    $("cl-status").className = "tag " + c.status;
    const facts = $("cl-facts");
    facts.replaceChildren();
    const add = (label, value) => { if (value) facts.append(el("dt", null, label), el("dd", null, value)); };
    const tally = (counts) => Object.entries(counts || {}).map(([k, v]) => k + " " + v).join(", ");
    add("Language", c.language);
    add("Asked", c.size + " times");
    add("First", when(c.first_at));
    add("Last", when(c.last_at));
    add("Channels", tally(c.channels));
    add("Why", tally(c.kinds));
    add("Article", c.article_intent);
    add("Dismissed because", c.reason);
    const open = c.status === "open";
    $("cl-actions").hidden = !(open && can("kb:edit"));
    $("propose-form").hidden = !(open && can("kb:propose"));
    $("propose-language").replaceChildren(...[...new Set([c.language, ...seenLanguages])].map((l) => option(l, l)));
    renderExamples(c);
    renderProposals(c);
  }

  function renderExamples(c) {
    const examples = $("cl-examples");
    examples.replaceChildren();
    for (const e of c.examples || []) {
      const item = el("li", null, e.text);
      const guess = e.intent ? "bot thought " + e.intent +
        (typeof e.confidence === "number" ? " (" + e.confidence.toFixed(2) + ")" : "") : null;
      item.append(el("div", "sub", [e.channel, e.kind, when(e.at), guess,
        "conversation #" + e.conversation_id].filter(Boolean).join(" · ")));
      examples.append(item);
    }
    const replies = $("cl-replies");
    replies.replaceChildren();
    for (const r of c.operator_replies || []) {
      const item = el("li", null, r.text);
      item.append(el("div", "sub", [r.operator ? r.operator.name : null, when(r.at),
        "conversation #" + r.conversation_id].filter(Boolean).join(" · ")));
      replies.append(item);
    }
    if (!replies.children.length) replies.append(el("li", "muted", "No operator replies yet."));
  }

  function renderProposals(c) {
    const list = $("cl-proposals");
    list.replaceChildren();
    for (const p of c.proposals || []) {
      const item = el("li");
      item.append(formatted(p.answer), el("div", "sub", [p.operator ? p.operator.name : null, p.language,
        p.status, when(p.created_at)].filter(Boolean).join(" · ")));
      if (p.status === "open" && c.status === "open" && can("kb:edit")) {
        item.append(button("Use in a new article", () => createFromCluster(c, p), null,
          "Use proposal " + p.id + " in a new article"));
      }
      if (p.status === "open" && can("kb:review")) item.append(declineForm(p));
      list.append(item);
    }
    if (!list.children.length) list.append(el("li", "muted", "No proposals."));
  }

  function declineForm(proposal) {
    const form = el("form", "inline-form");
    const reason = el("input");
    reason.setAttribute("aria-label", "Why decline proposal " + proposal.id);
    reason.placeholder = "Why (optional)";
    const submit = el("button", null, "Decline");
    submit.type = "submit";
    submit.setAttribute("aria-label", "Decline proposal " + proposal.id);
    form.append(reason, submit);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      await clusterStep("/api/kb/proposals/" + proposal.id + "/decline",
        reason.value.trim() ? { reason: reason.value.trim() } : {}, "Proposal declined.");
    });
    return form;
  }

  async function clusterStep(path, body, done) {
    const id = cluster.id;
    try {
      await api("POST", path, body);
    } catch (error) {
      $("cl-error").textContent = error.message;
      return false;
    }
    notice(done);
    await openCluster(id);
    refreshClusters();
    return true;
  }

  async function resolveCluster(id, intent) {
    try {
      await api("POST", "/api/kb/clusters/" + id + "/resolve", { article: intent });
      notice($("notice").textContent + " Cluster #" + id + " is resolved by " + intent + ".");
    } catch (error) {
      $("art-error").textContent = "Saved, but cluster #" + id + " is still open: " + error.message;
    }
    refreshClusterCount();
  }

  function suggestIntent(label) {
    const slug = String(label || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^a-z0-9]+/g, "_").replace(/^[^a-z]+|_+$/g, "").slice(0, 40).replace(/_+$/, "");
    return slug;
  }

  function createFromCluster(c, proposal) {
    const prefill = c.prefill || {};
    const content = { intent: suggestIntent(c.label), topic: "", tags: [],
      title: Object.assign({}, prefill.title), questions: Object.assign({}, prefill.questions),
      answer: Object.assign({}, prefill.answer) };
    if (!content.questions[c.language]) content.questions[c.language] = distinctExamples(c, []);
    if (proposal) content.answer[proposal.language] = proposal.answer;
    newArticle(content, { cluster: { id: c.id, label: c.label }, proposal: proposal ? proposal.id : null });
  }

  function distinctExamples(c, have) {
    const seen = new Set(have.map((q) => q.trim().toLowerCase()));
    const out = [];
    for (const e of c.examples || []) {
      const text = e.text.trim();
      if (text && !seen.has(text.toLowerCase())) { seen.add(text.toLowerCase()); out.push(text); }
    }
    return out;
  }

  $("cl-create").addEventListener("click", () => createFromCluster(cluster, null));

  $("cl-add-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const intent = $("cl-add-article").value, c = cluster;
    if (!intent) { $("cl-error").textContent = "article: pick the article that answers these questions"; return; }
    await openArticle(intent);
    if (!article || article.intent !== intent) return;
    const box = addLocale(c.language, emptyContent());
    const have = [...box.querySelectorAll(".question input")].map((i) => i.value);
    const added = distinctExamples(c, have);
    for (const text of added) addQuestion(box, text);
    $("f-note").value = "Added " + added.length + " questions from cluster #" + c.id;
    pending = { cluster: { id: c.id, label: c.label }, proposal: null };
    changed();
    showPending();
    fillPreviewLocales();
    notice(added.length + " questions added to the form: check them and save.");
  });

  $("cl-dismiss-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const reason = $("cl-dismiss-reason").value.trim();
    if (!reason) { $("cl-error").textContent = "reason: say why this needs no article"; return; }
    if (await clusterStep("/api/kb/clusters/" + cluster.id + "/dismiss", { reason }, "Cluster dismissed.")) {
      $("cl-dismiss-reason").value = "";
      refreshClusterCount();
    }
  });

  $("propose-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const answer = $("propose-answer").value.trim();
    if (!answer) { $("cl-error").textContent = "answer: write the answer you propose"; return; }
    const body = { answer, language: $("propose-language").value };
    if (await clusterStep("/api/kb/clusters/" + cluster.id + "/proposals", body, "Thanks: your answer is proposed.")) {
      $("propose-answer").value = "";
    }
  });

  start();
})();
