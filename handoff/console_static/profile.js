/*! relevo operator console — your signature per language.
 *
 * "Signature" in the top bar opens a dialog with, for each of the shop's languages, the
 * name and title shoppers see on your replies ("Lucía · experta"), and a live preview.
 * Reads GET /api/operators/me/signatures, saves with PUT (the server validates; its
 * reason is shown as is). Values are set with textContent / .value, never as markup.
 */
(() => {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const HEADERS = { Accept: "application/json", "X-Relevo-Console": "1" };
  let dialog = null;
  let defaults = {};  // language → {name, title} that apply where you set nothing

  function element(tag, props, ...children) {
    const node = document.createElement(tag);
    Object.assign(node, props || {});
    node.append(...children);
    return node;
  }

  function build() {
    dialog = element("dialog", { id: "profile", className: "profile" });
    dialog.setAttribute("aria-labelledby", "profile-title");
    const form = element("form", { id: "profile-form", method: "dialog" });
    form.append(
      element("h2", { id: "profile-title", textContent: "Your signature" }),
      element("p", { className: "muted",
        textContent: "What shoppers see on your replies, in the language of their conversation." }),
      element("div", { id: "profile-languages" }),
      element("p", { id: "profile-error", className: "error" }),
      element("p", { id: "profile-saved", className: "muted" }),
      element("button", { id: "profile-save", type: "submit", textContent: "Save" }),
      element("button", { id: "profile-close", type: "button", textContent: "Close" }),
    );
    dialog.append(form);
    document.body.append(dialog);
    $("profile-error").setAttribute("role", "alert");
    $("profile-saved").setAttribute("role", "status");
    form.addEventListener("submit", (event) => { event.preventDefault(); save(); });
    $("profile-close").addEventListener("click", () => dialog.close());
  }

  function field(language, key, label, value, placeholder) {
    const input = element("input", {
      id: `profile-${language}-${key}`, value: value || "", placeholder: placeholder || "",
      maxLength: 60, autocomplete: "off",
    });
    input.dataset.language = language;
    input.dataset.key = key;
    input.addEventListener("input", () => preview(language));
    return element("label", {}, label + " ", input);
  }

  function render(body) {
    const box = $("profile-languages");
    box.replaceChildren();
    for (const language of body.languages) {
      const own = body.signatures[language] || {};
      const set = element("fieldset", { className: "profile-language" });
      const fallback = body.defaults[language];
      set.dataset.language = language;
      set.append(
        element("legend", { textContent: language.toUpperCase() }),
        field(language, "name", "Name", own.name, fallback.name),
        field(language, "title", "Title", own.title, fallback.title),
        element("p", { className: "profile-preview" },
          "Shoppers see: ", element("output", { id: `profile-${language}-preview` })),
      );
      box.append(set);
    }
    defaults = body.defaults;
    for (const language of body.languages) {
      $(`profile-${language}-preview`).textContent = body.previews[language];
    }
  }

  function preview(language) {
    const name = $(`profile-${language}-name`).value.trim() || defaults[language].name;
    const title = $(`profile-${language}-title`).value.trim() || defaults[language].title;
    $(`profile-${language}-preview`).textContent = title ? `${name} · ${title}` : name;
  }

  async function request(method, body) {
    const res = await fetch("/api/operators/me/signatures", {
      method, credentials: "same-origin",
      headers: body ? { ...HEADERS, "Content-Type": "application/json" } : HEADERS,
      body: body ? JSON.stringify(body) : undefined,
    });
    const answer = await res.json().catch(() => ({}));
    if (!res.ok) {
      throw new Error(typeof answer.detail === "string" ? answer.detail
        : "request failed (" + res.status + ")");
    }
    return answer;
  }

  async function open() {
    if (!dialog) build();
    $("profile-error").textContent = "";
    $("profile-saved").textContent = "";
    dialog.showModal();
    try {
      render(await request("GET"));
    } catch (error) {
      $("profile-error").textContent = error.message;
    }
  }

  async function save() {
    $("profile-error").textContent = "";
    $("profile-saved").textContent = "";
    const signatures = {};
    for (const set of document.querySelectorAll("#profile-languages fieldset")) {
      const language = set.dataset.language;
      const name = $(`profile-${language}-name`).value.trim();
      const title = $(`profile-${language}-title`).value.trim();
      signatures[language] = name || title ? { name: name || null, title: title || null } : null;
    }
    try {
      render(await request("PUT", { signatures }));
      $("profile-saved").textContent = "Saved.";
    } catch (error) {
      $("profile-error").textContent = error.message;
    }
  }

  document.addEventListener("relevo:me", () => { $("profile-open").hidden = false; });
  $("profile-open").addEventListener("click", open);
})();
