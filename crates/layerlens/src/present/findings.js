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
    var n = 0;
    (R.images || []).forEach(function (img) {
      (img.findings || []).forEach(function (f) {
        var where = f.path !== undefined ? f.path : "config " + (f.config || "");
        var detail = f.rule ? f.rule + ": " + (f.excerpt || "") : (f.mode ? "mode " + f.mode : "");
        var row = el("tr");
        row.appendChild(el("td", null, name(img)));
        row.appendChild(el("td", null, f.kind));
        row.appendChild(el("td", "path", where));
        row.appendChild(el("td", "n", f.layer === null || f.layer === undefined ? "" : "#" + (f.layer + 1)));
        row.appendChild(el("td", null, f.hidden ? "hidden (still shipped)" : ""));
        row.appendChild(el("td", "path", detail));
        row.appendChild(el("td", "cmd", cmd(f.created_by)));
        t.appendChild(row);
        n++;
      });
    });
    if (n) b.appendChild(t);
    else b.appendChild(el("p", "none", "No findings."));
  } catch (e) {
    body.setAttribute("data-status", "error: " + (e && e.message ? e.message : e));
    throw e;
  }
})();
