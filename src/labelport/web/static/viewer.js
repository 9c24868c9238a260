// labelport row viewer: a data row's asset with its labels drawn, from the API only (/row-labels,
// /assets). Loaded after app.js on the row page, whose el() and api() helpers it uses.
"use strict";

// ---- data row viewer ----------------------------------------------------------------------
function assetUrl(key, frame) {
  return `/assets?global_key=${encodeURIComponent(key)}` + (frame ? `&frame=${frame}` : "");
}

function decodeRle(rle) {
  // COCO compressed RLE (column-major counts, LEB128-like characters) to a Uint8Array mask
  const [h, w] = rle.size;
  const s = rle.counts;
  const counts = [];
  let p = 0;
  while (p < s.length) {
    let x = 0, k = 0, more = 1;
    while (more) {
      const c = s.charCodeAt(p) - 48;
      x |= (c & 0x1f) << (5 * k);
      more = c & 0x20;
      p++; k++;
      if (!more && (c & 0x10)) x |= -1 << (5 * k);
    }
    if (counts.length > 2) x += counts[counts.length - 2];
    counts.push(x);
  }
  const out = new Uint8Array(h * w);
  let idx = 0, v = 0;
  for (const n of counts) {
    if (v) for (let i = idx; i < idx + n; i++) out[(i % h) * w + Math.floor(i / h)] = 1;
    idx += n; v = 1 - v;
  }
  return { h, w, data: out };
}

function maskImage(geometry, color) {
  const m = decodeRle(geometry);
  const canvas = document.createElement("canvas");
  canvas.width = m.w; canvas.height = m.h;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(m.w, m.h);
  const hex = (color || "#ff8800").replace("#", "");
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16));
  for (let i = 0; i < m.data.length; i++) {
    if (m.data[i]) { img.data.set([r, g, b, 140], i * 4); }
  }
  ctx.putImageData(img, 0, 0);
  return el("svg:image", { href: canvas.toDataURL(), x: 0, y: 0, width: m.w, height: m.h });
}

function pairs(flat) {
  const out = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push(`${flat[i]},${flat[i + 1]}`);
  return out.join(" ");
}

function shape(a, color) {
  const g = a.geometry;
  const common = { stroke: color, fill: "none", "stroke-width": 2, "vector-effect": "non-scaling-stroke" };
  switch (a.kind) {
    case "bbox": {
      const attrs = Object.assign({ x: g[0], y: g[1], width: g[2], height: g[3], fill: color, "fill-opacity": 0.15 }, { stroke: color, "stroke-width": 2, "vector-effect": "non-scaling-stroke" });
      if (g.length > 4) attrs.transform = `rotate(${g[4]} ${g[0] + g[2] / 2} ${g[1] + g[3] / 2})`;
      return el("svg:rect", attrs);
    }
    case "polygon": {
      const grp = el("svg:g", {});
      for (const ring of g) grp.append(el("svg:polygon", Object.assign({}, common, { points: pairs(ring), fill: color, "fill-opacity": 0.2 })));
      return grp;
    }
    case "line": return el("svg:polyline", Object.assign({}, common, { points: pairs(g) }));
    case "point": return el("svg:circle", { cx: g[0], cy: g[1], r: 4, fill: color, stroke: "#fff", "vector-effect": "non-scaling-stroke" });
    case "ellipse": return el("svg:ellipse", Object.assign({}, common, { cx: g[0], cy: g[1], rx: g[2], ry: g[3], transform: g.length > 4 ? `rotate(${g[4]} ${g[0]} ${g[1]})` : null }));
    case "keypoints": {
      const grp = el("svg:g", {});
      for (let i = 0; i + 2 < g.length; i += 3) {
        if (g[i + 2] > 0) grp.append(el("svg:circle", { cx: g[i], cy: g[i + 1], r: 3, fill: g[i + 2] === 2 ? color : "#fff", stroke: color }));
      }
      return grp;
    }
    case "mask": return g && g.counts ? maskImage(g, color) : null;
    default: return null;
  }
}

function answerText(ans) {
  if (!ans) return "";
  const v = ans.value;
  const one = (c) => (c && typeof c === "object" ? c.name : String(c)) +
    (c && c.frames ? ` [${c.frames.map((f) => f.join("–")).join(", ")}]` : "") +
    (c && c.classifications && c.classifications.length ? ` (${c.classifications.map(answerText).join("; ")})` : "");
  const text = Array.isArray(v) ? v.map(one).join(", ") : one(v);
  return `${ans.name}: ${text}`;
}

function legend(view, shapesByName, root) {
  const box = el("div", { class: "legend", id: "legend" });
  box.append(el("h3", {}, "Legend"));
  for (const [name, nodes] of Object.entries(shapesByName)) {
    const id = `toggle-${name.replace(/\W/g, "_")}`;
    const cb = el("input", { type: "checkbox", id, checked: "", "data-name": name });
    cb.addEventListener("change", () => {
      for (const n of root.querySelectorAll(`[data-name="${CSS.escape(name)}"]`)) n.style.display = cb.checked ? "" : "none";
    });
    box.append(el("label", { for: id }, cb, el("span", { class: "swatch", style: `background:${view.colors[name] || "#888"}` }), ` ${name} (${nodes})`));
  }
  const answers = view.labels.filter((a) => a.answer);
  if (answers.length) {
    box.append(el("h3", {}, "Classifications"));
    const ul = el("ul", { id: "answers" });
    for (const a of answers) ul.append(el("li", {}, answerText(a.answer)));
    box.append(ul);
  }
  const nested = view.labels.filter((a) => a.classifications && a.classifications.length);
  if (nested.length) {
    box.append(el("h3", {}, "Object attributes"));
    const ul = el("ul", {});
    for (const a of nested) ul.append(el("li", {}, `${a.name} ${a.uid ? a.uid.slice(0, 8) : ""}: ${a.classifications.map(answerText).join("; ")}`));
    box.append(ul);
  }
  return box;
}

function drawShapes(layer, anns, colors) {
  layer.replaceChildren();
  const counts = {};
  for (const a of anns) {
    const node = shape(a, colors[a.name] || "#ff8800");
    if (!node) continue;
    node.setAttribute("data-name", a.name);
    node.setAttribute("data-kind", a.kind);
    node.classList.add("ann");
    if (a.uid) node.setAttribute("data-uid", a.uid);
    node.append(el("svg:title", {}, `${a.name}${a.track_id ? " track " + a.track_id : ""}`));
    layer.append(node);
    counts[a.name] = (counts[a.name] || 0) + 1;
  }
  return counts;
}

function panZoom(svg, w, h) {
  let vb = [0, 0, w, h];
  const set = () => svg.setAttribute("viewBox", vb.join(" "));
  svg.addEventListener("wheel", (e) => {
    e.preventDefault();
    const r = svg.getBoundingClientRect();
    const fx = (e.clientX - r.left) / r.width, fy = (e.clientY - r.top) / r.height;
    const k = e.deltaY < 0 ? 0.8 : 1.25;
    const nw = Math.min(w * 4, Math.max(w / 50, vb[2] * k)), nh = nw * h / w;
    vb = [vb[0] + (vb[2] - nw) * fx, vb[1] + (vb[3] - nh) * fy, nw, nh];
    set();
  }, { passive: false });
  let drag = null;
  svg.addEventListener("pointerdown", (e) => { drag = [e.clientX, e.clientY, vb[0], vb[1]]; svg.setPointerCapture(e.pointerId); });
  svg.addEventListener("pointermove", (e) => {
    if (!drag) return;
    const r = svg.getBoundingClientRect();
    vb[0] = drag[2] - (e.clientX - drag[0]) * vb[2] / r.width;
    vb[1] = drag[3] - (e.clientY - drag[1]) * vb[3] / r.height;
    set();
  });
  svg.addEventListener("pointerup", () => { drag = null; });
  svg.addEventListener("dblclick", () => { vb = [0, 0, w, h]; set(); });
}

function stage(w, h) {
  const svg = el("svg:svg", { id: "stage", viewBox: `0 0 ${w} ${h}`, "data-width": w, "data-height": h, preserveAspectRatio: "xMidYMid meet" });
  const bg = el("svg:g", { class: "asset" });
  const layer = el("svg:g", { id: "shapes" });
  svg.append(bg, layer);
  panZoom(svg, w, h);
  return { svg, bg, layer };
}

function framesOf(anns) {
  // what each frame shows: an object's keyframe, or its box carried between keyframes of a segment
  const byTrack = {};
  for (const a of anns) if (a.frame) (byTrack[a.track_id || a.uid] ||= []).push(a);
  for (const list of Object.values(byTrack)) list.sort((x, y) => x.frame - y.frame);
  return (frame) => {
    const out = [];
    for (const list of Object.values(byTrack)) {
      let prev = null, next = null;
      for (const a of list) { if (a.frame <= frame) prev = a; else { next = a; break; } }
      if (!prev) continue;
      if (prev.frame === frame) { out.push(prev); continue; }
      const seg = (x) => (x.extra && x.extra.segment) ?? 0;
      if (next && seg(next) === seg(prev) && prev.kind === "bbox" && next.kind === "bbox") {
        const t = (frame - prev.frame) / (next.frame - prev.frame);
        out.push(Object.assign({}, prev, { geometry: prev.geometry.map((v, i) => v + (next.geometry[i] - v) * t) }));
      }
    }
    return out;
  };
}

function renderVisual(viewer, view, shell) {
  const row = view.row, md = row.metadata, key = row.global_key;
  const media = row.media_type;
  const w = md.width || 640, h = md.height || 480;
  const { svg, bg, layer } = stage(w, h);
  const geo = view.labels.filter((a) => a.geometry && a.kind !== "entity");
  const holder = el("div", { class: "stage-wrap" });
  let counts;
  if (media === "image") {
    bg.append(el("svg:image", { href: assetUrl(key), x: 0, y: 0, width: w, height: h }));
    holder.append(svg);
    counts = drawShapes(layer, geo, view.colors);
  } else {
    const total = media === "video" ? md.frame_count : (md.frames || []).length;
    const at = framesOf(geo);
    let video = null;
    if (media === "video") {
      video = el("video", { src: assetUrl(key), muted: "", preload: "auto", width: w, height: h });
      holder.append(video);
      svg.classList.add("over");
    } else {
      bg.append(el("svg:image", { id: "frame-image", x: 0, y: 0, width: w, height: h }));
    }
    holder.append(svg);
    const slider = el("input", { type: "range", min: 1, max: Math.max(1, total), value: 1, id: "frame" });
    const label = el("span", { id: "frame-label" });
    const show = (f) => {
      label.textContent = `frame ${f} / ${total}`;
      svg.setAttribute("data-frame", f);
      if (video) video.currentTime = (f - 0.5) / (md.fps || 30);
      else bg.querySelector("image").setAttribute("href", assetUrl(key, f));
      drawShapes(layer, at(f), view.colors);
      for (const cb of shell.querySelectorAll(".legend input")) if (!cb.checked) cb.dispatchEvent(new Event("change"));
    };
    slider.addEventListener("input", () => show(Number(slider.value)));
    const first = geo.length ? Math.min(...geo.map((a) => a.frame || 1)) : 1;
    slider.value = first;
    shell.append(el("div", { class: "scrubber" }, slider, label));
    show(first);
    counts = {};
    for (const a of geo) counts[a.name] = (counts[a.name] || 0) + 1;
  }
  shell.prepend(holder);
  return counts;
}

function renderPdf(view, shell) {
  const pages = view.row.metadata.pages || [];
  const wrap = el("div", { class: "pages" });
  const counts = {};
  pages.forEach((p, i) => {
    const [w, h] = Array.isArray(p) ? p : [p.width, p.height];
    const { svg, bg, layer } = stage(w, h);
    svg.setAttribute("data-page", i + 1);
    bg.append(el("svg:rect", { x: 0, y: 0, width: w, height: h, fill: "#fff", stroke: "#999" }));
    const c = drawShapes(layer, view.labels.filter((a) => a.page === i + 1 && a.geometry && a.kind !== "entity"), view.colors);
    for (const [k, v] of Object.entries(c)) counts[k] = (counts[k] || 0) + v;
    wrap.append(el("div", { class: "page" }, el("p", {}, `page ${i + 1}`), svg));
  });
  wrap.prepend(el("p", {}, el("a", { href: assetUrl(view.row.global_key), target: "_blank" }, "Open the PDF")));
  shell.prepend(wrap);
  return counts;
}

function highlight(text, spans, colors) {
  // entity spans [start, end) in code points, drawn as <mark>s; overlaps stack by nesting order
  const chars = Array.from(text);
  const out = el("div", { class: "text" });
  const sorted = spans.slice().sort((a, b) => a.geometry[0] - b.geometry[0]);
  let pos = 0;
  for (const a of sorted) {
    const [s, e] = a.geometry;
    if (s < pos) continue;
    out.append(chars.slice(pos, s).join(""));
    out.append(el("mark", { class: "ann", "data-name": a.name, "data-kind": "entity", "data-start": s, "data-end": e, style: `background:${colors[a.name] || "#ff8800"}55; border-bottom: 2px solid ${colors[a.name] || "#ff8800"}`, title: a.name }, chars.slice(s, e).join("")));
    pos = e;
  }
  out.append(chars.slice(pos).join(""));
  return out;
}

async function renderText(view, shell) {
  const res = await fetch(assetUrl(view.row.global_key));
  const body = await res.text();
  const entities = view.labels.filter((a) => a.kind === "entity" && Array.isArray(a.geometry));
  const counts = {};
  for (const a of entities) counts[a.name] = (counts[a.name] || 0) + 1;
  if (view.row.media_type === "conversation") {
    const doc = JSON.parse(body);
    const list = el("div", { class: "conversation" });
    for (const m of doc.messages) {
      const mine = entities.filter((a) => a.message_id === m.messageId);
      list.append(el("div", { class: "message", "data-message": m.messageId }, el("b", {}, (m.user && (m.user.name || m.user.userId)) || m.messageId), highlight(m.content, mine, view.colors)));
    }
    shell.prepend(list);
  } else {
    shell.prepend(highlight(body, entities, view.colors));
  }
  return counts;
}

function renderAudio(view, shell) {
  const md = view.row.metadata;
  const duration = md.duration_ms || 1;
  const audio = el("audio", { src: assetUrl(view.row.global_key), controls: "" });
  const line = el("div", { class: "timeline", id: "timeline" });
  const counts = {};
  for (const a of view.labels) {
    const choices = a.answer ? (Array.isArray(a.answer.value) ? a.answer.value : [a.answer.value]) : [];
    for (const c of choices) {
      for (const [s, e] of (c && c.frames) || []) {
        const color = view.colors[a.name] || "#4363d8";
        const bar = el("div", { class: "range ann", "data-name": a.name, "data-start": s, "data-end": e, title: `${a.name}: ${c.name || c.text || ""} ${s}–${e} ms`, style: `left:${100 * s / duration}%;width:${Math.max(0.3, 100 * (e - s) / duration)}%;background:${color}` }, c.name || c.text || "");
        bar.addEventListener("click", () => { audio.currentTime = s / 1000; audio.play(); });
        line.append(bar);
        counts[a.name] = (counts[a.name] || 0) + 1;
      }
    }
  }
  shell.prepend(el("div", {}, audio, line));
  return counts;
}

async function setupViewer(viewer) {
  let view;
  try {
    view = await api(`/row-labels?project=${encodeURIComponent(viewer.dataset.project)}&global_key=${encodeURIComponent(viewer.dataset.key)}`);
  } catch (e) { viewer.append(el("p", { class: "error" }, e.message)); return; }
  const shell = el("div", { class: "view-main" });
  viewer.append(shell);
  const media = view.row.media_type;
  let counts;
  if (["text", "html", "conversation"].includes(media)) counts = await renderText(view, shell);
  else if (media === "audio") counts = renderAudio(view, shell);
  else if (media === "pdf") counts = renderPdf(view, shell);
  else counts = renderVisual(viewer, view, shell);
  viewer.append(legend(view, counts, viewer));
  viewer.dataset.ready = "yes";
}

document.addEventListener("DOMContentLoaded", () => {
  const viewer = document.getElementById("viewer");
  if (viewer) setupViewer(viewer);
});
