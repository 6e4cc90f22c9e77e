// Fleet pages: small progressive enhancements, no inline scripts (the CSP forbids them).
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

  async function showAsset() {
    if (!tag.value.trim()) { assetBox.textContent = ""; return; }
    const data = await getJSON(tag.dataset.preview + "?tag=" + encodeURIComponent(tag.value.trim()));
    assetBox.className = "preview " + (data.found && data.status === "in_stock" ? "ok" : "warn");
    assetBox.textContent = data.found ? `${data.asset_tag} · ${data.model} · ${data.center} · ${data.status}` : data.reason;
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
    if (!uid) { personBox.textContent = ""; return; }
    const data = await getJSON(who.dataset.preview + "?uid=" + encodeURIComponent(uid));
    personBox.className = "preview " + (data.ok ? "ok" : "warn");
    const verdict = data.ok ? document.getElementById("t-yes").innerHTML : document.getElementById("t-no").innerHTML;
    personBox.textContent = data.found
      ? `${data.name} · ${data.department || ""} · ${verdict}${data.reason ? " — " + data.reason : ""}`
      : data.reason;
  }

  // A barcode scanner types the tag and presses Enter: go on to the assignee, don't submit.
  tag.addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); showAsset(); who.focus(); }
  });
  tag.addEventListener("change", showAsset);
  who.addEventListener("input", debounce(showPerson, 300));
  who.addEventListener("change", showPerson);
  if (tag.value) showAsset();
  if (who.value) showPerson();
}

function setupPads() {
  const form = document.getElementById("sign-form");
  if (!form) return;
  form.querySelectorAll("canvas.pad").forEach((canvas) => {
    const ctx = canvas.getContext("2d");
    ctx.lineWidth = 2.5; ctx.lineCap = "round"; ctx.strokeStyle = "#111";
    let drawing = false;
    canvas.dataset.signed = "";
    const point = (e) => {
      const r = canvas.getBoundingClientRect();
      return [(e.clientX - r.left) * canvas.width / r.width, (e.clientY - r.top) * canvas.height / r.height];
    };
    canvas.addEventListener("pointerdown", (e) => {
      drawing = true; canvas.setPointerCapture(e.pointerId);
      const [x, y] = point(e); ctx.beginPath(); ctx.moveTo(x, y);
    });
    canvas.addEventListener("pointermove", (e) => {
      if (!drawing) return;
      const [x, y] = point(e); ctx.lineTo(x, y); ctx.stroke(); canvas.dataset.signed = "1";
    });
    const stop = () => { drawing = false; };
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointerleave", stop);
    canvas.parentElement.querySelector(".clear").addEventListener("click", () => {
      ctx.clearRect(0, 0, canvas.width, canvas.height); canvas.dataset.signed = "";
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
  input.focus();
  document.addEventListener("click", () => setTimeout(() => input.focus(), 0));
}

document.addEventListener("DOMContentLoaded", () => { setupHandover(); setupPads(); setupScanner(); });
