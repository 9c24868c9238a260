// labelport row viewer: a data row's asset with its labels drawn, read from the API only
// (/row-labels for the row, its labels, colours and skeletons; /assets for the file, a frame of a
// scene or a rendered PDF page). Loaded after app.js on the row page and uses its el() and api().
//
// Everything drawn carries its state in the DOM so a test (or a person with devtools) can check
// it: shapes are SVG elements with class "ann" and data-name / data-kind / data-uid, in the
// asset's own units inside #stage, whose viewBox is the pan and zoom. A frame or page switch
// redraws #shapes. A class switched off in the legend gets the class "off" on its shapes.
"use strict";

const POINT_PX = 5; // on-screen radius of a point, whatever the zoom
const KEYPOINT_PX = 4;

function assetUrl(key, where) {
  const q = new URLSearchParams({ global_key: key });
  for (const [k, v] of Object.entries(where || {})) if (v) q.set(k, v);
  return `/assets?${q}`;
}

function colorOf(view, name) {
  return view.colors[name] || "#ff8800";
}

// ---- masks ----------------------------------------------------------------------------------
function decodeRle(rle) {
  // COCO compressed RLE (column-major run lengths, 6-bit characters, deltas from the run two back)
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
  // the mask's pixels in the class colour, see-through elsewhere, as an <image> over the asset
  const m = decodeRle(geometry);
  const canvas = document.createElement("canvas");
  canvas.width = m.w; canvas.height = m.h;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(m.w, m.h);
  const hex = color.replace("#", "");
  const rgb = [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16));
  for (let i = 0; i < m.data.length; i++) if (m.data[i]) img.data.set([rgb[0], rgb[1], rgb[2], 150], i * 4);
  ctx.putImageData(img, 0, 0);
  return el("svg:image", {
    href: canvas.toDataURL(), x: 0, y: 0, width: m.w, height: m.h,
    preserveAspectRatio: "none", "data-color": color, class: "mask",
  });
}

// ---- shapes -----------------------------------------------------------------------------------
function pairs(flat) {
  const out = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push(`${flat[i]},${flat[i + 1]}`);
  return out.join(" ");
}

function keypointsShape(g, color, skeleton) {
  // bones first (only between two points that are there), then the points over them; a hidden
  // point (v 1) is drawn hollow, an absent one (v 0) not at all
  const grp = el("svg:g", {});
  const at = (i) => (i >= 0 && 3 * i + 2 < g.length && g[3 * i + 2] > 0 ? [g[3 * i], g[3 * i + 1]] : null);
  for (const [a, b] of (skeleton && skeleton.edges) || []) {
    const p = at(a - 1), q = at(b - 1);
    if (p && q) {
      grp.append(el("svg:line", {
        class: "bone", x1: p[0], y1: p[1], x2: q[0], y2: q[1], stroke: color, "stroke-width": 2,
        "vector-effect": "non-scaling-stroke", "data-edge": `${a}-${b}`,
      }));
    }
  }
  for (let i = 0; 3 * i + 2 < g.length; i++) {
    const p = at(i);
    if (!p) continue;
    const name = skeleton && skeleton.keypoints[i];
    grp.append(el("svg:circle", {
      class: "kp", cx: p[0], cy: p[1], r: 3, fill: g[3 * i + 2] === 2 ? color : "#fff", stroke: color,
      "stroke-width": 2, "vector-effect": "non-scaling-stroke", "data-point": name || i + 1,
    }, el("svg:title", {}, name || `point ${i + 1}`)));
  }
  return grp;
}

function shape(a, color, view, k) {
  // one annotation as an SVG node in the asset's units, each coordinate multiplied by k (a PDF
  // page's pixels per point; 1 elsewhere), or null when it has nothing to draw
  const g = a.geometry;
  const common = { stroke: color, fill: "none", "stroke-width": 2, "vector-effect": "non-scaling-stroke" };
  const s = (list) => list.map((v) => v * k);
  switch (a.kind) {
    case "bbox": {
      const [x, y, w, h] = s(g.slice(0, 4));
      const attrs = Object.assign({}, common, { x, y, width: w, height: h, fill: color, "fill-opacity": 0.15 });
      if (g.length > 4) attrs.transform = `rotate(${g[4]} ${x + w / 2} ${y + h / 2})`;
      return el("svg:rect", attrs);
    }
    case "polygon": {
      const grp = el("svg:g", {});
      for (const ring of g) grp.append(el("svg:polygon", Object.assign({}, common, { points: pairs(s(ring)), fill: color, "fill-opacity": 0.2 })));
      return grp;
    }
    case "line": return el("svg:polyline", Object.assign({}, common, { points: pairs(s(g)) }));
    case "point": return el("svg:circle", { class: "pt", cx: g[0] * k, cy: g[1] * k, r: 4, fill: color, stroke: "#fff", "stroke-width": 1.5, "vector-effect": "non-scaling-stroke" });
    case "ellipse": {
      const [cx, cy, rx, ry] = s(g.slice(0, 4));
      return el("svg:ellipse", Object.assign({}, common, { cx, cy, rx, ry, transform: g.length > 4 ? `rotate(${g[4]} ${cx} ${cy})` : null }));
    }
    case "keypoints": return keypointsShape(s(g).map((v, i) => (i % 3 === 2 ? g[i] : v)), color, view.skeletons[a.name]);
    case "mask": return g && g.counts ? maskImage(g, color) : null;
    default: return null;
  }
}

function drawShapes(layer, anns, view, k) {
  layer.replaceChildren();
  for (const a of anns) {
    const node = shape(a, colorOf(view, a.name), view, k || 1);
    if (!node) continue;
    tag(node, a);
    node.append(el("svg:title", {}, `${a.name}${a.track_id ? " · track " + a.track_id : ""}`));
    layer.append(node);
  }
  view.refresh();
}

function tag(node, a) {
  node.classList.add("ann");
  node.setAttribute("data-name", a.name);
  node.setAttribute("data-kind", a.kind);
  if (a.uid) node.setAttribute("data-uid", a.uid);
  if (a.track_id) node.setAttribute("data-track", a.track_id);
  return node;
}

// ---- pan and zoom -----------------------------------------------------------------------------
function stage(w, h) {
  // an SVG in the asset's units: the asset in .asset, the labels in #shapes. The wheel zooms about
  // the pointer, a drag pans, a double click fits the whole asset again. Client points are mapped
  // through the SVG's own screen matrix, so letterboxing (max-height) does not skew either.
  const svg = el("svg:svg", { id: "stage", viewBox: `0 0 ${w} ${h}`, "data-width": w, "data-height": h, preserveAspectRatio: "xMidYMid meet" });
  const bg = el("svg:g", { class: "asset" });
  const layer = el("svg:g", { id: "shapes" });
  svg.append(bg, layer);
  const st = { svg, bg, layer, w, h, vb: [0, 0, w, h], listeners: [] };
  const set = () => {
    svg.setAttribute("viewBox", st.vb.join(" "));
    svg.setAttribute("data-zoom", (st.w / st.vb[2]).toFixed(4));
    for (const f of st.listeners) f(st);
  };
  const user = (e) => {
    const m = svg.getScreenCTM();
    if (!m) return null;
    const p = new DOMPoint(e.clientX, e.clientY).matrixTransform(m.inverse());
    return [p.x, p.y];
  };
  st.fit = (nw, nh) => { st.w = nw; st.h = nh; st.vb = [0, 0, nw, nh]; svg.setAttribute("data-width", nw); svg.setAttribute("data-height", nh); set(); };
  st.onChange = (f) => { st.listeners.push(f); };
  st.refresh = set;
  svg.addEventListener("wheel", (e) => {
    e.preventDefault();
    const before = user(e);
    if (!before) return;
    const z = e.deltaY < 0 ? 0.8 : 1.25;
    const nw = Math.min(st.w * 4, Math.max(st.w / 50, st.vb[2] * z));
    const nh = nw * st.h / st.w;
    // keep the point under the pointer where it is: scale the distances to the viewBox corner
    const r = nw / st.vb[2];
    st.vb = [before[0] - (before[0] - st.vb[0]) * r, before[1] - (before[1] - st.vb[1]) * r, nw, nh];
    set();
  }, { passive: false });
  let drag = null;
  svg.addEventListener("pointerdown", (e) => {
    const m = svg.getScreenCTM();
    if (!m) return;
    drag = { x: e.clientX, y: e.clientY, vb: st.vb.slice(), k: m.a };
    svg.setPointerCapture(e.pointerId);
    svg.classList.add("dragging");
  });
  svg.addEventListener("pointermove", (e) => {
    if (!drag) return;
    st.vb[0] = drag.vb[0] - (e.clientX - drag.x) / drag.k;
    st.vb[1] = drag.vb[1] - (e.clientY - drag.y) / drag.k;
    set();
  });
  const end = () => { drag = null; svg.classList.remove("dragging"); };
  svg.addEventListener("pointerup", end);
  svg.addEventListener("pointercancel", end);
  svg.addEventListener("dblclick", () => { st.vb = [0, 0, st.w, st.h]; set(); });
  // points keep their size on screen: their radius follows the zoom
  st.onChange(() => {
    const m = svg.getScreenCTM();
    if (!m || !m.a) return;
    for (const c of layer.querySelectorAll("circle.pt")) c.setAttribute("r", POINT_PX / m.a);
    for (const c of layer.querySelectorAll("circle.kp")) c.setAttribute("r", KEYPOINT_PX / m.a);
  });
  return st;
}

function followWithCss(st, node) {
  // a <video> under the SVG cannot be in its viewBox: give it the same pan and zoom as a CSS
  // transform. Both boxes are the holder's and both letterbox ("meet") the same way, so a frame
  // point X shows at ox + (X - vb.x) * d * s in either (d: box pixels per frame pixel unzoomed)
  st.onChange(() => {
    const cw = st.svg.clientWidth, ch = st.svg.clientHeight;
    if (!cw || !ch) return;
    const d = Math.min(cw / st.w, ch / st.h);
    const ox = (cw - st.w * d) / 2, oy = (ch - st.h * d) / 2;
    const s = st.w / st.vb[2];
    const tx = ox * (1 - s) - st.vb[0] * d * s, ty = oy * (1 - s) - st.vb[1] * d * s;
    node.style.transformOrigin = "0 0";
    node.style.transform = `translate(${tx}px, ${ty}px) scale(${s})`;
  });
}

// ---- legend and answers -----------------------------------------------------------------------
function answerText(ans) {
  if (!ans) return "";
  const v = ans.value;
  const one = (c) => (c && typeof c === "object" ? c.name || c.text || "" : String(c)) +
    (c && c.frames ? ` [${c.frames.map((f) => f.join("–")).join(", ")}]` : "") +
    (c && c.classifications && c.classifications.length ? ` (${c.classifications.map(answerText).join("; ")})` : "");
  const text = Array.isArray(v) ? v.map(one).join(", ") : one(v);
  return `${ans.name}: ${text}`;
}

function where(a) {
  if (a.frame) return a.frame_end && a.frame_end !== a.frame ? `frames ${a.frame}–${a.frame_end}: ` : `frame ${a.frame}: `;
  if (a.page) return `page ${a.page}: `;
  return "";
}

function legend(viewer, view, counts) {
  const box = el("div", { class: "legend", id: "legend" });
  box.append(el("h3", {}, "Legend"));
  const used = new Set();
  for (const [name, n] of Object.entries(counts)) {
    let id = `toggle-${name.replace(/\W/g, "_")}`;
    while (used.has(id)) id += "_";
    used.add(id);
    const cb = el("input", { type: "checkbox", id, checked: "", "data-name": name });
    cb.addEventListener("change", () => {
      if (cb.checked) view.hidden.delete(name); else view.hidden.add(name);
      applyHidden(viewer, view);
    });
    box.append(el("label", { for: id }, cb, el("span", { class: "swatch", style: `background:${colorOf(view, name)}` }), ` ${name} (${n})`));
  }
  const answers = view.labels.filter((a) => a.answer && !a.message_id);
  if (answers.length) {
    box.append(el("h3", {}, "Classifications"));
    const ul = el("ul", { id: "answers" });
    for (const a of answers) ul.append(el("li", { "data-name": a.name }, where(a) + answerText(a.answer)));
    box.append(ul);
  }
  const nested = view.labels.filter((a) => a.classifications && a.classifications.length);
  if (nested.length) {
    box.append(el("h3", {}, "Object attributes"));
    const ul = el("ul", { id: "attributes" });
    for (const a of nested) ul.append(el("li", {}, `${where(a)}${a.name} ${a.uid ? a.uid.slice(0, 8) : ""}: ${a.classifications.map(answerText).join("; ")}`));
    box.append(ul);
  }
  return box;
}

function applyHidden(viewer, view) {
  for (const n of viewer.querySelectorAll(".ann[data-name]")) n.classList.toggle("off", view.hidden.has(n.dataset.name));
}

function countBy(anns) {
  const counts = {};
  for (const a of anns) counts[a.name] = (counts[a.name] || 0) + 1;
  return counts;
}

// ---- images, image sequences and video -----------------------------------------------------------
function framesOf(anns) {
  // what frame f shows of each object: its own keyframe, or, between two keyframes of one video
  // segment, the shape carried from the first towards the second. A scene's frames (image
  // sequences) have no segments: an object is on the frames it was drawn on, and only there.
  const byTrack = new Map();
  anns.forEach((a, i) => {
    if (!a.frame) return;
    const key = a.track_id || a.uid || `#${i}`;
    if (!byTrack.has(key)) byTrack.set(key, []);
    byTrack.get(key).push(a);
  });
  for (const list of byTrack.values()) list.sort((x, y) => x.frame - y.frame);
  const seg = (x) => (x.extra && x.extra.segment !== undefined ? x.extra.segment : null);
  const flat = (x) => Array.isArray(x.geometry) && x.geometry.every((v) => typeof v === "number");
  return (frame) => {
    const out = [];
    for (const list of byTrack.values()) {
      let prev = null, next = null;
      for (const a of list) { if (a.frame <= frame) prev = a; else { next = a; break; } }
      if (!prev) continue;
      if (prev.frame === frame || (prev.frame_end && frame <= prev.frame_end)) { out.push(prev); continue; }
      if (!next || seg(prev) === null || seg(next) !== seg(prev)) continue;
      if (prev.kind === next.kind && flat(prev) && flat(next) && prev.geometry.length === next.geometry.length && prev.kind !== "keypoints") {
        const t = (frame - prev.frame) / (next.frame - prev.frame);
        out.push(Object.assign({}, prev, { geometry: prev.geometry.map((v, i) => v + (next.geometry[i] - v) * t), interpolated: true }));
      } else {
        out.push(prev);
      }
    }
    return out;
  };
}

function renderImage(view, shell) {
  const md = view.row.metadata;
  const w = md.width || 640, h = md.height || 480;
  const st = stage(w, h);
  view.refresh = st.refresh;
  st.bg.append(el("svg:image", { href: assetUrl(view.row.global_key), x: 0, y: 0, width: w, height: h, preserveAspectRatio: "none" }));
  shell.append(el("div", { class: "stage-wrap" }, st.svg));
  drawShapes(st.layer, view.labels.filter((a) => a.geometry && a.kind !== "entity"), view, 1);
  return countBy(view.labels.filter((a) => a.geometry && a.kind !== "entity"));
}

function renderFrames(viewer, view, shell) {
  // video (a <video> under the shapes) or an image sequence (each frame file as the SVG's image)
  const row = view.row, md = row.metadata, key = row.global_key;
  const isVideo = row.media_type === "video";
  const frames = md.frames || [];
  const total = isVideo ? md.frame_count || 1 : frames.length;
  const sizeOf = (f) => (isVideo ? [md.width, md.height] : [(frames[f - 1] || {}).width, (frames[f - 1] || {}).height]);
  const [w0, h0] = sizeOf(1);
  const st = stage(w0 || 640, h0 || 480);
  view.refresh = st.refresh;
  const holder = el("div", { class: "stage-wrap" });
  let video = null, image = null;
  if (isVideo) {
    video = el("video", { src: assetUrl(key), muted: "", preload: "auto", width: md.width, height: md.height, id: "video" });
    holder.append(video);
    st.svg.classList.add("over");
    followWithCss(st, video);
  } else {
    image = el("svg:image", { id: "frame-image", x: 0, y: 0, width: w0, height: h0, preserveAspectRatio: "none" });
    st.bg.append(image);
  }
  holder.append(st.svg);
  const geo = view.labels.filter((a) => a.geometry && a.kind !== "entity");
  const at = framesOf(geo);
  const slider = el("input", { type: "range", min: 1, max: Math.max(1, total), value: 1, id: "frame" });
  const label = el("span", { id: "frame-label" });
  const prev = el("button", { type: "button", id: "frame-prev", title: "previous frame" }, "◀");
  const next = el("button", { type: "button", id: "frame-next", title: "next frame" }, "▶");
  const answersHere = el("ul", { id: "frame-answers", class: "frame-answers" });
  const scoped = view.labels.filter((a) => a.answer && a.frame);
  const show = (f) => {
    f = Math.max(1, Math.min(total, f));
    slider.value = f;
    const name = isVideo ? "" : ` · ${(frames[f - 1] || {}).filename || ""}`;
    label.textContent = `frame ${f} / ${total}${name}`;
    st.svg.setAttribute("data-frame", f);
    if (isVideo) {
      video.currentTime = (f - 0.5) / (md.fps || 30); // the middle of frame f
    } else {
      const [w, h] = sizeOf(f);
      if (w && h && (w !== st.w || h !== st.h)) st.fit(w, h); // frames of a scene may differ in size
      image.setAttribute("width", st.w);
      image.setAttribute("height", st.h);
      image.setAttribute("href", assetUrl(key, { frame: f }));
    }
    const shown = at(f);
    drawShapes(st.layer, shown, view, 1);
    st.svg.setAttribute("data-shapes", shown.length);
    answersHere.replaceChildren(...scoped.filter((a) => a.frame <= f && f <= (a.frame_end || a.frame)).map((a) => el("li", {}, answerText(a.answer))));
    applyHidden(viewer, view);
  };
  slider.addEventListener("input", () => show(Number(slider.value)));
  prev.addEventListener("click", () => show(Number(slider.value) - 1));
  next.addEventListener("click", () => show(Number(slider.value) + 1));
  shell.append(holder, el("div", { class: "scrubber" }, prev, slider, next, label), answersHere);
  const first = geo.reduce((m, a) => Math.min(m, a.frame || 1), geo.length ? Infinity : 1); // no spread: rows may have 100k shapes
  show(first);
  return countBy(geo);
}

// ---- PDF ----------------------------------------------------------------------------------------
function tokenBoxes(layer) {
  // token id -> [x, y, w, h] in points, for one page of the row's stored text layer
  const out = new Map();
  for (const g of (layer && layer.groups) || []) for (const t of g.tokens || []) out.set(t.id, t.box);
  return out;
}

async function renderPdf(viewer, view, shell) {
  // one page at a time, rendered by the server (GET /assets?page=N); the SVG is in the picture's
  // pixels and every box, given in points, is multiplied by the scale the server reports
  const row = view.row, md = row.metadata, key = row.global_key;
  const pages = (md.pages || []).map((p) => (Array.isArray(p) ? { width: p[0], height: p[1] } : p));
  const total = pages.length;
  const boxes = view.labels.filter((a) => a.geometry && a.kind !== "entity" && a.page);
  const selected = view.labels.filter((a) => a.kind === "entity" && a.geometry && Array.isArray(a.geometry.selections));
  const layers = md.text_layer || [];
  const st = stage(pages[0] ? pages[0].width : 612, pages[0] ? pages[0].height : 792);
  view.refresh = st.refresh;
  st.svg.setAttribute("data-page-count", total);
  const image = el("svg:image", { id: "page-image", x: 0, y: 0, preserveAspectRatio: "none" });
  st.bg.append(image);
  const onPage = (n) => boxes.filter((a) => a.page === n).length + selected.filter((a) => a.geometry.selections.some((s) => s.page === n)).length;
  const picker = el("select", { id: "page" });
  for (let n = 1; n <= total; n++) picker.append(el("option", { value: n }, `page ${n} (${onPage(n)})`));
  const prev = el("button", { type: "button", id: "page-prev" }, "◀ previous");
  const next = el("button", { type: "button", id: "page-next" }, "next ▶");
  const label = el("span", { id: "page-label" });
  const note = el("p", { class: "note", id: "page-note" });
  let showing = 0;
  const urls = new Map(); // page -> [object URL, scale]: each page is fetched once
  async function fetchPage(n) {
    if (!urls.has(n)) {
      const res = await fetch(assetUrl(key, { page: n }), { credentials: "same-origin" });
      if (!res.ok) throw new Error(`page ${n}: HTTP ${res.status}`);
      const blob = await res.blob();
      const bitmap = await createImageBitmap(blob); // its pixel size: the page's points times the scale, rounded up
      urls.set(n, [URL.createObjectURL(blob), Number(res.headers.get("x-render-scale")), bitmap.width, bitmap.height]);
      bitmap.close();
    }
    return urls.get(n);
  }
  async function show(n) {
    n = Math.max(1, Math.min(total, n));
    showing = n;
    picker.value = n;
    prev.disabled = n === 1;
    next.disabled = n === total;
    label.textContent = `page ${n} / ${total}`;
    viewer.dataset.ready = "loading";
    let url, k, pw, ph;
    try { [url, k, pw, ph] = await fetchPage(n); } catch (e) { note.textContent = e.message; return; }
    if (showing !== n) return; // another page was asked for meanwhile
    st.fit(pw, ph); // one unit a pixel of the picture, which is drawn unstretched
    image.setAttribute("href", url);
    image.setAttribute("width", pw);
    image.setAttribute("height", ph);
    st.svg.setAttribute("data-page", n);
    st.svg.setAttribute("data-scale", k);
    drawShapes(st.layer, boxes.filter((a) => a.page === n), view, k);
    const tokens = tokenBoxes(layers.find((l) => l.page === n));
    let missing = 0;
    for (const a of selected) {
      const color = colorOf(view, a.name);
      const grp = tag(el("svg:g", { class: "selection" }), a);
      for (const s of a.geometry.selections.filter((x) => x.page === n)) {
        for (const id of s.tokenIds || []) {
          const b = tokens.get(id);
          if (!b) { missing++; continue; }
          grp.append(el("svg:rect", {
            class: "token", x: b[0] * k, y: b[1] * k, width: b[2] * k, height: b[3] * k, fill: color,
            "fill-opacity": 0.35, stroke: color, "stroke-width": 1, "vector-effect": "non-scaling-stroke",
            "data-token": id, "data-group": s.groupId,
          }));
        }
      }
      if (grp.childElementCount) { grp.append(el("svg:title", {}, a.name)); st.layer.append(grp); }
    }
    note.textContent = missing ? `${missing} selected token(s) are not in the row's text layer` : "";
    applyHidden(viewer, view);
    if (view.built) viewer.dataset.ready = "yes";
  }
  picker.addEventListener("change", () => show(Number(picker.value)));
  prev.addEventListener("click", () => show(showing - 1));
  next.addEventListener("click", () => show(showing + 1));
  const firstLabelled = [...Array(total).keys()].map((i) => i + 1).find((n) => onPage(n) > 0) || 1;
  shell.append(
    el("div", { class: "pager page-switch" }, prev, picker, next, label, " ", el("a", { href: assetUrl(key), target: "_blank" }, "open the PDF")),
    el("div", { class: "stage-wrap page-stage" }, st.svg),
    note,
  );
  if (total) await show(firstLabelled);
  return countBy([...boxes, ...selected]);
}

// ---- text and conversations -----------------------------------------------------------------------
function highlight(text, spans, view) {
  // entity spans [start, end) in code points as <mark>s. A span inside another is nested in its
  // mark; one that crosses another's end is cut there and goes on in a second mark (data-part).
  const chars = Array.from(text);
  const out = el("div", { class: "text" });
  const sorted = spans.slice().sort((a, b) => a.geometry[0] - b.geometry[0] || b.geometry[1] - a.geometry[1]);
  const stack = [{ node: out, end: chars.length }];
  let pos = 0;
  const emit = (upto) => {
    if (upto > pos) { stack[stack.length - 1].node.append(chars.slice(pos, upto).join("")); pos = upto; }
  };
  const open = (a, start, part) => {
    const c = colorOf(view, a.name);
    const m = tag(el("mark", {
      "data-start": start, "data-end": a.geometry[1], title: a.name,
      style: `background:${c}40; box-shadow: inset 0 -2px 0 ${c}`,
    }), a);
    if (part) m.setAttribute("data-part", part);
    stack[stack.length - 1].node.append(m);
    stack.push({ node: m, end: a.geometry[1], a });
  };
  const closeUpTo = (p) => {
    // close every mark ending at or before p; a mark that a closing outer one cuts is reopened
    while (stack.length > 1 && Math.min(...stack.slice(1).map((x) => x.end)) <= p) {
      const soonest = Math.min(...stack.slice(1).map((x) => x.end));
      emit(soonest);
      const reopen = [];
      while (stack.length > 1 && stack[stack.length - 1].end !== soonest) reopen.unshift(stack.pop());
      stack.pop();
      for (const r of reopen) open(r.a, soonest, (Number(r.node.dataset.part) || 1) + 1);
    }
  };
  for (const a of sorted) {
    const [s, e] = a.geometry;
    if (!(e > s)) continue;
    closeUpTo(s);
    emit(s);
    open(a, s, 0);
  }
  closeUpTo(chars.length);
  emit(chars.length);
  return out;
}

async function renderText(viewer, view, shell) {
  const res = await fetch(assetUrl(view.row.global_key), { credentials: "same-origin" });
  if (!res.ok) throw new Error(`the asset: HTTP ${res.status}`);
  const body = await res.text();
  const entities = view.labels.filter((a) => a.kind === "entity" && Array.isArray(a.geometry));
  if (view.row.media_type === "conversation") {
    const doc = JSON.parse(body);
    const list = el("div", { class: "conversation" });
    for (const m of doc.messages) {
      const mine = entities.filter((a) => a.message_id === m.messageId);
      const answers = view.labels.filter((a) => a.answer && a.message_id === m.messageId);
      const who = (m.user && (m.user.name || m.user.userId)) || m.messageId;
      const tags = el("ul", { class: "message-answers" }, ...answers.map((a) => tag(el("li", { class: "pill", style: `border-color:${colorOf(view, a.name)}` }, answerText(a.answer)), a)));
      list.append(el("div", { class: `message align-${m.align || "left"}`, "data-message": m.messageId }, el("b", {}, who), highlight(m.content || "", mine, view), tags));
    }
    shell.append(list);
  } else {
    shell.append(highlight(body, entities, view));
  }
  return countBy(entities);
}

// ---- audio ---------------------------------------------------------------------------------------
function renderAudio(viewer, view, shell) {
  // one lane per classification (a nested one under its parent's name), each time range at its
  // proportional place on the row's duration; a click plays from its start
  const md = view.row.metadata;
  const duration = md.duration_ms || 1;
  const audio = el("audio", { src: assetUrl(view.row.global_key), controls: "", id: "audio", preload: "metadata" });
  const timeline = el("div", { class: "timeline", id: "timeline", "data-duration": duration });
  const lanes = new Map();
  const counts = {};
  const lane = (name, color) => {
    if (!lanes.has(name)) {
      const track = el("div", { class: "track" });
      const row = el("div", { class: "lane", "data-lane": name }, el("span", { class: "lane-name", style: `color:${color}` }, name), track);
      timeline.append(row);
      lanes.set(name, track);
    }
    return lanes.get(name);
  };
  const walk = (a, ans, laneName, color) => {
    const choices = Array.isArray(ans.value) ? ans.value : ans.value && typeof ans.value === "object" ? [ans.value] : [];
    for (const c of choices) {
      for (const [s, e] of c.frames || []) {
        const text = c.name || c.text || "";
        const bar = tag(el("div", {
          class: "range", "data-start": s, "data-end": e, "data-value": text, title: `${laneName}: ${text} ${s}–${e} ms`,
          style: `left:${(100 * s) / duration}%;width:${Math.max(0.2, (100 * (e - s)) / duration)}%;background:${color}`,
        }, text), a);
        bar.addEventListener("click", () => { audio.currentTime = s / 1000; audio.play().catch(() => {}); });
        lane(laneName, color).append(bar);
        counts[a.name] = (counts[a.name] || 0) + 1;
      }
      for (const sub of c.classifications || []) walk(a, sub, `${laneName} › ${sub.name}`, color);
    }
  };
  for (const a of view.labels) if (a.answer) walk(a, a.answer, a.name, colorOf(view, a.name));
  const head = el("div", { class: "playhead", id: "playhead" });
  timeline.append(head);
  const place = () => { head.style.left = `calc(9rem + (100% - 9rem) * ${Math.min(1, (audio.currentTime * 1000) / duration)})`; };
  audio.addEventListener("timeupdate", place);
  place();
  const axis = el("div", { class: "axis" }, el("span", {}, "0 s"), el("span", {}, `${(duration / 1000).toFixed(2)} s`));
  shell.append(el("div", { class: "audio" }, audio, timeline, axis));
  return counts;
}

// ---- the page ------------------------------------------------------------------------------------
async function setupViewer(viewer) {
  let view;
  try {
    view = await api(`/row-labels?project=${encodeURIComponent(viewer.dataset.project)}&global_key=${encodeURIComponent(viewer.dataset.key)}`);
  } catch (e) { viewer.append(el("p", { class: "error" }, e.message)); return; }
  view.hidden = new Set();
  view.refresh = () => {};
  view.skeletons = view.skeletons || {};
  const shell = el("div", { class: "view-main" });
  viewer.append(shell);
  const media = view.row.media_type;
  let counts;
  try {
    if (["text", "html", "conversation"].includes(media)) counts = await renderText(viewer, view, shell);
    else if (media === "audio") counts = renderAudio(viewer, view, shell);
    else if (media === "pdf") counts = await renderPdf(viewer, view, shell);
    else if (media === "image") counts = renderImage(view, shell);
    else if (media === "video" || media === "image_sequence") counts = renderFrames(viewer, view, shell);
    else {
      shell.append(el("p", { class: "note" }, `The viewer has no picture of ${media} rows; their labels are listed beside.`));
      counts = countBy(view.labels.filter((a) => a.geometry));
    }
  } catch (e) {
    shell.append(el("p", { class: "error" }, e.message));
    counts = {};
  }
  viewer.append(legend(viewer, view, counts));
  view.refresh();
  view.built = true;
  viewer.dataset.ready = "yes";
}

document.addEventListener("DOMContentLoaded", () => {
  const viewer = document.getElementById("viewer");
  if (viewer) setupViewer(viewer);
});
