// opcheck CDI workbench. Talks only to this server's /api/v1. Note text lives in the page's
// memory and the request body only: never in localStorage/sessionStorage, cookies or the URL,
// and it is put into the page with textContent (never innerHTML). A .txt file is read here
// (FileReader); any other report file (.docx, .pdf, .rtf, .hl7, FHIR .json) is sent to
// /api/v1/extract, which reads it with the server's reader registry.
"use strict";

(() => {
  const MAX_BYTES = 2 * 1024 * 1024;
  const MAX_UPLOAD_BYTES = 20 * 1024 * 1024; // the server's raw-file limit for /api/v1/extract
  const PLAIN_TEXT = /\.(txt|text)$/i;
  const $ = (id) => document.getElementById(id);
  const el = {
    form: $("check-form"), note: $("note"), file: $("file"), primary: $("primary"),
    docField: $("doc-field"), doc: $("doc"), tokenField: $("token-field"), token: $("token"), button: $("check"), status: $("status"),
    banner: $("banner"), noteView: $("note-view"), checklist: $("checklist"),
    suggested: $("suggested"), procedure: $("procedure"), graft: $("graft"),
    deviceRows: $("device-rows"), reasons: $("reasons"), query: $("query"), copy: $("copy"),
    versions: $("versions"), addon: $("addon"),
  };
  const meta = { addon: "27358", preamble: "Clarification requested for the operative report:" };
  let token = ""; // in memory only
  let documents = []; // the reports read from the last uploaded file, in memory only

  const BANNERS = {
    supported: "SUPPORTED: the documentation supports add-on code {addon}",
    query: "QUERY: documentation incomplete for {addon}; query the surgeon",
    not_supported: "NOT SUPPORTED: the documentation does not support {addon}",
  };

  // ---------------------------------------------------------------- API
  function headers(contentType) {
    const h = { "Content-Type": contentType || "application/json", Accept: "application/json" };
    if (token) h.Authorization = "Bearer " + token;
    return h;
  }

  async function api(path, body) {
    const init = { headers: headers(), cache: "no-store", credentials: "omit" };
    if (body !== undefined) {
      init.method = "POST";
      init.body = JSON.stringify(body);
    }
    return send(path, init);
  }

  // The raw file as the body: the server picks the reader by the name's suffix.
  function extract(file) {
    return send("/api/v1/extract?filename=" + encodeURIComponent(file.name), {
      method: "POST", body: file, headers: headers("application/octet-stream"),
      cache: "no-store", credentials: "omit",
    });
  }

  async function send(path, init) {
    const response = await fetch(path, init);
    let data = null;
    try {
      data = await response.json();
    } catch (e) {
      data = null;
    }
    if (response.status === 401) el.tokenField.hidden = false;
    if (!response.ok) {
      const err = data && data.error ? data.error : { code: "http_" + response.status, message: response.statusText };
      const error = new Error(err.message);
      error.code = err.code;
      error.status = response.status;
      throw error;
    }
    return data;
  }

  async function loadVersions() {
    try {
      const v = await api("/api/v1/version");
      meta.addon = v.rulepack.addon_code;
      meta.preamble = v.rulepack.query_preamble;
      el.addon.textContent = meta.addon;
      el.versions.textContent = "opcheck " + v.opcheck + " · pipeline " + v.pipeline.version +
        " · rules " + v.rulepack.name + " " + v.rulepack.version;
    } catch (e) {
      el.versions.textContent = e.status === 401 ? "token required" : "server unavailable";
    }
  }

  // ---------------------------------------------------------------- status line
  function say(message, kind) {
    el.status.textContent = message || "\u00a0";
    el.status.className = "status" + (kind ? " status-" + kind : "");
  }

  // ---------------------------------------------------------------- offsets
  // The server counts code points (Python); JS strings count UTF-16 units.
  function offsetMapper(text) {
    if (!/[\uD800-\uDFFF]/.test(text)) return (i) => i;
    const units = [];
    let u = 0;
    for (const ch of text) {
      units.push(u);
      u += ch.length;
    }
    units.push(u);
    return (i) => units[Math.max(0, Math.min(i, units.length - 1))];
  }

  // ---------------------------------------------------------------- classify evidence
  const SIDE = /^(left|right|bilateral(ly)?|lt\.?|rt\.?|l|r)$/i;
  const COUNT = /^((qty|quantity|number|no\.?|n)\s*[:=#]?\s*)?(x\s*|#\s*)?\(?\d+\)?(\s*x)?$|^(a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|single|both|pair|couple|dual|double|triple|multiple|several)$/i;
  const DEVICE = /(plate|screw|nail|rod|wire|pin\b|pins|cable|staple|lcp|dhs|shs|k-?wire|kirschner|steinmann|cerclage|gamma|blade)|\b(TEN|ESIN|PFNA?|TFNA?|IMN)\b/i;
  const SITE = /(femur|femor|tibia|fibula|patell|humer|radius|radial|ulna|clavic|scapul|pelvi|acetabul|sacr|vertebr|spine|lumbar|thoracic|cervical|calcane|talus|talar|navicul|cuboid|cuneiform|metatars|metacarp|phalan|carpal|scaphoid|mandib|trochant|condyl|neck|head|shaft|diaphys|metaphys|epiphys|proximal|distal|styloid|malleol|calcar|\b[LTCS]\d\b)/i;

  function classify(device, s) {
    const t = s.trim();
    if (SIDE.test(t)) return "side";
    if (COUNT.test(t) && !/^TEN$/.test(t)) return "count";
    if (DEVICE.test(t)) return "device";
    const region = device.site && device.site.region;
    if (SITE.test(t) || (region && t.toLowerCase().includes(region.toLowerCase()))) return "site";
    return device.status === "applied" ? "fact" : "trigger";
  }

  const KIND_RANK = { trigger: 0, count: 1, side: 2, site: 3, device: 4, fact: 5, reason: 6 };
  const KIND_NAME = { device: "device", count: "count", site: "bone/region", side: "side",
    trigger: "status trigger", fact: "fact", reason: "reason evidence" };

  function deviceLabel(d) {
    return d.type.replace(/_/g, " ") + (d.count === null ? "" : " \u00d7" + d.count) +
      (d.site && d.site.bone ? " on " + d.site.bone : "") + " (" + d.status + ")";
  }

  // ---------------------------------------------------------------- note with highlights
  function renderNote(text, result) {
    const map = offsetMapper(text);
    const spans = [];
    result.devices.forEach((d, i) => {
      for (const [a, b] of d.evidence) {
        if (!(b > a)) continue;
        spans.push({ start: map(a), end: map(b), kind: classify(d, text.slice(map(a), map(b))),
          target: "device-" + (i + 1), label: "Device " + (i + 1) + ": " + deviceLabel(d),
          inactive: d.status !== "applied" });
      }
    });
    result.reasons.forEach((r, k) => {
      for (const [a, b] of r.evidence || []) {
        if (!(b > a)) continue;
        spans.push({ start: map(a), end: map(b), kind: "reason", target: "reason-" + (k + 1),
          label: "Reason " + r.code, inactive: false });
      }
    });
    const cuts = new Set([0, text.length]);
    for (const s of spans) {
      cuts.add(Math.max(0, Math.min(s.start, text.length)));
      cuts.add(Math.max(0, Math.min(s.end, text.length)));
    }
    const points = Array.from(cuts).sort((x, y) => x - y);
    const frag = document.createDocumentFragment();
    for (let k = 0; k + 1 < points.length; k++) {
      const p = points[k];
      const q = points[k + 1];
      const piece = text.slice(p, q);
      const covering = spans.filter((s) => s.start <= p && s.end >= q);
      if (covering.length === 0) {
        frag.appendChild(document.createTextNode(piece));
        continue;
      }
      covering.sort((x, y) => KIND_RANK[x.kind] - KIND_RANK[y.kind]);
      const top = covering[0];
      const a = document.createElement("a");
      a.href = "#" + top.target;
      a.className = "hl hl-" + top.kind + (top.inactive ? " hl-inactive" : "");
      a.dataset.target = top.target;
      a.dataset.kind = top.kind;
      a.dataset.targets = Array.from(new Set(covering.map((s) => s.target))).join(" ");
      const title = Array.from(new Set(covering.map((s) => KIND_NAME[s.kind] + " \u2014 " + s.label)));
      a.title = title.join("\n");
      a.textContent = piece;
      frag.appendChild(a);
    }
    el.noteView.replaceChildren(frag);
    el.noteView.scrollTop = 0;
  }

  function focusTarget(id) {
    const target = $(id);
    if (!target) return;
    document.querySelectorAll(".is-target").forEach((n) => n.classList.remove("is-target"));
    target.classList.add("is-target");
    target.scrollIntoView({ block: "nearest" });
    target.focus({ preventScroll: true });
  }

  function focusFirstHighlight(target) {
    const first = el.noteView.querySelector('a.hl[data-targets~="' + target + '"]');
    if (!first) return;
    document.querySelectorAll(".is-target").forEach((n) => n.classList.remove("is-target"));
    el.noteView.querySelectorAll('a.hl[data-targets~="' + target + '"]')
      .forEach((n) => n.classList.add("is-target"));
    first.scrollIntoView({ block: "center" });
    first.focus({ preventScroll: true });
  }

  el.noteView.addEventListener("click", (ev) => {
    const a = ev.target.closest("a.hl");
    if (!a) return;
    ev.preventDefault(); // no #fragment in the URL or history
    focusTarget(a.dataset.target);
  });

  // ---------------------------------------------------------------- result panels
  function cell(text) {
    const td = document.createElement("td");
    td.textContent = text === null || text === undefined || text === "" ? "\u2014" : String(text);
    return td;
  }

  function renderDevices(result) {
    const rows = document.createDocumentFragment();
    if (result.devices.length === 0) {
      const tr = document.createElement("tr");
      tr.className = "empty";
      const td = cell("No internal fixation device found");
      td.colSpan = 8;
      tr.appendChild(td);
      rows.appendChild(tr);
    }
    result.devices.forEach((d, i) => {
      const tr = document.createElement("tr");
      tr.id = "device-" + (i + 1);
      tr.tabIndex = -1;
      tr.className = d.status === "applied" ? "applied" : "inactive";
      tr.append(cell(i + 1), cell(d.type.replace(/_/g, " ")), cell(d.count),
        cell(d.site && d.site.bone), cell(d.site && d.site.region), cell(d.laterality));
      const status = cell(d.status);
      status.className = "status-" + d.status;
      tr.appendChild(status);
      const td = document.createElement("td");
      const b = document.createElement("button");
      b.type = "button";
      b.className = "link-button";
      b.textContent = "show";
      b.setAttribute("aria-label", "Show device " + (i + 1) + " in the note");
      b.addEventListener("click", () => focusFirstHighlight("device-" + (i + 1)));
      td.appendChild(b);
      tr.appendChild(td);
      rows.appendChild(tr);
    });
    el.deviceRows.replaceChildren(rows);
  }

  function renderReasons(result) {
    const items = document.createDocumentFragment();
    result.reasons.forEach((r, k) => {
      const li = document.createElement("li");
      li.id = "reason-" + (k + 1);
      li.tabIndex = -1;
      li.className = "reason";
      const code = document.createElement("code");
      code.textContent = r.code;
      const msg = document.createElement("span");
      msg.textContent = " " + r.message + " ";
      li.append(code, msg);
      if (r.evidence && r.evidence.length) {
        const b = document.createElement("button");
        b.type = "button";
        b.className = "link-button";
        b.textContent = "show";
        b.setAttribute("aria-label", "Show the evidence of " + r.code + " in the note");
        b.addEventListener("click", () => focusFirstHighlight("reason-" + (k + 1)));
        li.appendChild(b);
      }
      items.appendChild(li);
    });
    for (const w of result.warnings) {
      const li = document.createElement("li");
      li.className = "warning";
      const code = document.createElement("code");
      code.textContent = w.code;
      li.append(code, document.createTextNode(" " + w.message));
      items.appendChild(li);
    }
    if (!result.reasons.length && !result.warnings.length) {
      const li = document.createElement("li");
      li.className = "empty";
      li.textContent = "No reasons: every required element is documented.";
      items.appendChild(li);
    }
    el.reasons.replaceChildren(items);
  }

  // The checklist is derived from the reason codes (the result's single source of truth).
  function checklistState(result) {
    const has = (...codes) => result.reasons.some((r) => codes.includes(r.code));
    const applied = result.devices.some((d) => d.status === "applied");
    const na = ["na", "not assessed"];
    const state = {};
    if (has("NO_FIXATION_APPLIED")) state.type = ["missing", "no fixation applied"];
    else if (has("DEVICE_TYPE_MISSING")) state.type = ["missing", "generic only"];
    else state.type = applied ? ["ok", "documented"] : na;
    state.count = has("DEVICE_COUNT_MISSING") ? ["missing", "missing"] : applied ? ["ok", "documented"] : na;
    if (has("DEVICE_SITE_MISSING")) state.site = ["missing", "bone missing"];
    else if (has("FIXATION_NOT_FEMUR")) state.site = ["missing", "not the femur"];
    else state.site = applied ? ["ok", "documented"] : na;
    state.side = has("LATERALITY_MISSING") ? ["missing", "missing"]
      : (applied || has("DEVICE_TYPE_MISSING")) ? ["ok", "documented"] : na;
    if (has("PRIMARY_NOT_QUALIFYING")) state.primary = ["missing", "not qualifying"];
    else if (has("CLAIMED_PRIMARY_INVALID")) state.primary = ["missing", "claimed code invalid"];
    else state.primary = ["ok", "femoral lesion excision"];
    return state;
  }

  const MARKS = { ok: "\u2713", missing: "\u2717", na: "\u2013", pending: "\u00b7" };

  function renderChecklist(result) {
    const state = result ? checklistState(result) : null;
    for (const li of el.checklist.querySelectorAll("li")) {
      const [kind, text] = state ? state[li.dataset.item] : ["pending", "not checked"];
      li.className = "ck ck-" + kind;
      li.dataset.state = kind;
      li.querySelector(".mark").textContent = MARKS[kind];
      li.querySelector(".ck-state").textContent = text;
    }
  }

  function queryText(result) {
    if (!result.queries.length) return "";
    const lines = [meta.preamble, ""];
    result.queries.forEach((q, i) => lines.push((i + 1) + ". " + q, ""));
    return lines.join("\n").trim() + "\n";
  }

  function human(s) {
    return s ? s.replace(/_/g, " ") : "\u2014";
  }

  function render(text, result) {
    el.banner.className = "banner banner-" + result.verdict;
    el.banner.dataset.verdict = result.verdict;
    el.banner.textContent = BANNERS[result.verdict].replace("{addon}", meta.addon);
    renderNote(text, result);
    renderChecklist(result);
    renderDevices(result);
    renderReasons(result);
    el.suggested.textContent = result.suggested_primary || "none";
    el.procedure.textContent = human(result.primary_procedure);
    el.graft.textContent = human(result.graft);
    el.query.value = queryText(result);
    el.copy.disabled = el.query.value === "";
  }

  function reset(message) {
    el.banner.className = "banner banner-error";
    delete el.banner.dataset.verdict;
    el.banner.textContent = message;
  }

  // ---------------------------------------------------------------- events
  el.form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const text = el.note.value;
    if (!text.trim()) {
      say("Paste or load a report first.", "error");
      el.note.focus();
      return;
    }
    if (new Blob([text]).size > MAX_BYTES) {
      say("The report is over the 2 MB limit.", "error");
      return;
    }
    const primary = el.primary.value.trim() || null;
    token = el.token.value.trim();
    el.button.disabled = true;
    el.form.setAttribute("aria-busy", "true");
    say("Checking\u2026");
    try {
      const result = await api("/api/v1/check", { text, primary });
      render(text, result);
      say("Checked.", "ok");
      el.banner.focus();
    } catch (e) {
      say(e.message || "The check failed.", "error");
      if (e.status === 401) {
        reset("Access token required");
        el.token.focus();
      }
    } finally {
      el.button.disabled = false;
      el.form.removeAttribute("aria-busy");
    }
  });

  function showDocuments(list) {
    documents = list;
    const options = document.createDocumentFragment();
    list.forEach((d, i) => {
      const o = document.createElement("option");
      o.value = String(i);
      o.textContent = d.id || "report " + (i + 1);
      options.appendChild(o);
    });
    el.doc.replaceChildren(options);
    el.docField.hidden = list.length < 2;
    if (list.length) el.note.value = list[0].text;
  }

  function readPlainText(file) {
    if (file.size > MAX_BYTES) {
      say("That file is over the 2 MB limit.", "error");
      return;
    }
    const reader = new FileReader();
    reader.onload = () => {
      showDocuments([]);
      el.note.value = String(reader.result);
      say("File loaded: press Check.", "ok");
    };
    reader.onerror = () => say("The file could not be read.", "error");
    reader.readAsText(file);
  }

  async function readOnServer(file) {
    if (file.size > MAX_UPLOAD_BYTES) {
      say("That file is over the 20 MB limit.", "error");
      return;
    }
    token = el.token.value.trim();
    el.file.disabled = true;
    say("Reading " + file.name + "\u2026");
    try {
      const data = await extract(file);
      showDocuments(data.documents);
      const n = data.documents.length;
      let message = n > 1 ? n + " reports read: pick one, then press Check." : "File loaded: press Check.";
      if (data.errors.length) {
        message += " " + data.errors.length + " part(s) unreadable: " +
          data.errors.map((e) => e.message).join("; ");
      }
      say(message, data.errors.length ? "error" : "ok");
    } catch (e) {
      say(e.message || "The file could not be read.", "error");
      if (e.status === 401) el.token.focus();
    } finally {
      el.file.disabled = false;
    }
  }

  el.file.addEventListener("change", () => {
    const file = el.file.files && el.file.files[0];
    if (!file) return;
    el.file.value = "";
    if (PLAIN_TEXT.test(file.name)) readPlainText(file);
    else readOnServer(file);
  });

  el.doc.addEventListener("change", () => {
    const d = documents[Number(el.doc.value)];
    if (d) {
      el.note.value = d.text;
      say("Report " + (d.id || "") + " loaded: press Check.", "ok");
    }
  });

  el.token.addEventListener("change", () => {
    token = el.token.value.trim();
    loadVersions();
  });

  el.query.addEventListener("input", () => {
    el.copy.disabled = el.query.value === "";
  });

  el.copy.addEventListener("click", async () => {
    const value = el.query.value;
    try {
      await navigator.clipboard.writeText(value);
      say("Query copied to the clipboard.", "ok");
    } catch (e) {
      el.query.select();
      const ok = document.execCommand && document.execCommand("copy");
      say(ok ? "Query copied to the clipboard." : "Select the query and copy it (Ctrl+C).", ok ? "ok" : "error");
    }
  });

  // Keyboard: Ctrl/Cmd+Enter in the note or primary field runs the check.
  el.form.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      el.form.requestSubmit();
    }
  });

  renderChecklist(null);
  loadVersions();
})();
