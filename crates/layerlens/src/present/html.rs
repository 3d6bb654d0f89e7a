//! A self-contained HTML report: one file with inline CSS and a small vanilla script,
//! no external resources, readable offline and printable.
//!
//! [`render`] takes the report as JSON (`serde_json::to_value(&report)`), embeds it in a
//! `<script type="application/json">` element (with `<`, `>` and `&` escaped as `\u003c`
//! and so on, so no string from an archive can close the element or open a comment)
//! and draws every section in the browser with `textContent` only: paths, refs and
//! commands from archives are never parsed as HTML. Sections whose data a report lacks
//! (attribution: `by_kind`, `by_origin`, `packages`, `recommendations`, `reclaimable`)
//! say so instead of drawing.
//!
//! The page's script sets `<body data-status="ok">` once everything is drawn, or
//! `data-status="error: …"` on any script error; the browser test reads it.

use std::collections::HashMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{FinalFs, SetModel};
use crate::read::analyzer::ImageSet;
use crate::read::layer::EntryKind;
use crate::report::Report;

/// The bytes of the final filesystem under one directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirSize {
    /// Directory path, relative, `/`-separated (`usr/lib`).
    pub path: String,
    /// Regular-file bytes under it, at any depth.
    pub size: u64,
    /// Regular files under it, at any depth.
    pub files: u64,
}

/// How deep [`top_dirs`] looks by default.
pub const TOP_DIRS_DEPTH: usize = 3;
/// How many directories [`top_dirs`] keeps by default.
pub const TOP_DIRS_LIMIT: usize = 200;

/// The largest directories of an image's final filesystem (after the overlay replay),
/// at most `depth` levels deep, at most `limit` of them, sorted by path. The largest
/// are kept first and a directory is never larger than its parent, so every kept
/// directory's parent (above the root) is kept too.
pub fn top_dirs(m: &SetModel<'_>, image: usize, depth: usize, limit: usize) -> Vec<DirSize> {
    let fs = FinalFs::new(m, image);
    let mut dirs: HashMap<&str, (u64, u64)> = HashMap::new();
    for (path, _, rec) in fs.entries() {
        if rec.kind != EntryKind::Regular {
            continue;
        }
        let size = rec.size;
        for (level, (i, _)) in path.match_indices('/').enumerate() {
            if level >= depth {
                break;
            }
            let e = dirs.entry(&path[..i]).or_default();
            e.0 += size;
            e.1 += 1;
        }
    }
    let mut all: Vec<(&str, (u64, u64))> = dirs.into_iter().collect();
    all.sort_by(|a, b| {
        b.1 .0
            .cmp(&a.1 .0)
            .then(a.0.len().cmp(&b.0.len()))
            .then(a.0.cmp(b.0))
    });
    all.truncate(limit);
    let mut out: Vec<DirSize> = all
        .into_iter()
        .map(|(p, (size, files))| DirSize {
            path: p.to_string(),
            size,
            files,
        })
        .collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// The report as JSON with each image's [`top_dirs`] added as `top_dirs`: what the
/// HTML report's treemap draws.
pub fn report_value(report: &Report, set: &ImageSet) -> Value {
    let mut v = serde_json::to_value(report).expect("a report always serialises");
    let m = SetModel::new(set);
    let dirs: Vec<(String, Vec<DirSize>)> = (0..set.images.len())
        .into_par_iter()
        .map(|i| {
            (
                set.images[i].id.to_string(),
                top_dirs(&m, i, TOP_DIRS_DEPTH, TOP_DIRS_LIMIT),
            )
        })
        .collect();
    if let Some(images) = v["images"].as_array_mut() {
        for img in images {
            if let Some((_, d)) = dirs.iter().find(|(id, _)| img["id"] == id.as_str()) {
                img["top_dirs"] = serde_json::to_value(d).expect("plain data");
            }
        }
    }
    v
}

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

/// JSON safe inside a `<script>` element: `<`, `>`, `&` and the JavaScript line
/// separators escaped as `\uXXXX` (they only occur inside JSON strings, where the
/// escapes mean the same characters).
pub fn script_json(v: &Value) -> String {
    let s = serde_json::to_string(v).expect("a value always serialises");
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

/// The whole HTML document for a report given as JSON.
pub fn render(report: &Value) -> String {
    let title = match report["images"].as_array().map(Vec::len) {
        Some(1) => format!(
            "layerlens: {}",
            super::text::image_name(&report["images"][0])
        ),
        Some(n) => format!("layerlens: {n} images"),
        None => "layerlens report".to_string(),
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
    out.push_str("</style>\n</head>\n<body data-status=\"loading\">\n<header><h1>");
    out.push_str(&escape_html(&title));
    out.push_str("</h1>\n<p id=\"inputs\"></p>\n");
    out.push_str(
        "<nav><a href=\"#ledger\">Ledger</a> <a href=\"#whatif\">What if</a> \
         <a href=\"#families\">Families</a> <a href=\"#composition\">Composition</a> \
         <a href=\"#treemap\">Treemap</a> <a href=\"#waste\">Waste</a> \
         <a href=\"#duplicates\">Duplicates</a> \
         <a href=\"#recommendations\">Recommendations</a> \
         <a href=\"#images\">Images</a></nav>\n</header>\n<main>\n",
    );
    for (id, h, intro) in SECTIONS {
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
    out.push_str("</script>\n</body>\n</html>\n");
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn archive_strings_cannot_escape_the_data_element() {
        let v = json!({"images": [{"refs": ["</script><script>alert(1)</script>"],
                                   "id": "sha256:00", "top_waste": [{"path": "<!--x"}]}]});
        let html = render(&v);
        let data = html
            .split("id=\"report-data\">")
            .nth(1)
            .unwrap()
            .split("</script>")
            .next()
            .unwrap();
        assert!(!data.contains('<'), "{data}");
        let back: Value = serde_json::from_str(data).unwrap();
        assert_eq!(back, v);
        assert!(html.contains("<title>layerlens: &lt;/script&gt;&lt;script&gt;"));
        assert!(!html.contains("<script>alert"));
        // No external resources: nothing is loaded from anywhere (the SVG namespace
        // URI is a name, not a fetch).
        for bad in ["src=", "href=\"http", "url(", "@import", "https://"] {
            assert!(!html.contains(bad), "{bad}");
        }
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
