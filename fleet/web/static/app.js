// Fleet pages: small progressive enhancements, no inline scripts (the CSP forbids them).
// Every page works without this file; it adds the live previews, the signature pads and
// in-place stocktake scanning.
"use strict";

function debounce(fn, ms) {
  let timer = null;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

function el(tag, attrs, text) {
  const node = document.createElement(tag);
  Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
  if (text !== undefined) node.textContent = text;
  return node;
}

async function getJSON(url) {
  const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  return response.json();
}

function setupHandover() {
  const form = document.getElementById("handover-form");
  if (!form) return;
  const tag = document.getElementById("asset_tag");
  const who = document.getElementById("assignee");
  const assetBox = document.getElementById("asset-preview");
  const personBox = document.getElementById("person-preview");
  const accessories = document.getElementById("accessories");
  let assetAsked = "";
  let personAsked = "";

  async function showAsset() {
    const value = tag.value.trim();
    if (value === assetAsked) return;
    assetAsked = value;
    if (!value) { assetBox.textContent = ""; assetBox.className = "preview"; return; }
    const data = await getJSON(tag.dataset.preview + "?tag=" + encodeURIComponent(value));
    if (value !== tag.value.trim()) return;  // typed on meanwhile
    assetBox.className = "preview " + (data.found && data.in_stock ? "ok" : "warn");
    assetBox.textContent = data.found
      ? [data.asset_tag, data.category, data.model, data.center, data.status_label].filter(Boolean).join(" · ")
      : data.reason;
    if (data.found) {
      accessories.replaceChildren(...(data.accessories || []).map((name) => {
        const label = el("label", { class: "check" });
        label.append(el("input", { type: "checkbox", name: "accessories", value: name, checked: "checked" }), " " + name);
        return label;
      }));
    }
  }

  async function showPerson() {
    const uid = who.value.trim();
    if (uid === personAsked) return;
    personAsked = uid;
    if (!uid) { personBox.textContent = ""; personBox.className = "preview"; return; }
    let data;
    try {
      data = await getJSON(who.dataset.preview + "?uid=" + encodeURIComponent(uid));
    } catch (err) {
      personAsked = "";
      return;
    }
    if (uid !== who.value.trim()) return;
    personBox.className = "preview " + (data.ok ? "ok" : "warn");
    personBox.replaceChildren();
    if (data.found) {
      const line = el("span", { class: "who-line" });
      line.append(el("b", {}, data.name), ` (${data.uid}) · ${data.department || ""}`);
      if (data.employee_number) line.append(` · ${data.employee_number}`);
      personBox.append(line, el("br"), el("span", { class: "verdict" }, data.verdict));
      if (data.reason) personBox.append(" — " + data.reason);
      if (data.holding) personBox.append(el("br"), el("small", {}, data.holding));
    } else {
      personBox.append(el("span", { class: "verdict" }, data.reason));
    }
  }

  // A barcode scanner types the tag and presses Enter: go on to the assignee, don't submit.
  tag.addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); showAsset(); who.focus(); }
  });
  tag.addEventListener("change", showAsset);
  who.addEventListener("input", debounce(showPerson, 250));
  who.addEventListener("change", showPerson);
  if (tag.value) showAsset();
  if (who.value) showPerson();
  if (tag.value && !who.value) who.focus();
}

function setupPads() {
  const form = document.getElementById("sign-form");
  if (!form) return;
  form.querySelectorAll("canvas.pad").forEach((canvas) => {
    const ctx = canvas.getContext("2d");
    ctx.lineWidth = 5; ctx.lineCap = "round"; ctx.lineJoin = "round"; ctx.strokeStyle = "#111";
    let drawing = false;
    canvas.dataset.signed = "";
    const point = (e) => {
      const r = canvas.getBoundingClientRect();
      return [(e.clientX - r.left) * canvas.width / r.width, (e.clientY - r.top) * canvas.height / r.height];
    };
    canvas.addEventListener("pointerdown", (e) => {
      e.preventDefault();
      drawing = true; canvas.setPointerCapture(e.pointerId);
      const [x, y] = point(e); ctx.beginPath(); ctx.moveTo(x, y);
    });
    canvas.addEventListener("pointermove", (e) => {
      if (!drawing) return;
      const [x, y] = point(e); ctx.lineTo(x, y); ctx.stroke(); canvas.dataset.signed = "1";
      canvas.classList.add("signed");
    });
    const stop = () => { drawing = false; };
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
    canvas.parentElement.querySelector(".clear").addEventListener("click", () => {
      ctx.clearRect(0, 0, canvas.width, canvas.height); canvas.dataset.signed = ""; canvas.classList.remove("signed");
    });
  });
  form.addEventListener("submit", () => {
    form.querySelectorAll("canvas.pad").forEach((canvas) => {
      form.elements[canvas.dataset.target].value = canvas.dataset.signed ? canvas.toDataURL("image/png") : "";
    });
  });
}

function setupScanner() {
  const input = document.querySelector("input.keep-focus");
  if (!input) return;
  const form = input.form;
  const live = document.getElementById("stocktake-live");
  input.focus();
  // Clicking elsewhere on the page must not steal the scanner's input.
  document.addEventListener("click", (event) => {
    if (!event.target.closest("a, button, select, textarea, input")) setTimeout(() => input.focus(), 0);
  });
  if (!live) return;
  // Scans are posted one after another, in place: a fast scanner never waits for a page load.
  let queue = Promise.resolve();
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = new FormData(form);
    input.value = "";
    input.focus();
    queue = queue.then(async () => {
      const response = await fetch(form.action || window.location.href, {
        method: "POST", body, credentials: "same-origin", headers: { "X-Fleet-Partial": "1" },
      });
      live.innerHTML = await response.text();
      announce(document.getElementById("scan-announce"), live.querySelector("#last-scan"));
    }).catch(() => { window.location.reload(); });
  });
}

// Say a result through a live region; the same words twice in a row are said twice (cleared, then set).
function announce(region, source) {
  if (!region || !source) return;
  region.textContent = "";
  setTimeout(() => { region.textContent = source.textContent.trim(); }, 50);
}

// The text of a field's label without the field itself (a label wraps its input here).
function labelText(control) {
  const label = control.labels && control.labels[0];
  if (label) {
    return [...label.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent).join(" ").trim();
  }
  const legend = control.closest("fieldset") && control.closest("fieldset").querySelector("legend");
  return legend ? legend.textContent.trim() : "";
}

// A refused form: each error is tied to its field (aria-invalid, aria-describedby), the summary's items link to
// the fields and say which, and the focus moves to the summary so that it is read first.
function setupErrors() {
  const summary = document.getElementById("error-summary");
  document.querySelectorAll(".field-error[data-field]").forEach((message) => {
    const scope = message.closest("form") || document;
    const found = scope.querySelector(`[name="${CSS.escape(message.dataset.field)}"]:not([type=hidden])`);
    if (!found) return;
    const control = found.type === "radio" || found.type === "checkbox"
      ? (scope.querySelector(`[name="${CSS.escape(found.name)}"]:checked`) || found) : found;
    if (!control.id) control.id = "field-" + found.name;
    control.setAttribute("aria-invalid", "true");
    const described = new Set((control.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean));
    described.add(message.id);
    control.setAttribute("aria-describedby", [...described].join(" "));
    const link = summary && summary.querySelector(`a[href="#${CSS.escape(message.id)}"]`);
    if (link) {
      link.setAttribute("href", "#" + control.id);
      const name = labelText(control);
      if (name && !link.textContent.startsWith(name)) link.textContent = `${name}: ${link.textContent}`;
    }
  });
  if (!summary) return;
  summary.querySelectorAll("a[href^='#']").forEach((link) => {
    if (!document.getElementById(link.hash.slice(1))) link.replaceWith(document.createTextNode(link.textContent));
  });
  summary.addEventListener("click", (event) => {
    const link = event.target.closest("a[href^='#']");
    const target = link && document.getElementById(link.hash.slice(1));
    if (!target) return;
    event.preventDefault();
    target.focus();
    target.scrollIntoView({ block: "center" });
  });
  summary.focus();
}

// The outcome of what was just done (handed over, booked, taken back…) is read first on the page that follows.
function setupNotice() {
  const notice = document.getElementById("notice");
  if (!notice || document.getElementById("error-summary") || document.querySelector("input.keep-focus")) return;
  notice.setAttribute("tabindex", "-1");
  notice.focus();
}

// KWCAG 2.2 응답시간 조절: when the page says how long its session has left (<meta name="fleet-session-seconds-left">),
// warn two minutes before the end in a dialog that lets the person stay; after the end, a form sent is kept in
// sessionStorage across the new log-in and filled in again. Without the meta tag nothing of this runs. The end is
// counted on this device's clock from the seconds the server gives, never by comparing the server's time with the
// device's: a phone whose clock is ten minutes off still warns two minutes before the end.
const SESSION_WARN_MS = 2 * 60 * 1000;
const PENDING_FORM = "fleet-pending-form";

function sessionMeta(name) {
  const meta = document.querySelector(`meta[name="${name}"]`);
  return meta ? meta.content : null;
}

// The session's end on this device's clock: now plus the seconds the server says are left; NaN without them.
function sessionEnd(secondsLeft) {
  const seconds = secondsLeft === null || secondsLeft === undefined || secondsLeft === "" ? NaN : Number(secondsLeft);
  return Number.isFinite(seconds) && seconds >= 0 ? Date.now() + seconds * 1000 : NaN;
}

function keptForms() {
  return [...document.querySelectorAll("main form[method=post], main form[method=POST]")]
    .filter((form) => form.enctype !== "multipart/form-data" && !form.querySelector("input[type=password]"));
}

function formValues(form) {
  const values = [];
  for (const [name, value] of new FormData(form)) {
    if (name !== "csrf_token" && typeof value === "string" && !name.endsWith("_signature")) values.push([name, value]);
  }
  return values;
}

function keepForm(form) {
  sessionStorage.setItem(PENDING_FORM, JSON.stringify({
    action: new URL(form.action || window.location.href, window.location.href).pathname,
    page: window.location.pathname + window.location.search, values: formValues(form), at: Date.now(),
  }));
}

function restoreForm() {
  let kept;
  try { kept = JSON.parse(sessionStorage.getItem(PENDING_FORM) || "null"); } catch (err) { kept = null; }
  if (!kept) return;
  if (document.querySelector("main input[type=password]")) return;  // the log-in page: keep it for after
  sessionStorage.removeItem(PENDING_FORM);
  const form = keptForms().find((f) => new URL(f.action || window.location.href, window.location.href).pathname
                                       === kept.action);
  if (!form || Date.now() - kept.at > 60 * 60 * 1000) return;
  const checkable = new Set();
  for (const [name, value] of kept.values) {
    const fields = [...form.elements].filter((e) => e.name === name);
    fields.forEach((field) => {
      if (field.type === "checkbox" || field.type === "radio") {
        if (!checkable.has(name)) { fields.forEach((f) => { f.checked = false; }); checkable.add(name); }
        if (field.value === value) field.checked = true;
      } else if (field.type !== "hidden" && field.type !== "file") {
        field.value = value;
      }
    });
  }
  const note = document.getElementById("form-restored");
  if (note) { note.hidden = false; note.setAttribute("tabindex", "-1"); note.focus(); }
}

function setupSessionTimer() {
  const dialog = document.getElementById("session-warning");
  let expires = sessionEnd(sessionMeta("fleet-session-seconds-left"));
  if (!dialog || Number.isNaN(expires)) return;
  const clockEnd = dialog.querySelector(".session-end");
  const stay = dialog.querySelector(".session-stay");
  const expiredBox = dialog.querySelector(".session-expired");
  const activeBox = dialog.querySelector(".session-active");
  let timer = null;

  const show = () => {
    const ended = Date.now() >= expires;
    clockEnd.textContent = new Date(expires).toLocaleTimeString(document.documentElement.lang,
                                                                { hour: "numeric", minute: "2-digit" });
    activeBox.hidden = ended;
    expiredBox.hidden = !ended;
    if (!dialog.open) dialog.showModal();
    (ended ? expiredBox.querySelector("a") : stay).focus();
    if (!ended) schedule();
  };
  function schedule() {
    clearTimeout(timer);
    const untilWarn = expires - SESSION_WARN_MS - Date.now();
    timer = setTimeout(show, untilWarn > 0 ? untilWarn : Math.max(expires - Date.now(), 0) + 500);
  }

  stay.addEventListener("click", async () => {
    const extend = sessionMeta("fleet-session-extend");
    const token = document.querySelector("input[name=csrf_token]");
    try {
      await fetch(extend || window.location.href, {
        method: extend ? "POST" : "HEAD", credentials: "same-origin",
        headers: token ? { "X-CSRF-Token": token.value } : {},
      });
      const answer = await fetch(sessionMeta("fleet-session-status") || "/api/v1/auth/session",
                                 { credentials: "same-origin", headers: { Accept: "application/json" } });
      const state = answer.ok ? await answer.json() : null;
      const next = state ? sessionEnd(state.seconds_left) : NaN;  // the end of the idle limit, not the absolute one
      if (!Number.isNaN(next)) expires = next;
    } catch (err) { /* the warning comes back at the old time */ }
    dialog.close();
    schedule();
  });
  dialog.querySelector(".session-close").addEventListener("click", () => dialog.close());
  // After the end a form is not sent to be refused: it is kept, and the person logs in again and finds it filled.
  keptForms().forEach((form) => form.addEventListener("submit", (event) => {
    if (Date.now() < expires) return;
    event.preventDefault();
    keepForm(form);
    show();
  }, true));
  expiredBox.querySelector("a").addEventListener("click", () => {
    const form = keptForms().find((f) => formValues(f).some(([, v]) => v));
    if (form && !sessionStorage.getItem(PENDING_FORM)) keepForm(form);
  });
  schedule();
}

document.addEventListener("DOMContentLoaded", () => {
  setupHandover(); setupPads(); setupScanner(); restoreForm(); setupNotice(); setupErrors(); setupSessionTimer();
});
