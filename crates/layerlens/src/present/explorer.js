// layerlens HTML report, explorer section: included only in reports rendered with the
// set's explorer data. It draws the rows the report embedded (computed by the library:
// marks, sizes, the cap); it only arranges them as a tree, filters and expands.
// textContent and attributes only: nothing from an archive is parsed as HTML.
"use strict";
(function () {
  var body = document.body;
  try {
    var R = JSON.parse(document.getElementById("report-data").textContent);
    var X = JSON.parse(document.getElementById("explorer-data").textContent);
    var b = document.querySelector("#explorer .body");
    var PATHS = X.paths || [];
    var XIMAGES = X.images || [];
    var byId = {};
    (R.images || []).forEach(function (img) { byId[img.id] = img; });
    function el(tag, attrs, text) {
      var e = document.createElement(tag);
      if (attrs) for (var k in attrs) e.setAttribute(k, attrs[k]);
      if (text !== undefined && text !== null) e.textContent = String(text);
      return e;
    }
    function human(v) {
      v = Number(v) || 0;
      var u = ["B", "kB", "MB", "GB", "TB", "PB"];
      if (v < 1000) return v + " B";
      var i = 0;
      while (v >= 999.95 && i < u.length - 1) { v /= 1000; i++; }
      return v.toFixed(1) + " " + u[i];
    }
    function cmd(c) {
      if (!c) return "";
      c = String(c).trim().replace(/^\/bin\/sh -c #\(nop\) /, "").replace(/^\/bin\/sh -c /, "RUN ");
      return c.replace(/\s+/g, " ");
    }
    function shortId(id) { id = String(id || ""); var i = id.indexOf(":"); return id.slice(i + 1, i + 13); }
    function name(img, x) { return img && img.refs && img.refs.length ? img.refs[0] : shortId(x.id); }
    var full = {};
    function fullPath(i) {
      if (full[i] !== undefined) return full[i];
      var p = PATHS[i];
      return (full[i] = p[0] < 0 ? p[1] : fullPath(p[0]) + "/" + p[1]);
    }
    var cache = {};
    function nodeData(n) {
      if (!cache[n]) cache[n] = JSON.parse(document.getElementById("explorer-node-" + n).textContent);
      return cache[n];
    }

    // The largest image first, as the other sections choose.
    var st = { img: 0, layer: 0, changed: false, filter: "", open: {} };
    XIMAGES.forEach(function (x, i) {
      var a = byId[x.id] || {}, c = byId[XIMAGES[st.img].id] || {};
      if ((a.size || 0) > (c.size || 0)) st.img = i;
    });
    if (!XIMAGES.length) { b.appendChild(el("p", { "class": "none" }, "No images.")); return; }
    st.layer = XIMAGES[st.img].nodes.length - 1;

    var controls = el("div", { "class": "controls" });
    controls.appendChild(document.createTextNode("Image: "));
    var imgSel = el("select", { "class": "explorer-image" });
    XIMAGES.forEach(function (x, i) {
      var img = byId[x.id];
      imgSel.appendChild(el("option", { value: i }, name(img, x) + (img ? " (" + human(img.size) + ")" : "")));
    });
    imgSel.value = String(st.img);
    controls.appendChild(imgSel);
    controls.appendChild(document.createTextNode(" Layer: "));
    var layerSel = el("select", { "class": "explorer-layer" });
    controls.appendChild(layerSel);
    controls.appendChild(document.createTextNode(" Filter: "));
    var filter = el("input", { type: "search", "class": "explorer-filter", placeholder: "path contains…" });
    controls.appendChild(filter);
    var lab = el("label");
    var changed = el("input", { type: "checkbox", "class": "explorer-changed" });
    lab.appendChild(document.createTextNode(" "));
    lab.appendChild(changed);
    lab.appendChild(document.createTextNode(" only what this layer changed"));
    controls.appendChild(lab);
    b.appendChild(controls);
    var info = el("p", { "class": "explorer-info" });
    b.appendChild(info);
    var holder = el("div", { "class": "explorer-tree" });
    b.appendChild(holder);
    var more = el("p", { "class": "explorer-more" });
    b.appendChild(more);

    function fillLayers() {
      while (layerSel.firstChild) layerSel.removeChild(layerSel.firstChild);
      var x = XIMAGES[st.img], img = byId[x.id] || {};
      x.nodes.forEach(function (n, i) {
        var l = (img.layers || [])[i] || {};
        layerSel.appendChild(el("option", { value: i },
          "#" + (i + 1) + " " + human(l.content_size) + " " + cmd(l.created_by).slice(0, 60)));
      });
      layerSel.value = String(st.layer);
    }

    function draw() {
      var x = XIMAGES[st.img], img = byId[x.id] || {};
      var n = x.nodes[st.layer];
      var meta = (X.nodes || [])[n] || {};
      var l = (img.layers || [])[st.layer] || {};
      var v = nodeData(n)[st.changed ? "changed" : "fs"];
      info.textContent = "Layer #" + (st.layer + 1) + " of " + x.nodes.length + " · " +
        shortId(meta.diff_id) + " · in " + meta.images + " image" + (meta.images === 1 ? "" : "s") +
        (l.created_by ? " · " + cmd(l.created_by) : "") + " · " + v.entries + " entries";
      var rows = v.rows.map(function (r) { return { p: r[0], size: r[1], kind: r[2].charAt(0), mark: r[2].slice(1) }; });
      var kids = {};
      rows.forEach(function (r) { var pa = PATHS[r.p][0]; (kids[pa] = kids[pa] || []).push(r); });
      Object.keys(kids).forEach(function (k) {
        kids[k].sort(function (a, c) { return c.size - a.size || (PATHS[a.p][1] < PATHS[c.p][1] ? -1 : 1); });
      });
      var q = st.filter.toLowerCase(), shown = null;
      if (q) {
        shown = {};
        rows.forEach(function (r) {
          if (fullPath(r.p).toLowerCase().indexOf(q) < 0) return;
          for (var p = r.p; p >= 0 && !shown[p]; p = PATHS[p][0]) shown[p] = true;
        });
      }
      while (holder.firstChild) holder.removeChild(holder.firstChild);
      function list(parent, cls) {
        var ul = el("ul", { "class": cls });
        (kids[parent] || []).forEach(function (r) {
          if (shown && !shown[r.p]) return;
          var li = el("li");
          var has = !!kids[r.p];
          var open = shown ? true : !!st.open[r.p];
          var row = el("div", { "class": "xrow" + (r.mark ? " x" + r.mark : ""), "data-path": fullPath(r.p),
                                "data-size": r.size, "data-mark": r.mark || "-", title: "/" + fullPath(r.p) + " — " +
                                Number(r.size).toLocaleString("en") + " bytes" });
          var tog = el("span", { "class": "xtog" }, has ? (open ? "▾" : "▸") : "");
          if (has && !shown) tog.addEventListener("click", function () { st.open[r.p] = !st.open[r.p]; draw(); });
          row.appendChild(tog);
          row.appendChild(el("span", { "class": "xmark" }, r.mark));
          row.appendChild(el("span", { "class": "xname" }, PATHS[r.p][1] + (r.kind === "d" ? "/" : r.kind === "l" ? " (symlink)" : r.kind === "h" ? " (hardlink)" : "")));
          row.appendChild(el("span", { "class": "num" }, human(r.size)));
          li.appendChild(row);
          if (has && open) li.appendChild(list(r.p, "xtree"));
          ul.appendChild(li);
        });
        return ul;
      }
      var root = list(-1, "xtree root");
      if (!root.firstChild) holder.appendChild(el("p", { "class": "none" }, q ? "No entry matches." : "No entries."));
      else holder.appendChild(root);
      more.textContent = v.more_entries ? v.more_entries + " more entries not shown (" + human(v.more_size) + ")" : "";
    }

    imgSel.addEventListener("change", function () {
      st.img = Number(imgSel.value);
      st.layer = XIMAGES[st.img].nodes.length - 1;
      st.open = {};
      fillLayers();
      draw();
    });
    layerSel.addEventListener("change", function () { st.layer = Number(layerSel.value); st.open = {}; draw(); });
    filter.addEventListener("input", function () { st.filter = filter.value; draw(); });
    changed.addEventListener("change", function () { st.changed = changed.checked; draw(); });
    fillLayers();
    draw();
  } catch (e) {
    body.setAttribute("data-status", "error: " + (e && e.message ? e.message : e));
    throw e;
  }
})();
