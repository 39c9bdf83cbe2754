
(() => {
  "use strict";
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

  // Controls are rendered hidden: without JavaScript the report is a plain document.
  for (const el of $$(".js-only")) el.hidden = false;

  const findings = initFindings($("#findings-list"));
  initSave();
  const print = $("#print-report");
  if (print) print.addEventListener("click", () => window.print());

  // Links to a result (coverage matrix, exceptions) open it, even if a filter hid it.
  function reveal(id) {
    const el = id && document.getElementById(id);
    if (!el || !el.classList.contains("finding")) return;
    if (el.hidden && findings) findings.reset();
    el.open = true;
  }
  document.addEventListener("click", (event) => {
    const a = event.target.closest && event.target.closest('a[href^="#result-"]');
    if (a) reveal(a.getAttribute("href").slice(1));
  });
  window.addEventListener("hashchange", () => reveal(decodeURIComponent(location.hash.slice(1))));
  if (location.hash) reveal(decodeURIComponent(location.hash.slice(1)));

  function initFindings(list) {
    if (!list) return null;
    const SEV = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };
    const STATE = { fail: 0, unknown: 1, pass: 2, suppressed: 3 };
    const rows = Array.from(list.children, (el, i) => {
      const d = el.dataset;
      return {
        el, i, shown: true, text: null, keys: {},
        state: d.state, sev: d.sev, family: d.family, account: d.account, region: d.region,
      };
    });
    const total = rows.length;
    const counter = $("#findings-count");
    const empty = $("#findings-empty");
    const search = $("#f-text");
    const chips = $$("button.chip[data-filter]");
    const selects = $$("select[data-filter]");
    const filter = { state: new Set(), sev: new Set(), family: "*", account: "*", region: "*", terms: [] };
    const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

    function readControls() {
      filter.state.clear();
      filter.sev.clear();
      for (const c of chips) {
        if (c.getAttribute("aria-pressed") === "true") filter[c.dataset.filter].add(c.dataset.value);
      }
      for (const s of selects) filter[s.dataset.filter] = s.value;
      filter.terms = search ? search.value.toLowerCase().split(/\s+/).filter(Boolean) : [];
    }

    function matches(r) {
      if (!filter.state.has(r.state) || !filter.sev.has(r.sev)) return false;
      if (filter.family !== "*" && r.family !== filter.family) return false;
      if (filter.account !== "*" && r.account !== filter.account) return false;
      if (filter.region !== "*" && r.region !== filter.region) return false;
      if (filter.terms.length) {
        if (r.text === null) r.text = r.el.textContent.toLowerCase();
        for (const t of filter.terms) if (!r.text.includes(t)) return false;
      }
      return true;
    }

    function apply() {
      readControls();
      let shown = 0;
      for (const r of rows) {
        const ok = matches(r);
        if (ok !== r.shown) {
          r.shown = ok;
          r.el.hidden = !ok;
        }
        if (ok) shown++;
      }
      counter.textContent = `${shown.toLocaleString("en")} of ${total.toLocaleString("en")} results shown`;
      if (total) empty.hidden = shown > 0;
    }

    for (const c of chips) {
      c.addEventListener("click", () => {
        c.setAttribute("aria-pressed", c.getAttribute("aria-pressed") === "true" ? "false" : "true");
        apply();
      });
    }
    for (const s of selects) s.addEventListener("change", apply);
    if (search) {
      let timer = 0;
      search.addEventListener("input", () => {
        clearTimeout(timer);
        timer = setTimeout(apply, 160);
      });
      document.addEventListener("keydown", (event) => {
        if (event.key === "/" && !/^(INPUT|SELECT|TEXTAREA)$/.test(document.activeElement.tagName)) {
          event.preventDefault();
          search.focus();
        }
      });
    }

    function reset() {
      for (const c of chips) c.setAttribute("aria-pressed", "true");
      for (const s of selects) s.value = "*";
      if (search) search.value = "";
      apply();
    }
    const resetButton = $("#f-reset");
    if (resetButton) resetButton.addEventListener("click", reset);
    const expand = $("#f-expand");
    if (expand) expand.addEventListener("click", () => { for (const r of rows) if (r.shown) r.el.open = true; });
    const collapse = $("#f-collapse");
    if (collapse) collapse.addEventListener("click", () => { for (const r of rows) r.el.open = false; });

    // Sorting: click a column header; again to reverse. Ties keep the document order.
    let sortKey = null;
    let sortDir = 1;
    const buttons = [];
    for (const cell of $$("#findings-head [data-sort]")) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      button.dataset.key = cell.dataset.sort;
      button.textContent = cell.textContent;
      button.title = `Sort by ${cell.textContent.toLowerCase()}`;
      cell.textContent = "";
      cell.appendChild(button);
      button.addEventListener("click", () => sortBy(button.dataset.key));
      buttons.push(button);
    }
    function key(r, k) {
      if (k === "state") return STATE[r.state] ?? 9;
      if (k === "sev") return SEV[r.sev] ?? 9;
      if (!(k in r.keys)) {
        const cell = r.el.firstElementChild.querySelector(".c-" + k);
        r.keys[k] = cell ? cell.textContent.trim() : "";
      }
      return r.keys[k];
    }
    function sortBy(k) {
      sortDir = sortKey === k ? -sortDir : 1;
      sortKey = k;
      const ordered = rows.slice().sort((a, b) => {
        const x = key(a, k);
        const y = key(b, k);
        const c = typeof x === "number" ? x - y : collator.compare(x, y);
        return c * sortDir || a.i - b.i;
      });
      // Reorder while detached: one style and layout pass instead of one per move.
      const parent = list.parentNode;
      const next = list.nextSibling;
      list.remove();
      for (const r of ordered) list.appendChild(r.el);
      parent.insertBefore(list, next);
      for (const b of buttons) {
        if (b.dataset.key === k) b.dataset.dir = sortDir > 0 ? "asc" : "desc";
        else delete b.dataset.dir;
      }
    }

    apply();
    return { reset };
  }

  // "Save results document (JSON)": the embedded gzip block, decompressed and checked
  // against its SHA-256 in this browser, offered as a download. Nothing leaves the page.
  function initSave() {
    const button = $("#save-json");
    const status = $("#save-status");
    const block = document.getElementById("opscheck-results");
    if (!button || !block) return;
    button.addEventListener("click", async () => {
      try {
        if (typeof DecompressionStream !== "function") {
          throw new Error("this browser cannot decompress gzip data");
        }
        const binary = atob(block.textContent.replace(/\s+/g, ""));
        const bytes = new Uint8Array(binary.length);
        for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
        const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
        const data = await new Response(stream).arrayBuffer();
        let checked = "";
        if (window.crypto && crypto.subtle) {
          const digest = Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", data)),
            (b) => b.toString(16).padStart(2, "0")).join("");
          if (digest !== block.dataset.sha256) throw new Error("the embedded document does not match its digest");
          checked = ", SHA-256 verified";
        }
        const url = URL.createObjectURL(new Blob([data], { type: "application/json" }));
        const a = document.createElement("a");
        a.href = url;
        a.download = "opscheck.json";
        a.hidden = true;
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 60000);
        status.textContent = `Saved opscheck.json (${data.byteLength.toLocaleString("en")} bytes${checked}).`;
      } catch (error) {
        status.textContent = `Could not save: ${error.message}. Use: opscheck report opscheck.html --format json`;
      }
    });
  }
})();
