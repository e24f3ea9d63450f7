/*! relevo operator console — the audit log view (admins only).
 *
 * Reads GET /api/audit, newest first, 50 at a time ("Older entries" pages back with
 * ?before=). Every value from the server is rendered with textContent, never as markup.
 */
(() => {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const PAGE = 50;
  let before = null;  // where the next page starts; null: no more

  function cell(text, className) {
    const td = document.createElement("td");
    if (className) td.className = className;
    td.textContent = text === null || text === undefined ? "" : String(text);
    return td;
  }

  function shown(value) {
    if (value === null || value === undefined) return "";
    return typeof value === "string" ? value : JSON.stringify(value, null, 1);
  }

  async function load(reset) {
    $("audit-error").textContent = "";
    const query = new URLSearchParams({ limit: String(PAGE) });
    const action = $("audit-action").value.trim();
    if (action) query.set("action", action);
    if (!reset && before !== null) query.set("before", String(before));
    const res = await fetch("/api/audit?" + query, {
      headers: { Accept: "application/json", "X-Relevo-Console": "1" }, credentials: "same-origin",
    });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) {
      $("audit-error").textContent = typeof body.detail === "string" ? body.detail
        : "request failed (" + res.status + ")";
      return;
    }
    if (reset) $("audit-rows").replaceChildren();
    for (const entry of body.entries) $("audit-rows").append(row(entry));
    before = body.before;
    $("audit-more").hidden = before === null;
  }

  function row(entry) {
    const tr = document.createElement("tr");
    tr.className = "audit-entry";
    const actor = entry.actor.label + " (" + entry.actor.kind + (entry.actor.id ? " #" + entry.actor.id : "") + ")";
    const target = entry.target.kind ? entry.target.kind + " " + (entry.target.id || "") : "";
    tr.append(
      cell(new Date(entry.at).toLocaleString()), cell(actor), cell(entry.actor.source),
      cell(entry.action), cell(target),
      cell(shown(entry.before), "values"), cell(shown(entry.after), "values"),
    );
    return tr;
  }

  function show(audit) {
    $("audit").hidden = !audit;
    $("conversation").hidden = audit;
  }

  document.addEventListener("relevo:me", (event) => {
    // The audit log needs audit:read (GET /api/operators/me lists every role's scopes).
    const reads = (event.detail.scopes || []).includes("audit:read");
    $("audit-open").hidden = !reads;
    if (!reads) show(false);
  });
  $("audit-open").addEventListener("click", () => { show(true); load(true); });
  $("audit-close").addEventListener("click", () => show(false));
  $("audit-more").addEventListener("click", () => load(false));
  $("audit-filter").addEventListener("submit", (event) => { event.preventDefault(); load(true); });
})();
