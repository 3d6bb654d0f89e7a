// layerlens HTML report: draws every section from the embedded layerlens/v1 JSON.
// Only textContent and attributes are set from data; nothing from an archive is
// parsed as HTML.
"use strict";
(function () {
  var body = document.body;
  window.onerror = function (msg, src, line) {
    body.setAttribute("data-status", "error: " + msg + " (line " + line + ")");
  };
  var R = JSON.parse(document.getElementById("report-data").textContent);
  var IMAGES = R.images || [];
  var SVG = "http://www.w3.org/2000/svg";
  var KINDS = ["app", "language_deps", "os_packages", "toolchains", "docs", "caches", "wasted", "unowned"];
  var KIND_COLORS = {
    app: "#2f6fde", language_deps: "#7b5bd6", os_packages: "#1f9e89", toolchains: "#d08a1e",
    docs: "#8aa1c2", caches: "#e0b43a", wasted: "#d9534f", unowned: "#a9b1bd"
  };
  var PALETTE = ["#2f6fde", "#1f9e89", "#d08a1e", "#7b5bd6", "#d9534f", "#3aa0c9", "#8bb23a",
                 "#c45ba8", "#6c7a89", "#e0b43a", "#4c5fd5", "#2c9e4b"];

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function svg(tag, attrs) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    return e;
  }
  function human(b) {
    b = Number(b) || 0;
    var u = ["B", "kB", "MB", "GB", "TB", "PB"];
    if (b < 1000) return b + " B";
    var i = 0;
    while (b >= 999.95 && i < u.length - 1) { b /= 1000; i++; }
    return b.toFixed(1) + " " + u[i];
  }
  function pct(part, whole) { return whole ? (100 * part / whole).toFixed(1) + "%" : "-"; }
  function shortId(id) { id = String(id || ""); var i = id.indexOf(":"); return id.slice(i + 1, i + 13); }
  function name(img) { return (img.refs && img.refs.length) ? img.refs[0] : shortId(img.id); }
  function nameOf(id) {
    for (var i = 0; i < IMAGES.length; i++) if (IMAGES[i].id === id) return name(IMAGES[i]);
    return shortId(id);
  }
  function cmd(c) {
    if (!c) return "";
    c = String(c).trim().replace(/^\/bin\/sh -c #\(nop\) /, "").replace(/^\/bin\/sh -c /, "RUN ");
    return c.replace(/\s+/g, " ");
  }
  function sec(id) { return document.querySelector("#" + id + " .body"); }
  function none(parent, text) { parent.appendChild(el("p", { "class": "none" }, text)); }

  // The diff_ids of an image's layers up to position `top`: images with the same key
  // share those layers (the same ChainID).
  function chainKey(img, top) {
    return (img.layers || []).slice(0, top + 1).map(function (l) { return l.diff_id; }).join(",");
  }
  // Items of every image (list(img)), one row per distinct key(img, item), with the
  // images that have it: [{item, imgs}], in first-seen order.
  function shared(images, list, key) {
    var rows = [], at = {};
    images.forEach(function (img) {
      (list(img) || []).forEach(function (it) {
        var k = key(img, it);
        if (Object.prototype.hasOwnProperty.call(at, k)) rows[at[k]].imgs.push(img);
        else { at[k] = rows.length; rows.push({ item: it, imgs: [img] }); }
      });
    });
    return rows;
  }
  function names(imgs) {
    if (imgs.length === 1) return name(imgs[0]);
    var shown = imgs.slice(0, 3).map(name).join(", ");
    return "in " + imgs.length + " images: " + shown + (imgs.length > 3 ? ", …" : "");
  }

  // A bar row: label, a track with one or more segments, a figure.
  function barRow(label, segs, total, figure, title) {
    var row = el("div", { "class": "row" });
    row.appendChild(el("div", { "class": "label", title: title || label }, label));
    var track = el("div", { "class": "track" });
    segs.forEach(function (s) {
      if (!s.v) return;
      var seg = el("div", { "class": "seg", title: s.name + ": " + human(s.v) + " (" + pct(s.v, total) + ")" });
      seg.style.width = (total ? 100 * s.v / total : 0) + "%";
      seg.style.background = s.color;
      track.appendChild(seg);
    });
    row.appendChild(track);
    row.appendChild(el("div", { "class": "num" }, figure));
    return row;
  }
  function legend(parent, items) {
    var l = el("div", { "class": "legend" });
    items.forEach(function (it) {
      var s = el("span");
      var i = el("i"); i.style.background = it.color;
      s.appendChild(i); s.appendChild(document.createTextNode(it.name));
      l.appendChild(s);
    });
    parent.appendChild(l);
  }

  // A sortable table. cols: [{label, key(row)->value, type: "bytes"|"num"|"pct"|"text"|"path"|"cmd"}]
  function table(parent, cols, rows, sortCol) {
    var t = el("table", { "class": "sortable" });
    var thead = el("thead"), tr = el("tr");
    var tbody = el("tbody");
    cols.forEach(function (c, j) {
      var numeric = c.type === "bytes" || c.type === "num" || c.type === "pct";
      var th = el("th", { "class": numeric ? "n" : "", "data-col": j }, c.label);
      th.addEventListener("click", function () { sortBy(j); });
      tr.appendChild(th);
    });
    thead.appendChild(tr);
    t.appendChild(thead);
    t.appendChild(tbody);
    var state = { col: -1, dir: 1 };
    function fill() {
      while (tbody.firstChild) tbody.removeChild(tbody.firstChild);
      rows.forEach(function (r) {
        var row = el("tr");
        cols.forEach(function (c) {
          var v = c.key(r);
          var numeric = c.type === "bytes" || c.type === "num" || c.type === "pct";
          var text = c.type === "bytes" ? human(v) : c.type === "pct" ? (100 * v).toFixed(1) + "%" : v;
          var td = el("td", { "class": numeric ? "n" : (c.type === "path" ? "path" : c.type === "cmd" ? "cmd" : "") }, text);
          if (c.type === "bytes") td.title = Number(v).toLocaleString("en") + " bytes";
          row.appendChild(td);
        });
        tbody.appendChild(row);
      });
    }
    function sortBy(j) {
      var c = cols[j];
      var numeric = c.type === "bytes" || c.type === "num" || c.type === "pct";
      state.dir = state.col === j ? -state.dir : (numeric ? -1 : 1);
      state.col = j;
      rows.sort(function (a, b) {
        var x = c.key(a), y = c.key(b);
        if (numeric) return state.dir * ((Number(x) || 0) - (Number(y) || 0));
        return state.dir * String(x).localeCompare(String(y));
      });
      Array.prototype.forEach.call(thead.querySelectorAll("th"), function (th, k) {
        th.className = (th.className.indexOf("n") === 0 ? "n " : "") +
          (k === j ? (state.dir > 0 ? "sorted-asc" : "sorted-desc") : "");
      });
      fill();
    }
    parent.appendChild(t);
    if (sortCol !== undefined) sortBy(sortCol); else fill();
    return t;
  }

  // The image selector (drives the treemap and layer table).
  var chosen = 0;
  IMAGES.forEach(function (img, i) { if (img.size > IMAGES[chosen].size) chosen = i; });
  var listeners = [];
  function selector(parent) {
    var wrap = el("div", { "class": "controls" });
    wrap.appendChild(document.createTextNode("Image: "));
    var s = el("select", { "class": "image-select" });
    IMAGES.forEach(function (img, i) {
      var o = el("option", { value: i }, name(img) + " (" + human(img.size) + ")");
      if (i === chosen) o.selected = true;
      s.appendChild(o);
    });
    s.addEventListener("change", function () {
      chosen = Number(s.value);
      Array.prototype.forEach.call(document.querySelectorAll("select.image-select"), function (o) { o.value = s.value; });
      listeners.forEach(function (f) { f(); });
    });
    wrap.appendChild(s);
    parent.appendChild(wrap);
  }

  function drawInputs() {
    var p = document.getElementById("inputs");
    var t = R.totals || {};
    p.textContent = (R.inputs || []).join(", ") + " — " + (t.images || 0) + " images, " +
      (t.layers || 0) + " layers (" + (t.unique_layers || 0) + " unique)";
  }

  function drawLedger() {
    var b = sec("ledger"), t = R.totals || {};
    var naive = t.naive_size || 0;
    [["naive: sum of image sizes", t.naive_size],
     ["blob dedup: each diff_id once", t.dedup_size],
     ["chain dedup: each ChainID once", t.chain_dedup_size],
     ["content dedup: each file once", t.content_dedup_size]].forEach(function (l, i) {
      b.appendChild(barRow(l[0], [{ name: l[0], v: l[1] || 0, color: PALETTE[i] }], naive,
        human(l[1]) + " · " + pct(l[1] || 0, naive)));
    });
  }

  function figure(parent, value, label) {
    var f = el("div", { "class": "figure" });
    f.appendChild(el("b", null, human(value)));
    f.appendChild(el("span", null, label));
    parent.appendChild(f);
  }
  function drawWhatIf() {
    var b = sec("whatif"), t = R.totals || {};
    var figs = el("div", { "class": "figures" });
    if (R.reclaimable) {
      var r = R.reclaimable;
      [["naive", "summed per image"], ["blob", "stored once per blob"], ["chain", "stored once per ChainID"]]
        .forEach(function (k) {
          if (r[k[0]] !== undefined) figure(figs, r[k[0]], "reclaimable, " + k[1]);
        });
    }
    var wasted = 0, dup = 0, near = 0;
    IMAGES.forEach(function (img) { wasted += img.wasted_size || 0; dup += img.duplicate_size || 0; });
    (R.near_shared || []).forEach(function (n) { near += n.savable_size || 0; });
    figure(figs, (t.naive_size || 0) - (t.chain_dedup_size || 0), "saved today by sharing layers (naive − chain)");
    figure(figs, wasted, "if hidden files were never shipped (waste)");
    figure(figs, dup + ((R.duplicates || {}).saved_size || 0), "if identical files were stored once");
    figure(figs, near, "if near-shared layers were shared");
    b.appendChild(figs);
  }

  function drawFamilies() {
    var b = sec("families"), fams = R.families || [];
    if (!fams.length) return none(b, "No families in this report.");
    var max = 0;
    fams.forEach(function (f) { max = Math.max(max, f.naive_size || 0); });
    function node(f, parent) {
      var li = el("li");
      var row = el("div", { "class": "node" });
      row.appendChild(el("div", { "class": "label", title: f.name }, f.name + " — " + f.images.length + " image" + (f.images.length === 1 ? "" : "s")));
      row.appendChild(el("div", { "class": "num", title: "base: " + f.depth + " layers" }, "base " + human(f.size)));
      row.appendChild(el("div", { "class": "num" }, "naive " + human(f.naive_size)));
      row.appendChild(el("div", { "class": "num" }, "stored " + human(f.stored_size)));
      var track = el("div", { "class": "track", title: "stored " + human(f.stored_size) + " of " + human(f.naive_size) + " naive" });
      var naive = el("div", { "class": "seg" });
      naive.style.width = (max ? 100 * f.stored_size / max : 0) + "%";
      naive.style.background = PALETTE[0];
      var extra = el("div", { "class": "seg" });
      extra.style.width = (max ? 100 * (f.naive_size - f.stored_size) / max : 0) + "%";
      extra.style.background = "#b9cdf3";
      track.appendChild(naive); track.appendChild(extra);
      row.appendChild(track);
      li.appendChild(row);
      if (f.children && f.children.length) {
        var ul = el("ul", { "class": "tree" });
        f.children.forEach(function (c) { node(c, ul); });
        li.appendChild(ul);
      }
      parent.appendChild(li);
    }
    var ul = el("ul", { "class": "tree root" });
    fams.forEach(function (f) { node(f, ul); });
    b.appendChild(ul);
    legend(b, [{ name: "stored (each layer once)", color: PALETTE[0] }, { name: "saved by sharing", color: "#b9cdf3" }]);
  }

  function drawComposition() {
    var b = sec("composition");
    var max = 0;
    IMAGES.forEach(function (img) { max = Math.max(max, img.size || 0); });
    var withKind = IMAGES.filter(function (i) { return i.by_kind; });
    b.appendChild(el("h3", null, "By kind"));
    if (withKind.length) {
      withKind.forEach(function (img) {
        b.appendChild(barRow(name(img), KINDS.map(function (k) {
          return { name: k, v: img.by_kind[k] || 0, color: KIND_COLORS[k] };
        }), max, human(img.size)));
      });
      legend(b, KINDS.map(function (k) { return { name: k, color: KIND_COLORS[k] }; }));
    } else {
      IMAGES.forEach(function (img) {
        b.appendChild(barRow(name(img), [
          { name: "final", v: img.final_size || 0, color: KIND_COLORS.app },
          { name: "overwritten", v: img.overwritten_size || 0, color: KIND_COLORS.caches },
          { name: "deleted", v: img.deleted_size || 0, color: KIND_COLORS.wasted }
        ], max, human(img.size)));
      });
      legend(b, [{ name: "visible (final)", color: KIND_COLORS.app }, { name: "overwritten", color: KIND_COLORS.caches },
                 { name: "deleted", color: KIND_COLORS.wasted }]);
      none(b, "This report has no attribution by kind; showing visible vs. hidden bytes.");
    }
    b.appendChild(el("h3", null, "By origin"));
    var withOrigin = IMAGES.filter(function (i) { return i.by_origin; });
    if (withOrigin.length) {
      withOrigin.forEach(function (img) {
        b.appendChild(barRow(name(img), [
          { name: "base", v: img.by_origin.base || 0, color: "#8aa1c2" },
          { name: "own", v: img.by_origin.own || 0, color: PALETTE[0] }
        ], max, human(img.size)));
      });
      legend(b, [{ name: "base image", color: "#8aa1c2" }, { name: "own layers", color: PALETTE[0] }]);
    } else {
      IMAGES.forEach(function (img) {
        b.appendChild(barRow(name(img), [
          { name: "shared with other images", v: img.chain_shared_size || 0, color: "#8aa1c2" },
          { name: "unique to this image", v: img.chain_unique_size || 0, color: PALETTE[0] }
        ], max, human(img.size)));
      });
      legend(b, [{ name: "shared (ChainID)", color: "#8aa1c2" }, { name: "unique", color: PALETTE[0] }]);
      none(b, "This report has no attribution by origin; showing shared vs. unique layers.");
    }
  }

  // Squarified treemap layout of items [{v}] into rect {x,y,w,h}; sets item.r.
  function squarify(items, rect) {
    items = items.filter(function (i) { return i.v > 0; }).sort(function (a, b) { return b.v - a.v; });
    var total = 0;
    items.forEach(function (i) { total += i.v; });
    if (!total) return [];
    var scale = rect.w * rect.h / total;
    var x = rect.x, y = rect.y, w = rect.w, h = rect.h;
    var row = [], i = 0;
    function worst(row, side) {
      var s = 0, mx = 0, mn = Infinity;
      row.forEach(function (r) { var a = r.v * scale; s += a; mx = Math.max(mx, a); mn = Math.min(mn, a); });
      return Math.max(side * side * mx / (s * s), (s * s) / (side * side * mn));
    }
    function layout(row) {
      var s = 0;
      row.forEach(function (r) { s += r.v * scale; });
      if (w >= h) {
        var cw = s / h, cy = y;
        row.forEach(function (r) { var rh = r.v * scale / cw; r.r = { x: x, y: cy, w: cw, h: rh }; cy += rh; });
        x += cw; w -= cw;
      } else {
        var rh2 = s / w, cx = x;
        row.forEach(function (r) { var rw = r.v * scale / rh2; r.r = { x: cx, y: y, w: rw, h: rh2 }; cx += rw; });
        y += rh2; h -= rh2;
      }
    }
    while (i < items.length) {
      var side = Math.min(w, h);
      var next = row.concat([items[i]]);
      if (!row.length || worst(next, side) <= worst(row, side)) { row = next; i++; }
      else { layout(row); row = []; }
    }
    if (row.length) layout(row);
    return items;
  }

  function drawTreemap() {
    var b = sec("treemap");
    selector(b);
    var modeWrap = el("div", { "class": "controls" });
    var mode = "dirs";
    var holder = el("div");
    b.appendChild(modeWrap);
    b.appendChild(holder);
    function draw() {
      while (holder.firstChild) holder.removeChild(holder.firstChild);
      while (modeWrap.firstChild) modeWrap.removeChild(modeWrap.firstChild);
      var img = IMAGES[chosen];
      if (!img) return none(holder, "No images.");
      var hasPk = img.packages && img.packages.length;
      var hasDirs = img.top_dirs && img.top_dirs.length;
      if (hasPk && hasDirs) {
        ["dirs", "packages"].forEach(function (m) {
          var btn = el("button", { type: "button" }, m === "dirs" ? "Directories" : "Packages");
          btn.disabled = mode === m;
          btn.addEventListener("click", function () { mode = m; draw(); });
          modeWrap.appendChild(btn);
          modeWrap.appendChild(document.createTextNode(" "));
        });
      }
      var m = mode === "packages" && hasPk ? "packages" : (hasDirs ? "dirs" : (hasPk ? "packages" : "layers"));
      var W = 1200, H = 520;
      var s = svg("svg", { "class": "tm", viewBox: "0 0 " + W + " " + H, role: "img" });
      var tops;
      if (m === "dirs") {
        var byParent = {};
        img.top_dirs.forEach(function (d) {
          var k = d.path.lastIndexOf("/");
          var p = k < 0 ? "" : d.path.slice(0, k);
          (byParent[p] = byParent[p] || []).push(d);
        });
        var kids = function (path, size) {
          var c = (byParent[path] || []).map(function (d) { return { v: d.size, label: d.path.slice(d.path.lastIndexOf("/") + 1) + "/", full: "/" + d.path, files: d.files, path: d.path }; });
          var sum = 0; c.forEach(function (d) { sum += d.v; });
          if (size - sum > 0 && c.length) c.push({ v: size - sum, label: "(files)", full: "/" + (path ? path + "/" : "") + " (other files)", other: true });
          return c;
        };
        tops = kids("", img.final_size || 0);
        if (!tops.length) { tops = []; }
        tops.forEach(function (t) { if (!t.other) t.children = kids(t.path, t.v); });
      } else if (m === "packages") {
        var groups = {};
        img.packages.forEach(function (p) {
          var g = groups[p.manager] = groups[p.manager] || { v: 0, label: p.manager, full: p.manager + " packages", children: [] };
          g.v += p.size || 0;
          g.children.push({ v: p.size || 0, label: p.name, full: p.manager + ": " + p.name + " " + (p.version || ""), files: p.files });
        });
        tops = Object.keys(groups).map(function (k) { return groups[k]; });
      } else {
        tops = (img.layers || []).map(function (l, i) { return { v: l.content_size, label: "#" + (i + 1), full: "#" + (i + 1) + " " + cmd(l.created_by) }; });
      }
      var laid = squarify(tops, { x: 0, y: 0, w: W, h: H });
      if (!laid.length) return none(holder, "Nothing to draw for this image.");
      laid.forEach(function (t, i) {
        var color = PALETTE[i % PALETTE.length];
        var g = svg("g", { "class": "tm-node" });
        var r = t.r;
        g.appendChild(svg("rect", { x: r.x, y: r.y, width: Math.max(r.w, 0), height: Math.max(r.h, 0), fill: color, "fill-opacity": 0.35, stroke: "#fff", "stroke-width": 2 }));
        var tt = svg("title", {});
        tt.textContent = t.full + " — " + human(t.v) + (t.files ? " in " + t.files + " files" : "");
        g.appendChild(tt);
        s.appendChild(g);
        var inner = { x: r.x + 3, y: r.y + 17, w: r.w - 6, h: r.h - 20 };
        if (t.children && t.children.length && inner.w > 20 && inner.h > 20) {
          squarify(t.children, inner).forEach(function (c) {
            var cg = svg("g", { "class": "tm-node" });
            cg.appendChild(svg("rect", { x: c.r.x, y: c.r.y, width: Math.max(c.r.w, 0), height: Math.max(c.r.h, 0), fill: color, "fill-opacity": c.other ? 0.25 : 0.7, stroke: "#fff", "stroke-width": 1 }));
            var ct = svg("title", {});
            ct.textContent = c.full + " — " + human(c.v) + (c.files ? " in " + c.files + " files" : "");
            cg.appendChild(ct);
            if (c.r.w > 60 && c.r.h > 26) {
              var lt = svg("text", { x: c.r.x + 4, y: c.r.y + 13 });
              lt.textContent = c.label.slice(0, Math.floor(c.r.w / 6.5));
              cg.appendChild(lt);
              var st = svg("text", { x: c.r.x + 4, y: c.r.y + 25 });
              st.textContent = human(c.v);
              cg.appendChild(st);
            }
            s.appendChild(cg);
          });
        }
        if (r.w > 40 && r.h > 14) {
          var label = svg("text", { x: r.x + 4, y: r.y + 13, "font-weight": "bold" });
          label.textContent = (t.label + " " + human(t.v)).slice(0, Math.floor(r.w / 6.5));
          s.appendChild(label);
        }
      });
      holder.appendChild(s);
      holder.appendChild(el("p", { "class": "intro" },
        (m === "dirs" ? "Largest directories (up to 3 levels) of " : m === "packages" ? "Packages of " : "Layers of ") +
        name(img) + ": " + human(m === "dirs" ? img.final_size : img.size) + "."));
    }
    listeners.push(draw);
    draw();
  }

  function drawWaste() {
    var b = sec("waste");
    table(b, [
      { label: "Image", type: "text", key: function (i) { return name(i); } },
      { label: "Size", type: "bytes", key: function (i) { return i.size || 0; } },
      { label: "Final", type: "bytes", key: function (i) { return i.final_size || 0; } },
      { label: "Overwritten", type: "bytes", key: function (i) { return i.overwritten_size || 0; } },
      { label: "Deleted", type: "bytes", key: function (i) { return i.deleted_size || 0; } },
      { label: "Wasted", type: "bytes", key: function (i) { return i.wasted_size || 0; } },
      { label: "Efficiency", type: "pct", key: function (i) { return i.efficiency === undefined ? 1 : i.efficiency; } }
    ], IMAGES.slice(), 5);
    // A hidden file of layers shared by several images (the same layers up to the one
    // that hides it) is one row, "in N images".
    var rows = shared(IMAGES, function (img) { return img.top_waste; }, function (img, w) {
      return [chainKey(img, w.hidden_by), w.path, w.size, w.cause, w.added_by].join("\u0000");
    });
    b.appendChild(el("h3", null, "Largest hidden files"));
    if (!rows.length) return none(b, "No file is hidden by a later layer.");
    rows.forEach(function (r) { r.w = r.item; });
    table(b, [
      { label: "Image", type: "text", key: function (r) { return names(r.imgs); } },
      { label: "Path", type: "path", key: function (r) { return "/" + r.w.path; } },
      { label: "Size", type: "bytes", key: function (r) { return r.w.size; } },
      { label: "Cause", type: "text", key: function (r) { return r.w.cause; } },
      { label: "Added by", type: "cmd", key: function (r) { return "#" + (r.w.added_by + 1) + " " + cmd(r.w.added_by_command); } },
      { label: "Hidden by", type: "cmd", key: function (r) { return "#" + (r.w.hidden_by + 1) + " " + cmd(r.w.hidden_by_command); } }
    ], rows, 2);
  }

  function drawDuplicates() {
    var b = sec("duplicates");
    // Identical groups of several images (a shared base) are one row, "in N images".
    var rows = shared(IMAGES, function (img) { return img.duplicates; }, function (img, g) {
      return [g.digest, g.size, (g.paths || []).join("\u0000")].join("\u0000");
    }).map(function (r) {
      var g = r.item;
      return { scope: names(r.imgs), size: g.size, n: (g.paths || []).length, saved: g.saved_size, paths: (g.paths || []).join(", ") };
    });
    ((R.duplicates || {}).groups || []).forEach(function (g) {
      rows.push({ scope: "across layers (" + (g.images || []).length + " images)", size: g.size, n: (g.layers || []).length, saved: g.saved_size, paths: (g.paths || []).join(", ") });
    });
    if (!rows.length) return none(b, "No identical files stored twice.");
    table(b, [
      { label: "Where", type: "text", key: function (r) { return r.scope; } },
      { label: "Size", type: "bytes", key: function (r) { return r.size; } },
      { label: "Copies", type: "num", key: function (r) { return r.n; } },
      { label: "Saved if once", type: "bytes", key: function (r) { return r.saved; } },
      { label: "Paths", type: "path", key: function (r) { return r.paths; } }
    ], rows, 3);
  }

  function drawRecommendations() {
    var b = sec("recommendations");
    var recs = R.recommendations || [];
    if (!recs.length) {
      var near = R.near_shared || [];
      if (!near.length) return none(b, "No recommendations in this report.");
      table(b, [
        { label: "Suggestion", type: "text", key: function (n) { return n.kind === "rebased" ? "Rebase images onto one parent so this layer is stored once" : "Make the build reproducible so identical layers are stored once"; } },
        { label: "Savings", type: "bytes", key: function (n) { return n.savable_size; } },
        { label: "Images", type: "text", key: function (n) { return (n.images || []).map(nameOf).join(", "); } }
      ], near.slice(), 1);
      return;
    }
    table(b, [
      { label: "Recommendation", type: "text", key: function (r) { return r.title; } },
      { label: "Savings", type: "bytes", key: function (r) { return r.savings || 0; } },
      { label: "Images", type: "text", key: function (r) { return (r.images || []).map(nameOf).join(", "); } },
      { label: "Id", type: "text", key: function (r) { return r.id; } }
    ], recs.slice(), 1);
  }

  function drawImages() {
    var b = sec("images");
    table(b, [
      { label: "Image", type: "text", key: function (i) { return (i.refs || []).join(" ") || "<untagged>"; } },
      { label: "Id", type: "text", key: function (i) { return shortId(i.id); } },
      { label: "Platform", type: "text", key: function (i) { return [i.os, i.architecture, i.variant].filter(Boolean).join("/"); } },
      { label: "Size", type: "bytes", key: function (i) { return i.size || 0; } },
      { label: "Shared", type: "bytes", key: function (i) { return i.shared_size || 0; } },
      { label: "Unique", type: "bytes", key: function (i) { return i.unique_size || 0; } },
      { label: "Layers", type: "num", key: function (i) { return (i.layers || []).length; } }
    ], IMAGES.slice(), 3);
    b.appendChild(el("h3", null, "Layers"));
    selector(b);
    var holder = el("div");
    b.appendChild(holder);
    function draw() {
      while (holder.firstChild) holder.removeChild(holder.firstChild);
      var img = IMAGES[chosen];
      if (!img) return;
      var rows = (img.layers || []).map(function (l, i) { return { i: i, l: l }; });
      table(holder, [
        { label: "#", type: "num", key: function (r) { return r.i + 1; } },
        { label: "Diff id", type: "text", key: function (r) { return shortId(r.l.diff_id); } },
        { label: "Size", type: "bytes", key: function (r) { return r.l.content_size || 0; } },
        { label: "Files", type: "num", key: function (r) { return r.l.files || 0; } },
        { label: "Created by", type: "cmd", key: function (r) { return cmd(r.l.created_by); } }
      ], rows);
    }
    listeners.push(draw);
    draw();
  }

  try {
    drawInputs();
    drawLedger();
    drawWhatIf();
    drawFamilies();
    drawComposition();
    drawTreemap();
    drawWaste();
    drawDuplicates();
    drawRecommendations();
    drawImages();
    if (body.getAttribute("data-status") === "loading") body.setAttribute("data-status", "ok");
  } catch (e) {
    body.setAttribute("data-status", "error: " + (e && e.message ? e.message : e));
    throw e;
  }
})();
