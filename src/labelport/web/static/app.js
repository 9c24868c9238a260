// labelport web UI: plain JavaScript over the REST API (the session cookie carries the token).
"use strict";

const UI = "/ui";
const SVGNS = "http://www.w3.org/2000/svg";

function el(tag, attrs, ...children) {
  const node = tag.startsWith("svg:") ? document.createElementNS(SVGNS, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== null && v !== undefined) node.setAttribute(k, String(v));
  }
  for (const c of children) node.append(c);
  return node;
}

async function api(path, options) {
  const res = await fetch(path, Object.assign({ credentials: "same-origin" }, options || {}));
  const text = await res.text();
  const body = text ? JSON.parse(text) : null;
  if (!res.ok) {
    const msg = body && (body.detail || body.title) ? `${body.code || res.status}: ${body.detail || body.title}` : `HTTP ${res.status}`;
    throw new Error(body && body.hint ? `${msg} (${body.hint})` : msg);
  }
  return body;
}

// ---- new import -------------------------------------------------------------------------
function setupImport(form) {
  const project = form.dataset.project;
  const input = form.querySelector("#payload");
  const drop = form.querySelector("#drop");
  const detected = form.querySelector("#detected");
  const error = form.querySelector("#import-error");
  let file = null;

  async function chosen(f) {
    file = f;
    drop.classList.add("has-file");
    detected.textContent = `${f.name} (${f.size.toLocaleString()} bytes): detecting the format…`;
    try {
      const d = await api(`/detect?filename=${encodeURIComponent(f.name)}`, { method: "POST", body: f });
      const best = d.format ? d.formats[d.format] : null;
      detected.textContent = d.format
        ? `Detected ${d.format}: ${(best.reasons || []).join("; ")}`
        : "No format recognised it: pick one.";
      detected.dataset.format = d.format || "";
    } catch (e) {
      detected.textContent = `Detection failed: ${e.message}`;
    }
  }
  input.addEventListener("change", () => input.files[0] && chosen(input.files[0]));
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    if (e.dataTransfer.files[0]) chosen(e.dataTransfer.files[0]);
  });

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    error.hidden = true;
    if (!file) { error.textContent = "Choose a payload first."; error.hidden = false; return; }
    const params = new URLSearchParams({
      project, format: form.querySelector("#format").value, filename: file.name,
      dry_run: form.querySelector("#dry_run").checked ? "true" : "false",
      on_existing: form.querySelector("#on_existing").value,
    });
    const bar = form.querySelector("#upload-progress");
    bar.hidden = false;
    const xhr = new XMLHttpRequest(); // the raw body is streamed; XHR reports upload progress
    xhr.open("POST", `/imports?${params}`);
    xhr.upload.onprogress = (ev) => { if (ev.lengthComputable) bar.value = ev.loaded / ev.total; };
    xhr.onload = () => {
      const body = xhr.responseText ? JSON.parse(xhr.responseText) : {};
      if (xhr.status === 202) { location.href = `${UI}/jobs/${body.id}`; return; }
      error.textContent = `${body.code || xhr.status}: ${body.detail || body.title || "upload refused"}`;
      error.hidden = false;
    };
    xhr.onerror = () => { error.textContent = "the upload failed"; error.hidden = false; };
    xhr.send(file);
  });
}

// ---- job ----------------------------------------------------------------------------------
const FINISHED = ["succeeded", "failed", "cancelled"];

function showJob(box, job) {
  // the page's state, progress and counts from a job the API returned
  const state = document.getElementById("job-state");
  state.textContent = job.state;
  state.className = `state-${job.state}`;
  const bar = document.getElementById("job-progress");
  if (job.progress.total) { bar.max = job.progress.total; bar.value = job.progress.done || 0; }
  const table = document.getElementById("counts");
  for (const [k, v] of Object.entries(job.counts)) {
    let cell = box.querySelector(`[data-count="${k}"]`);
    if (!cell) {
      cell = el("td", { "data-count": k });
      table.append(el("tr", {}, el("th", {}, k.replace(/_/g, " ")), cell));
    }
    cell.textContent = v;
  }
  const finished = FINISHED.includes(job.state);
  box.dataset.finished = finished ? "yes" : "no";
  bar.hidden = finished;
  const cancel = document.getElementById("cancel-job");
  if (cancel && finished) cancel.remove();
  const undo = document.getElementById("undo-job");
  if (undo && job.undone) undo.remove();
  if (job.undone && !document.getElementById("undone")) {
    document.getElementById("job-actions").prepend(el("span", { class: "pill", id: "undone" }, "undone: its labels are removed and its tasks back as they were"));
  }
}

function jobAction(box, button, verb, question) {
  // a POST to /jobs/{id}/{verb} once the person confirms; the answer is the job as it now is
  const error = document.getElementById("action-error");
  button.addEventListener("click", async () => {
    if (!window.confirm(question)) return;
    button.disabled = true;
    error.hidden = true;
    try {
      showJob(box, await api(`/jobs/${box.dataset.job}/${verb}`, { method: "POST" }));
    } catch (e) {
      error.textContent = e.message;
      error.hidden = false;
      button.disabled = false;
    }
  });
}

function setupJob(box) {
  const id = box.dataset.job;
  const confirm = document.getElementById("confirm");
  if (confirm) {
    confirm.addEventListener("click", async () => {
      confirm.disabled = true;
      try {
        const job = await api(`/jobs/${id}/confirm`, { method: "POST" });
        location.href = `${UI}/jobs/${job.id}`;
      } catch (e) { confirm.after(el("p", { class: "error" }, e.message)); }
    });
  }
  const cancel = document.getElementById("cancel-job");
  if (cancel) jobAction(box, cancel, "cancel", `Cancel job #${id}? A queued job never runs; a running one stops and commits nothing.`);
  const undo = document.getElementById("undo-job");
  if (undo) jobAction(box, undo, "undo", `Undo job #${id}? Its labels are removed and its rows' tasks go back to how they were, in one transaction.`);
  if (box.dataset.finished === "yes") return;
  async function poll() {
    const job = await api(`/jobs/${id}`);
    const was = box.dataset.finished;
    showJob(box, job);
    // finished while watched: reload for the report (issues, verdict) the server renders
    if (FINISHED.includes(job.state)) { if (was !== "yes") location.reload(); return; }
    setTimeout(poll, 400);
  }
  poll();
}

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("import-form");
  if (form) setupImport(form);
  const job = document.getElementById("job");
  if (job) setupJob(job);
  for (const pre of document.querySelectorAll("pre.copy")) {
    const b = el("button", { class: "copy-btn", type: "button" }, "Copy");
    b.addEventListener("click", () => navigator.clipboard && navigator.clipboard.writeText(pre.textContent).then(() => { b.textContent = "Copied"; }));
    pre.before(b);
  }
});
