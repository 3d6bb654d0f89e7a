//! The HTML report in a real browser: headless Chromium (Debian's `chromium`) loads
//! the file from disk, the page's script draws every section and sets
//! `<body data-status="ok">` (or `error: …` on any script error), and the dumped DOM is
//! checked section by section.
//!
//! Skipped, with a message, when `/usr/bin/chromium` (or `$LAYERLENS_CHROMIUM`) is
//! absent, unless `LAYERLENS_BROWSER_TEST=1`, which makes a missing browser a failure.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::*;

fn chromium() -> Option<PathBuf> {
    let p = std::env::var_os("LAYERLENS_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if p.exists() {
        return Some(p);
    }
    if std::env::var("LAYERLENS_BROWSER_TEST").as_deref() == Ok("1") {
        panic!("LAYERLENS_BROWSER_TEST=1 but no browser at {}", p.display());
    }
    eprintln!(
        "skipping the browser test: no {} (install Debian's chromium, or set \
         LAYERLENS_CHROMIUM; LAYERLENS_BROWSER_TEST=1 makes this a failure)",
        p.display()
    );
    None
}

/// Render `html` headless and return the DOM after the scripts ran.
fn dump_dom(browser: &Path, html: &Path, dir: &Path) -> String {
    let profile = dir.join("profile");
    let o = Command::new("timeout")
        .arg("120")
        .arg(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,2000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", html.display()))
        .output()
        .expect("the browser runs");
    assert!(
        o.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("UTF-8 DOM")
}

fn status(dom: &str) -> &str {
    let s = dom
        .split("data-status=\"")
        .nth(1)
        .expect("the body has a status");
    &s[..s.find('"').unwrap()]
}

fn section<'a>(dom: &'a str, id: &str) -> &'a str {
    let start = dom
        .find(&format!("<section id=\"{id}\""))
        .unwrap_or_else(|| panic!("no section {id}"));
    let rest = &dom[start..];
    &rest[..rest.find("</section>").unwrap()]
}

fn count(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}

#[test]
fn the_report_draws_every_section_in_chromium() {
    let Some(browser) = chromium() else { return };
    let tmp = temp_dir("browser-fixture");
    let dir = tmp.path();
    let fixture = repo_root().join("testdata/fixtures/forensics.tar");
    let html = html_report(dir, &[fixture.to_str().unwrap()]);
    let dom = dump_dom(&browser, &html, dir);
    assert_eq!(status(&dom), "ok", "script error");
    assert_eq!(count(section(&dom, "ledger"), "class=\"row\""), 4);
    assert!(count(section(&dom, "whatif"), "class=\"figure\"") >= 4);
    assert_eq!(count(section(&dom, "families"), "<li"), 5);
    // Attribution by kind and by origin: a bar per image on each axis, with legends.
    let comp = section(&dom, "composition");
    assert!(count(comp, "class=\"seg\"") >= 8, "{comp}");
    assert!(!comp.contains("no attribution by kind"), "{comp}");
    for legend in [
        "language_deps",
        "os_packages",
        "wasted",
        "base image",
        "own layers",
    ] {
        assert!(comp.contains(legend), "{legend} missing: {comp}");
    }
    // The treemap draws the largest directories of the chosen image.
    let tm = section(&dom, "treemap");
    assert!(count(tm, "<rect") >= 5, "{tm}");
    assert!(tm.contains("lib/ 8.0 kB"), "{tm}");
    let waste = section(&dom, "waste");
    assert_eq!(count(waste, "<table"), 2);
    assert!(waste.contains("/lib/libz.copy"));
    // The duplicate pair of the base layer that acme/svc-a:1 and acme/svc-b:1 share
    // (acme/waste:1 deletes one copy) is one row, "in 2 images".
    let dups = section(&dom, "duplicates");
    assert_eq!(count(dups, "lib/libz, lib/libz.copy"), 1, "{dups}");
    assert!(
        dups.contains(">in 2 images: acme/svc-a:1, acme/svc-b:1</td>"),
        "{dups}"
    );
    assert!(section(&dom, "recommendations").contains("Consolidate on one base"));
    assert!(count(section(&dom, "images"), "<tr") >= 5 + 3);
}

#[test]
fn attribution_sections_draw_when_the_report_has_them() {
    let Some(browser) = chromium() else { return };
    let tmp = temp_dir("browser-attribution");
    let dir = tmp.path();
    let json = repo_root().join("testdata/reports/attribution.json");
    let html = html_report(dir, &["--from-json", json.to_str().unwrap()]);
    let dom = dump_dom(&browser, &html, dir);
    assert_eq!(status(&dom), "ok", "script error");
    let comp = section(&dom, "composition");
    assert!(!comp.contains("no attribution"), "{comp}");
    assert!(comp.contains("language_deps") && comp.contains("own layers"));
    let rec = section(&dom, "recommendations");
    assert!(
        rec.contains("remove-apt-lists") && rec.contains("9.5 kB"),
        "{rec}"
    );
    let whatif = section(&dom, "whatif");
    assert!(
        whatif.contains("11.9 kB") && whatif.contains("10.1 kB"),
        "{whatif}"
    );
    // Packages (no top_dirs in a saved analyze report) fill the treemap; names from
    // archives stay text.
    let tm = section(&dom, "treemap");
    assert!(tm.contains("libc6") && tm.contains("requests"), "{tm}");
    assert!(tm.contains("&lt;/script&gt;&lt;b&gt;evil"), "{tm}");
    assert!(!dom.contains("<b>evil</b>"));
    assert!(!dom.contains("<img src=x"));
}

#[test]
fn a_script_error_shows_in_the_status() {
    let Some(browser) = chromium() else { return };
    let tmp = temp_dir("browser-broken");
    let dir = tmp.path();
    let json = repo_root().join("testdata/reports/attribution.json");
    let html = html_report(dir, &["--from-json", json.to_str().unwrap()]);
    // `report` refuses a document that is not a layerlens/v1 report, so break the data
    // embedded in a good page: the script then fails while drawing.
    let page = std::fs::read_to_string(&html).unwrap();
    let (head, rest) = page.split_once("id=\"report-data\">").unwrap();
    let (_, tail) = rest.split_once("</script>").unwrap();
    let broken = format!(
        "{head}id=\"report-data\">{{\"schema\": \"layerlens/v1\", \"images\": 5}}</script>{tail}"
    );
    std::fs::write(&html, broken).unwrap();
    let dom = dump_dom(&browser, &html, dir);
    assert!(status(&dom).starts_with("error: "), "{}", status(&dom));
}

/// The findings section exists only in reports with findings (so every other report
/// renders as before) and draws from its own script; excerpts stay redacted.
#[test]
fn findings_section_draws_when_the_report_has_findings() {
    let Some(browser) = chromium() else { return };
    let tmp = temp_dir("browser-findings");
    let dir = tmp.path();
    let fixture = repo_root().join("testdata/ecosystems/findings.tar");
    let html = html_report(dir, &[fixture.to_str().unwrap()]);
    let dom = dump_dom(&browser, &html, dir);
    assert_eq!(status(&dom), "ok", "script error");
    let f = section(&dom, "findings");
    assert_eq!(count(f, "<tr"), 1 + 13, "{f}");
    assert!(f.contains("root/.ssh/id_ed25519") && f.contains("hidden (still shipped)"));
    assert!(f.contains("github-token: ghp_…(40)"), "{f}");
    assert!(!dom.contains("FAKEfake0123456789"), "a secret printed");
}

/// Drives the explorer as a user would (the page's own controls, through injected
/// events): pick an image and a layer, switch to what the layer changed, expand
/// directories, filter; each step's rows are logged as `mark path bytes`.
#[test]
fn the_explorer_shows_a_layers_entries_with_marks_and_sizes() {
    let Some(browser) = chromium() else { return };
    let tmp = temp_dir("browser-explorer");
    let dir = tmp.path();
    let fixture = repo_root().join("testdata/fixtures/forensics.tar");
    let html = html_report(dir, &[fixture.to_str().unwrap()]);
    let page = std::fs::read_to_string(&html).unwrap();
    let drive = r##"<script>
(function () {
  var log = [];
  function q(s) { return document.querySelector("#explorer " + s); }
  function snap(tag) {
    log.push(tag + ": " + Array.prototype.map.call(document.querySelectorAll("#explorer .xrow"),
      function (r) { return r.getAttribute("data-mark") + " " + r.getAttribute("data-path") + " " + r.getAttribute("data-size"); }).join(" | "));
  }
  function pick(sel, v) { var s = q(sel); s.value = v; s.dispatchEvent(new Event("change")); }
  try {
    snap("initial");
    pick("select.explorer-image", "1");
    pick("select.explorer-layer", "3");
    snap("fs");
    q("input.explorer-changed").click();
    snap("changed");
    q('.xrow[data-path="opt"] .xtog').click();
    q('.xrow[data-path="opt/data"] .xtog').click();
    snap("expanded");
    log.push("more: " + q(".explorer-more").textContent);
    q("input.explorer-changed").click();
    var f = q("input.explorer-filter"); f.value = "LIBZ"; f.dispatchEvent(new Event("input"));
    snap("filtered");
  } catch (e) { log.push("error: " + e.message); }
  var pre = document.createElement("pre"); pre.id = "drive-log"; pre.textContent = log.join("\n");
  document.body.appendChild(pre);
})();
</script>
</body>"##;
    std::fs::write(&html, page.replace("</body>", drive)).unwrap();
    let dom = dump_dom(&browser, &html, dir);
    assert_eq!(status(&dom), "ok", "script error");
    let log = dom.split("<pre id=\"drive-log\">").nth(1).unwrap();
    let log = &log[..log.find("</pre>").unwrap()];
    let want = [
        // The largest image, its top layer: the filesystem, the app layer's part marked.
        "initial: - lib 8000 | - opt 3500 | - etc 3000 | A app 1800 | - srv 1200 | - usr 800",
        // acme/waste:1 as of layer #4 (srv and lib/libz.copy deleted by #3, opt/data
        // emptied and refilled by #4).
        "fs: - lib 4000 | - usr 800 | M opt 700 | - etc 500",
        "changed: M opt 700",
        "expanded: M opt 700 | M opt/data 700 | D opt/data/a 2000 | D opt/data/b 1500 | \
         A opt/data/c 700",
        "more: ",
        "filtered: - lib 4000 | - lib/libz 4000 | - lib/libz.hard 0",
    ];
    assert_eq!(log, want.join("\n"));
}
