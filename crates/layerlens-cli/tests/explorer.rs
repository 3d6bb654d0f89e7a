//! The explorer data embedded in the HTML report (no browser): the index and each
//! ChainID node's views, pinned for the forensics fixture.

use serde_json::Value;

mod common;
use common::*;

fn element<'a>(page: &'a str, id: &str) -> &'a str {
    let open = format!("<script type=\"application/json\" id=\"{id}\">");
    let rest = page
        .split(&open)
        .nth(1)
        .unwrap_or_else(|| panic!("no {id}"));
    &rest[..rest.find("</script>").unwrap()]
}

/// `mark path size` per row of a view, paths decoded through the index.
fn rows(index: &Value, view: &Value) -> Vec<String> {
    let paths = index["paths"].as_array().unwrap();
    let full = |mut i: i64| {
        let mut parts = Vec::new();
        while i >= 0 {
            let p = &paths[i as usize];
            parts.push(p[1].as_str().unwrap().to_string());
            i = p[0].as_i64().unwrap();
        }
        parts.reverse();
        parts.join("/")
    };
    view["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {} {}",
                r[2].as_str().unwrap(),
                full(r[0].as_i64().unwrap()),
                r[1]
            )
        })
        .collect()
}

#[test]
fn the_report_embeds_each_chain_nodes_views_once() {
    let tmp = temp_dir("explorer-data");
    let fixture = repo_root().join("testdata/fixtures/forensics.tar");
    let html = html_report(tmp.path(), &[fixture.to_str().unwrap()]);
    let page = std::fs::read_to_string(&html).unwrap();
    let index: Value = serde_json::from_str(element(&page, "explorer-data")).unwrap();
    assert_eq!(index["cap"], 2000);
    // 11 layers, 8 distinct; 9 ChainID nodes (the app layer sits on two bases).
    let nodes = index["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 9);
    assert_eq!(page.matches("id=\"explorer-node-").count(), 9);
    let report: Value = serde_json::from_str(element(&page, "report-data")).unwrap();
    let waste = report["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["refs"][0] == "acme/waste:1")
        .unwrap();
    let ximg = index["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == waste["id"])
        .unwrap();
    let path = ximg["nodes"].as_array().unwrap();
    assert_eq!(path.len(), 5);
    // The base layer is one node, in the three images built on it.
    assert_eq!(nodes[path[0].as_u64().unwrap() as usize]["images"], 3);
    let node = |depth: usize| -> Value {
        let n = path[depth].as_u64().unwrap();
        serde_json::from_str(element(&page, &format!("explorer-node-{n}"))).unwrap()
    };
    // #3 `rm -rf /srv /lib/libz.copy`: two deletions (with the bytes they hid) and lib.
    let n3 = node(2);
    assert_eq!(
        rows(&index, &n3["changed"]),
        ["dM lib 0", "fD lib/libz.copy 4000", "dD srv 1200"]
    );
    assert_eq!(n3["changed"]["entries"], 3);
    // #4 empties opt/data (opaque marker) and fills it again.
    let n4 = node(3);
    assert_eq!(
        rows(&index, &n4["changed"]),
        [
            "dM opt 700",
            "dM opt/data 700",
            "fD opt/data/a 2000",
            "fD opt/data/b 1500",
            "fA opt/data/c 700"
        ]
    );
    assert_eq!(
        rows(&index, &n4["fs"]),
        [
            "d etc 500",
            "f etc/conf 500",
            "d lib 4000",
            "f lib/libz 4000",
            "h lib/libz.hard 0",
            "dM opt 700",
            "dM opt/data 700",
            "fA opt/data/c 700",
            "d usr 800",
            "d usr/doc 800",
            "f usr/doc/empty 0",
            "f usr/doc/readme 800"
        ]
    );
    assert_eq!(
        (&n4["fs"]["entries"], &n4["fs"]["more_entries"]),
        (&Value::from(12), &Value::from(0))
    );
}
