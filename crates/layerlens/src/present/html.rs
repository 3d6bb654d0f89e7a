//! A self-contained HTML report: one file with inline CSS and a small vanilla script,
//! no external resources, readable offline and printable.
//!
//! [`render`] takes the typed report, embeds it serialised in a
//! `<script type="application/json">` element (with `<`, `>` and `&` escaped as `\u003c`
//! and so on, so no string from an archive can close the element or open a comment)
//! and draws every section in the browser with `textContent` only: paths, refs and
//! commands from archives are never parsed as HTML. Sections whose data a report lacks
//! (attribution: `by_kind`, `by_origin`, `packages`, `recommendations`, `reclaimable`)
//! say so instead of drawing. The treemap draws each image's `top_dirs`, which
//! [`Report::add_top_dirs`] fills before rendering (a report read back from JSON may
//! have none: the treemap then shows packages or layers).
//!
//! The page's script sets `<body data-status="ok">` once everything is drawn, or
//! `data-status="error: …"` on any script error; the browser test reads it.
//!
//! A report with findings gets a "Findings" section, drawn by a script of its own
//! (`findings.js`) that only such reports include: every other report renders exactly
//! as before.

use serde::Serialize;

use crate::report::explorer::Explorer;
use crate::report::Report;

/// `s` with `& < > " '` replaced by entities, safe in HTML text and quoted attributes.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `v` as compact JSON safe inside a `<script>` element: `<`, `>`, `&` and the
/// JavaScript line separators escaped as `\uXXXX` (they only occur inside JSON
/// strings, where the escapes mean the same characters). Object keys come sorted (the
/// value goes through `serde_json::Value`, whose maps are ordered by key).
pub fn script_json<T: Serialize + ?Sized>(v: &T) -> String {
    let v = serde_json::to_value(v).expect("plain data always serialises");
    let s = serde_json::to_string(&v).expect("a value always serialises");
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// The whole HTML document for a report.
pub fn render(report: &Report) -> String {
    render_with_explorer(report, None)
}

/// The whole HTML document for a report, with an "Explorer" section when `explorer`
/// is given (the set's explorer, [`Explorer::build`]): its index (paths, images, nodes)
/// goes in `<script type="application/json" id="explorer-data">`, each node's views in
/// an element of their own (`explorer-node-N`) that the page parses only when that
/// layer is shown, so a big set still opens fast.
pub fn render_with_explorer(report: &Report, explorer: Option<&Explorer>) -> String {
    let title = match report.images.as_slice() {
        [one] => format!("layerlens: {}", super::text::image_name(one)),
        all => format!("layerlens: {} images", all.len()),
    };
    let mut out = String::with_capacity(64 * 1024);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n",
    );
    out.push_str("<title>");
    out.push_str(&escape_html(&title));
    out.push_str("</title>\n<style>\n");
    out.push_str(CSS);
    if explorer.is_some() {
        out.push_str(EXPLORER_CSS);
    }
    out.push_str("</style>\n</head>\n<body data-status=\"loading\">\n<header><h1>");
    out.push_str(&escape_html(&title));
    out.push_str("</h1>\n<p id=\"inputs\"></p>\n");
    out.push_str(
        "<nav><a href=\"#ledger\">Ledger</a> <a href=\"#whatif\">What if</a> \
         <a href=\"#families\">Families</a> <a href=\"#composition\">Composition</a> \
         <a href=\"#treemap\">Treemap</a> <a href=\"#waste\">Waste</a> \
         <a href=\"#duplicates\">Duplicates</a> \
         <a href=\"#recommendations\">Recommendations</a> \
         <a href=\"#images\">Images</a>",
    );
    if explorer.is_some() {
        out.push_str(" <a href=\"#explorer\">Explorer</a>");
    }
    let findings = report.images.iter().any(|i| !i.findings.is_empty());
    if findings {
        out.push_str(" <a href=\"#findings\">Findings</a>");
    }
    out.push_str("</nav>\n</header>\n<main>\n");
    let extra = explorer
        .map(|_| EXPLORER_SECTION)
        .into_iter()
        .chain(findings.then_some(FINDINGS_SECTION));
    for (id, h, intro) in SECTIONS.iter().copied().chain(extra) {
        out.push_str(&format!(
            "<section id=\"{id}\"><h2>{h}</h2><p class=\"intro\">{intro}</p>\
             <div class=\"body\"></div></section>\n"
        ));
    }
    out.push_str("</main>\n<footer>Generated by layerlens ");
    out.push_str(env!("CARGO_PKG_VERSION"));
    out.push_str(
        " from a <code>layerlens/v1</code> report. Self-contained: no network.</footer>\n",
    );
    out.push_str("<script type=\"application/json\" id=\"report-data\">");
    out.push_str(&script_json(report));
    out.push_str("</script>\n<script>\n");
    out.push_str(JS);
    out.push_str("</script>\n");
    if let Some(x) = explorer {
        let nodes: Vec<serde_json::Value> = x
            .nodes
            .iter()
            .map(|n| serde_json::json!({"diff_id": n.diff_id, "images": n.images}))
            .collect();
        let index = serde_json::json!({
            "cap": x.cap,
            "paths": x.paths,
            "images": x.images,
            "nodes": nodes,
        });
        out.push_str("<script type=\"application/json\" id=\"explorer-data\">");
        out.push_str(&script_json(&index));
        out.push_str("</script>\n");
        for (i, n) in x.nodes.iter().enumerate() {
            out.push_str(&format!(
                "<script type=\"application/json\" id=\"explorer-node-{i}\">"
            ));
            out.push_str(&script_json(
                &serde_json::json!({"changed": n.changed, "fs": n.fs}),
            ));
            out.push_str("</script>\n");
        }
        out.push_str("<script>\n");
        out.push_str(EXPLORER_JS);
        out.push_str("</script>\n");
    }
    if findings {
        out.push_str("<script>\n");
        out.push_str(FINDINGS_JS);
        out.push_str("</script>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

const SECTIONS: &[(&str, &str, &str)] = &[
    (
        "ledger",
        "Ledger",
        "What the whole set costs, counted four ways: summed per image, each layer blob \
         once, each ChainID once (overlay2 and <code>docker system df -v</code>), each \
         visible file content once.",
    ),
    (
        "whatif",
        "What if",
        "Bytes that could be reclaimed, by level.",
    ),
    (
        "families",
        "Families",
        "Images grouped by the base layers they share; bytes per node.",
    ),
    (
        "composition",
        "Composition",
        "Per image: what the bytes are (by kind) and where they come from (by origin).",
    ),
    (
        "treemap",
        "Largest directories and packages",
        "The final filesystem of the chosen image; area is bytes. Hover for details.",
    ),
    (
        "waste",
        "Waste",
        "Bytes shipped in a layer but hidden by a later one (overwritten or deleted).",
    ),
    (
        "duplicates",
        "Duplicates",
        "Identical files stored more than once, within an image and across layers.",
    ),
    (
        "recommendations",
        "Recommendations",
        "What to change, with the bytes it would save.",
    ),
    (
        "images",
        "Images and layers",
        "Every image of the set; the layers of the chosen image.",
    ),
];

const CSS: &str = r#":root{--fg:#1d2330;--muted:#5b6577;--bg:#fff;--panel:#f5f7fa;--line:#dde2ea;--accent:#2f6fde}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{padding:16px 28px 8px;border-bottom:1px solid var(--line);background:var(--panel)}
h1{margin:0 0 4px;font-size:22px}
h2{margin:0 0 4px;font-size:18px}
#inputs{margin:0;color:var(--muted);font-size:12px;word-break:break-all}
nav{margin-top:8px;font-size:13px}
nav a{color:var(--accent);margin-right:10px;text-decoration:none}
main{padding:8px 28px 24px;max-width:1400px}
section{margin:18px 0 26px}
.intro{margin:0 0 10px;color:var(--muted);font-size:13px}
.controls{margin:6px 0 10px;font-size:13px}
select{font:inherit;padding:2px 4px}
.none{color:var(--muted);font-style:italic}
.row{display:grid;grid-template-columns:minmax(180px,280px) 1fr 110px;gap:10px;align-items:center;margin:3px 0}
.label{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.track{background:#eef1f5;border-radius:3px;height:18px;position:relative;overflow:hidden;display:flex}
.fill{height:100%;background:var(--accent)}
.seg{height:100%}
.legend{display:flex;flex-wrap:wrap;gap:12px;font-size:12px;margin:6px 0}
.legend i{display:inline-block;width:11px;height:11px;margin-right:4px;vertical-align:-1px;border-radius:2px}
.figures{display:flex;flex-wrap:wrap;gap:12px}
.figure{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:10px 14px;min-width:170px}
.figure b{display:block;font-size:20px}
.figure span{color:var(--muted);font-size:12px}
ul.tree{list-style:none;padding-left:18px;margin:0}
ul.tree.root{padding-left:0}
ul.tree li{margin:2px 0}
.node{display:grid;grid-template-columns:minmax(200px,1fr) 110px 120px 120px 180px;gap:8px;align-items:center}
table{border-collapse:collapse;width:100%;font-size:13px;margin:4px 0 12px}
th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:var(--panel);cursor:pointer;user-select:none;white-space:nowrap}
th.sorted-asc::after{content:" \25B2";font-size:10px}
th.sorted-desc::after{content:" \25BC";font-size:10px}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.path{word-break:break-all;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
td.cmd{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;max-width:420px;word-break:break-word}
svg.tm{width:100%;height:auto;display:block;border:1px solid var(--line);border-radius:4px}
svg.tm text{font-size:11px;pointer-events:none;fill:#111}
h3{font-size:15px;margin:14px 0 6px}
footer{padding:12px 28px;color:var(--muted);font-size:12px;border-top:1px solid var(--line)}
@media print{header nav,.controls{display:none}body{font-size:11px}main{padding:0 10px;max-width:none}section{break-inside:avoid-page}th{cursor:auto}}
"#;

const JS: &str = include_str!("report.js");

const EXPLORER_CSS: &str = r#"ul.xtree{list-style:none;padding-left:18px;margin:0}
ul.xtree.root{padding-left:0}
.xrow{display:grid;grid-template-columns:18px 18px minmax(200px,1fr) 110px;gap:6px;align-items:center;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
.xtog{cursor:pointer;user-select:none;color:var(--muted)}
.xmark{font-weight:bold}
.xA .xmark{color:#1f9e89}.xM .xmark{color:#d08a1e}.xD .xmark{color:#d9534f}.xD .xname{text-decoration:line-through}
.xname{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.explorer-more,.explorer-info{color:var(--muted);font-size:12px;margin:6px 0}
"#;

/// The findings section, for reports that have findings.
const FINDINGS_SECTION: (&str, &str, &str) = (
    "findings",
    "Findings",
    "Private keys, credentials (redacted), setuid/setgid and world-writable files, with \
     the layer that added them. A hidden one was deleted by a later layer but is still \
     shipped in the image, and extractable.",
);

const FINDINGS_JS: &str = include_str!("findings.js");

/// The explorer section, for reports rendered with the set's explorer.
const EXPLORER_SECTION: (&str, &str, &str) = (
    "explorer",
    "Explorer",
    "Pick an image and one of its layers: its filesystem as of that layer, or only \
     what the layer changed (A added, M modified, D deleted, relative to the layers \
     below). Largest entries first; a directory's size is the bytes under it.",
);

const EXPLORER_JS: &str = include_str!("explorer.js");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forensics::waste::WasteCause;
    use crate::present::sample::{image, report};
    use crate::report::WasteEntry;
    use serde_json::{json, Value};

    #[test]
    fn archive_strings_cannot_escape_the_data_element() {
        let mut img = image(&["</script><script>alert(1)</script>"], "00");
        img.top_waste = vec![WasteEntry {
            path: "<!--x".into(),
            size: 1,
            cause: WasteCause::Deleted,
            added_by: 0,
            added_by_command: None,
            hidden_by: 0,
            hidden_by_command: None,
        }];
        let r = report(vec![img]);
        let html = render(&r);
        let data = html
            .split("id=\"report-data\">")
            .nth(1)
            .unwrap()
            .split("</script>")
            .next()
            .unwrap();
        assert!(!data.contains('<'), "{data}");
        let back: Value = serde_json::from_str(data).unwrap();
        assert_eq!(back, serde_json::to_value(&r).unwrap());
        assert_eq!(serde_json::from_value::<Report>(back).unwrap(), r);
        assert!(html.contains("<title>layerlens: &lt;/script&gt;&lt;script&gt;"));
        assert!(!html.contains("<script>alert"));
        // No external resources: nothing is loaded from anywhere (the SVG namespace
        // URI is a name, not a fetch).
        for bad in ["src=", "href=\"http", "url(", "@import", "https://"] {
            assert!(!html.contains(bad), "{bad}");
        }
    }

    #[test]
    fn explorer_paths_cannot_escape_their_elements() {
        use crate::report::explorer::{Explorer, ExplorerOptions};
        let s = crate::testutil::set(&[(
            "a",
            vec![vec![("f", "</script><b>x</b>", 5, 1), ("f", "<!--y", 6, 2)]],
        )]);
        let x = Explorer::build(&s, &ExplorerOptions::default());
        let r = report(vec![image(&["a"], "00")]);
        let html = render_with_explorer(&r, Some(&x));
        assert!(!html.contains("<b>x") && !html.contains("<!--y"));
        assert_eq!(html.matches("id=\"explorer-node-").count(), 1);
        let data = html
            .split("id=\"explorer-data\">")
            .nth(1)
            .unwrap()
            .split("</script>")
            .next()
            .unwrap();
        let back: Value = serde_json::from_str(data).unwrap();
        // `/` separates components: `<`, then `script><b>x<` under it, and so on.
        assert_eq!(
            back["paths"],
            json!([[-1, "<"], [-1, "<!--y"], [0, "script><b>x<"], [2, "b>"]])
        );
        // Without explorer data, no section, script or style of it.
        assert!(!render(&r).contains("explorer"));
    }

    #[test]
    fn escapes() {
        assert_eq!(escape_html("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&#39;");
        assert_eq!(
            script_json(&json!("</a>&\u{2028}")),
            "\"\\u003c/a\\u003e\\u0026\\u2028\""
        );
    }
}
