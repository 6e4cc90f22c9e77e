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
    }).catch(() => { window.location.reload(); });
  });
}

document.addEventListener("DOMContentLoaded", () => { setupHandover(); setupPads(); setupScanner(); });
