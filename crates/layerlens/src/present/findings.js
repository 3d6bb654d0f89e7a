// layerlens HTML report, findings section: included only in reports that have findings
// (so every other report renders byte for byte as before). textContent only: nothing
// from an archive or a config is parsed as HTML, and excerpts are already redacted.
"use strict";
(function () {
  var body = document.body;
  try {
    var R = JSON.parse(document.getElementById("report-data").textContent);
    var b = document.querySelector("#findings .body");
    function el(tag, cls, text) {
      var e = document.createElement(tag);
      if (cls) e.setAttribute("class", cls);
      if (text !== undefined && text !== null) e.textContent = String(text);
      return e;
    }
    function cmd(c) {
      if (!c) return "";
      c = String(c).trim().replace(/^\/bin\/sh -c #\(nop\) /, "").replace(/^\/bin\/sh -c /, "RUN ");
      return c.replace(/\s+/g, " ");
    }
    function name(img) { return (img.refs && img.refs.length) ? img.refs[0] : String(img.id || "").slice(7, 19); }
    var heads = ["Image", "Kind", "Where", "Layer", "Hidden", "Detail", "Added by"];
    var t = el("table");
    var tr = el("tr");
    heads.forEach(function (h) { tr.appendChild(el("th", null, h)); });
    t.appendChild(tr);
    // A finding in layers several images share (the same layers up to the one that
    // added it, the same hidden state) is one row, "in N images".
    var rows = [], at = {};
    (R.images || []).forEach(function (img) {
      (img.findings || []).forEach(function (f) {
        var chain = f.layer === null || f.layer === undefined ? "image " + img.id :
          (img.layers || []).slice(0, f.layer + 1).map(function (l) { return l.diff_id; }).join(",");
        var k = [chain, f.kind, f.path, f.config, f.rule, f.line, f.excerpt, f.mode, f.hidden].join("\u0000");
        if (Object.prototype.hasOwnProperty.call(at, k)) rows[at[k]].imgs.push(img);
        else { at[k] = rows.length; rows.push({ f: f, imgs: [img] }); }
      });
    });
    function names(imgs) {
      if (imgs.length === 1) return name(imgs[0]);
      return "in " + imgs.length + " images: " + imgs.slice(0, 3).map(name).join(", ") + (imgs.length > 3 ? ", …" : "");
    }
    var n = 0;
    rows.forEach(function (r) {
      var img = r.imgs, f = r.f;
      var where = f.path !== undefined ? f.path : "config " + (f.config || "");
      var detail = f.rule ? f.rule + ": " + (f.excerpt || "") : (f.mode ? "mode " + f.mode : "");
      var row = el("tr");
      row.appendChild(el("td", null, names(img)));
      row.appendChild(el("td", null, f.kind));
      row.appendChild(el("td", "path", where));
      row.appendChild(el("td", "n", f.layer === null || f.layer === undefined ? "" : "#" + (f.layer + 1)));
      row.appendChild(el("td", null, f.hidden ? "hidden (still shipped)" : ""));
      row.appendChild(el("td", "path", detail));
      row.appendChild(el("td", "cmd", cmd(f.created_by)));
      t.appendChild(row);
      n++;
    });
    if (n) b.appendChild(t);
    else b.appendChild(el("p", "none", "No findings."));
  } catch (e) {
    body.setAttribute("data-status", "error: " + (e && e.message ? e.message : e));
    throw e;
  }
})();
