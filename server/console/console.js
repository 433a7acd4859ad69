// licet vendor console: calls this server's /v1 API with the token the
// user pastes. Ledger text is only ever inserted with textContent.
"use strict";

(function () {
  const KEY = "licet.console.token";
  const $ = (id) => document.getElementById(id);
  let nextCursor = "";

  function token() { return sessionStorage.getItem(KEY) || ""; }

  function showToken() {
    $("token-state").textContent = token() ? "token set for this tab" : "no token";
  }

  function clearMessages() {
    $("error").hidden = true;
    $("error").textContent = "";
    $("notice").hidden = true;
    $("notice").textContent = "";
  }

  function fail(msg) {
    $("error").textContent = msg;
    $("error").hidden = false;
  }

  function notice(msg) {
    $("notice").textContent = msg;
    $("notice").hidden = false;
  }

  // api calls path with the token; it returns the decoded JSON or throws
  // an Error whose message is the problem's detail.
  async function api(method, path, body) {
    const headers = { "Accept": "application/json" };
    if (token()) headers["Authorization"] = "Bearer " + token();
    const init = { method, headers, credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const resp = await fetch(path, init);
    const text = await resp.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
    if (!resp.ok) {
      let msg = resp.status + " " + resp.statusText;
      if (data && typeof data === "object") {
        msg = (data.code ? data.code + ": " : "") + (data.detail || data.title || msg);
      }
      throw new Error(msg);
    }
    return data;
  }

  function cell(tr, text, cls) {
    const td = document.createElement("td");
    td.textContent = text == null ? "" : String(text);
    if (cls) td.className = cls;
    tr.appendChild(td);
    return td;
  }

  function date(s) { return s ? String(s).slice(0, 10) : "never"; }

  function stateOf(lic) {
    const st = lic.state;
    if (!st) return "";
    if (st.revoked) return "revoked";
    if (st.expired) return "expired";
    return st.status || "active";
  }

  function licenseRow(lic) {
    const tr = document.createElement("tr");
    tr.dataset.id = lic.id;
    cell(tr, lic.id, "id");
    cell(tr, lic.sub, "sub");
    cell(tr, lic.tier, "tier");
    cell(tr, (lic.aud || []).join(", "), "aud");
    cell(tr, date(lic.exp), "exp");
    cell(tr, lic.order || "", "order");
    const state = stateOf(lic);
    cell(tr, state, "state " + (state === "revoked" ? "revoked" : state === "expired" ? "expired" : ""));
    const td = document.createElement("td");
    if (state !== "revoked") {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "revoke";
      b.textContent = "Revoke";
      // The first click arms the button, the second revokes: no modal
      // dialog, and no revocation from one stray click.
      b.addEventListener("click", () => {
        if (b.dataset.armed === "1") { revoke(lic.id); return; }
        b.dataset.armed = "1";
        b.textContent = "Confirm revoke";
        b.classList.add("armed");
      });
      td.appendChild(b);
    }
    tr.appendChild(td);
    return tr;
  }

  // search lists the licenses of the form's filters; after an issue or
  // a revocation (quiet) it keeps that action's message.
  async function search(more, quiet) {
    if (!quiet) clearMessages();
    const q = new URLSearchParams();
    for (const id of ["q-name", "q-sub", "q-tier", "q-product", "q-partner", "q-order", "q-expires-before"]) {
      const el = $(id);
      if (el.value.trim()) q.set(el.name, el.value.trim());
    }
    if ($("q-not-revoked").checked) q.set("not_revoked", "true");
    if (more && nextCursor) q.set("cursor", nextCursor);
    const body = $("licenses").tBodies[0];
    try {
      const data = await api("GET", "/v1/licenses" + (q.toString() ? "?" + q : ""));
      if (!more) body.replaceChildren();
      for (const lic of data.licenses || []) body.appendChild(licenseRow(lic));
      nextCursor = data.next_cursor || "";
      $("search-more").hidden = !nextCursor;
      if (!body.rows.length && !quiet) notice("no license matches");
    } catch (e) { fail(e.message); }
  }

  async function revoke(id) {
    clearMessages();
    try {
      const data = await api("POST", "/v1/licenses/" + encodeURIComponent(id) + "/revoke");
      notice(data.already_revoked ? id + " was already revoked" : id + " revoked (list " + (data.list ? data.list.seq : "?") + ")");
      await search(false, true);
    } catch (e) { fail(e.message); }
  }

  async function issue(ev) {
    ev.preventDefault();
    clearMessages();
    const body = { template: $("i-template").value.trim(), sub: $("i-sub").value };
    if ($("i-order").value.trim()) body.order = $("i-order").value.trim();
    if ($("i-days").value) body.days = Number($("i-days").value);
    try {
      const lic = await api("POST", "/v1/licenses", body);
      notice((lic.existing ? "already issued for this order: " : "issued ") + lic.id);
      $("issued").textContent = lic.token && lic.token.text ? lic.token.text : JSON.stringify(lic, null, 2);
      await search(false, true);
    } catch (e) { fail(e.message); }
  }

  async function expiring(ev) {
    ev.preventDefault();
    clearMessages();
    const body = $("expiring-list").tBodies[0];
    try {
      const data = await api("GET", "/v1/expiring?within=" + encodeURIComponent($("e-within").value.trim() || "30d"));
      body.replaceChildren();
      for (const lic of data.licenses || []) {
        const tr = document.createElement("tr");
        cell(tr, lic.id); cell(tr, lic.sub); cell(tr, lic.tier); cell(tr, date(lic.exp));
        body.appendChild(tr);
      }
      if (!body.rows.length) notice("nothing expires within " + (data.within || "the window"));
    } catch (e) { fail(e.message); }
  }

  async function partners() {
    clearMessages();
    const body = $("grants").tBodies[0];
    try {
      const data = await api("GET", "/v1/licenses?kind=grant");
      body.replaceChildren();
      for (const g of data.licenses || []) {
        const partner = g.partner || g.sub;
        const tr = document.createElement("tr");
        tr.dataset.id = g.id;
        cell(tr, g.id, "id"); cell(tr, partner, "partner"); cell(tr, date(g.exp), "exp"); cell(tr, stateOf(g), "state");
        const reported = cell(tr, "…", "reported");
        body.appendChild(tr);
        // The licenses the partner reported under its grants.
        api("GET", "/v1/licenses?limit=500&partner=" + encodeURIComponent(partner)).then((r) => {
          reported.textContent = String((r.licenses || []).length) + (r.next_cursor ? "+" : "");
        }, (e) => { reported.textContent = e.message; });
      }
      if (!body.rows.length) notice("no partner grants");
    } catch (e) { fail(e.message); }
  }

  async function statement(ev) {
    ev.preventDefault();
    clearMessages();
    const q = new URLSearchParams({ period: $("s-period").value.trim() });
    if ($("s-partner").value.trim()) q.set("partner", $("s-partner").value.trim());
    try {
      const data = await api("GET", "/v1/statements?" + q);
      const body = $("statement-rows").tBodies[0];
      body.replaceChildren();
      for (const row of data.rows || []) {
        const tr = document.createElement("tr");
        cell(tr, row.partner, "partner"); cell(tr, row.tier, "tier"); cell(tr, row.licenses, "licenses");
        cell(tr, row.seats, "seats"); cell(tr, row.royalty, "royalty");
        body.appendChild(tr);
      }
      const period = data.period ? data.period.name + " (" + data.period.start + " to " + data.period.last_day + ")" : "";
      $("statement").textContent = period + ": " + data.licenses + " licenses, " + data.late + " late, royalty " + data.royalty + " " + data.currency;
    } catch (e) { fail(e.message); }
  }

  document.addEventListener("DOMContentLoaded", () => {
    showToken();
    $("token-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const v = $("token").value.trim();
      if (v) sessionStorage.setItem(KEY, v);
      $("token").value = "";
      showToken();
    });
    $("token-forget").addEventListener("click", () => { sessionStorage.removeItem(KEY); showToken(); });
    $("search-form").addEventListener("submit", (ev) => { ev.preventDefault(); search(false); });
    $("search-more").addEventListener("click", () => search(true));
    $("issue-form").addEventListener("submit", issue);
    $("expiring-form").addEventListener("submit", expiring);
    $("partners-run").addEventListener("click", partners);
    $("statement-form").addEventListener("submit", statement);
  });
})();
