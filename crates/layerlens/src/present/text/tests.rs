use super::*;
use crate::attribution::packages::Manager;
use crate::attribution::{ByKind, ByOrigin, PackageUsage};
use crate::forensics::families::{FamilyNode, NearShared, NearSharedKind};
use crate::forensics::waste::WasteCause;
use crate::present::sample::{digest, image, layer, report};
use crate::report::recommend::{Reclaimable, Recommendation, SetPackage, SummaryRow};
use crate::report::{Totals, WasteEntry};

fn package(manager: Manager, name: &str, version: &str, size: u64) -> PackageUsage {
    PackageUsage {
        manager,
        name: name.into(),
        version: version.into(),
        size,
        files: 10,
        layer: 0,
        created_by: None,
        diff_id: digest("aa"),
        provided_by: None,
    }
}

/// One image with forensics and attribution (no families, near-shared layers, set
/// packages or summary).
fn sample() -> Report {
    let mut img = image(&["acme/app:1"], "0123456789abcdef");
    img.size = 3000;
    img.shared_size = 1000;
    img.unique_size = 2000;
    img.layers = vec![layer(
        "a".repeat(16).as_str(),
        3000,
        3,
        "/bin/sh -c echo \"a,b\"",
    )];
    img.efficiency = 0.5;
    img.top_waste = vec![WasteEntry {
        path: "x,y".into(),
        size: 10,
        cause: WasteCause::Deleted,
        added_by: 0,
        added_by_command: None,
        hidden_by: 0,
        hidden_by_command: None,
    }];
    img.by_origin = ByOrigin {
        base: 1000,
        own: 2000,
    };
    img.by_kind = ByKind {
        app: 1500,
        caches: 500,
        wasted: 1000,
        ..ByKind::default()
    };
    img.packages = vec![
        package(Manager::Dpkg, "libc6", "2.36", 900),
        package(Manager::Python, "numpy", "1.0", 1900),
    ]
    .into();
    let id = img.id.clone();
    let mut r = report(vec![img]);
    r.totals = Totals {
        images: 1,
        layers: 1,
        unique_layers: 1,
        naive_size: 3000,
        dedup_size: 3000,
        chain_dedup_size: 3000,
        content_dedup_size: 2000,
        ..Totals::default()
    };
    r.recommendations = vec![Recommendation {
        id: "clean-apt-cache".into(),
        title: "Remove apt lists".into(),
        savings: 500,
        images: vec![id],
        naive_savings: 500,
        details: Vec::new(),
    }];
    r.reclaimable = Some(Reclaimable {
        naive: 1500,
        blob: 1500,
        chain: 1400,
        content: 0,
    });
    r
}

/// [`sample`] with data for every table.
fn full() -> Report {
    let mut r = sample();
    let id = r.images[0].id.clone();
    r.images[0].duplicates = vec![crate::forensics::duplicates::DuplicateGroup {
        digest: crate::ContentDigest(7),
        size: 5,
        paths: vec!["a".into(), "b".into()],
        saved_size: 5,
    }];
    r.images[0].findings = vec![crate::report::Finding {
        kind: crate::report::FindingKind::Secret,
        path: Some("app/.env".into()),
        config: None,
        layer: Some(0),
        created_by: Some("COPY . /app".into()),
        hidden: true,
        rule: Some("github-token".into()),
        line: Some(3),
        excerpt: Some("ghp_…(40)".into()),
        mode: None,
    }];
    r.families = vec![FamilyNode {
        name: "acme/*".into(),
        chain_id: digest("cc"),
        depth: 1,
        size: 3000,
        images: vec![id.clone()],
        naive_size: 3000,
        stored_size: 3000,
        children: Vec::new(),
    }];
    r.near_shared = vec![NearShared {
        kind: NearSharedKind::SameContent,
        diff_ids: vec![digest("d1"), digest("d2")],
        chain_ids: vec![digest("c1"), digest("c2")],
        size: 100,
        savable_size: 100,
        images: vec![id.clone()],
    }];
    r.packages = vec![SetPackage {
        manager: Manager::Npm,
        name: "left-pad".into(),
        version: "1.3.0".into(),
        size: 10,
        layers: 2,
        images: 1,
        stored_size: 20,
    }];
    r.summary = vec![SummaryRow {
        component: "total".into(),
        current: 3000,
        target: 2500,
        reduction: 500,
    }];
    r
}

#[test]
fn attribution_tables_appear_when_present() {
    let names: Vec<_> = tables(&sample(), 10).iter().map(|t| t.name).collect();
    for n in [
        "images",
        "by_origin",
        "by_kind",
        "packages",
        "recommendations",
        "reclaimable",
        "top_waste",
    ] {
        assert!(names.contains(&n), "{n} missing from {names:?}");
    }
    let text = render_text(&sample(), 1, &TextOptions::default());
    assert!(text.contains("numpy") && !text.contains("libc6"), "{text}");
    assert!(text.contains("clean-apt-cache"), "{text}");
    assert!(!text.contains('\x1b'));
    for l in text.lines() {
        assert!(l.chars().count() <= 100, "{l}");
    }
}

#[test]
fn absent_data_leaves_tables_out() {
    let mut r = sample();
    let img = &mut r.images[0];
    img.by_kind = ByKind::default();
    img.packages = Vec::new().into();
    r.recommendations.clear();
    r.reclaimable = None;
    let names: Vec<_> = tables(&r, 10).iter().map(|t| t.name).collect();
    // `by_origin` is plain data in every image (zero without attribution), so its
    // table is there as long as there are images.
    assert_eq!(
        names,
        [
            "images",
            "layers",
            "ledger",
            "waste",
            "top_waste",
            "by_origin"
        ],
        "{names:?}"
    );
}

#[test]
fn every_listed_table_is_built_under_its_name() {
    let names: Vec<_> = tables(&full(), 10).iter().map(|t| t.name).collect();
    assert_eq!(names, TABLE_NAMES);
    for name in TABLE_NAMES {
        let csv = render_csv(&full(), 10, Some(name)).unwrap();
        assert!(csv.ends_with("\r\n"), "{name}: {csv:?}");
    }
}

#[test]
fn csv_quotes_and_keeps_exact_bytes() {
    let csv = render_csv(&sample(), 10, Some("top_waste")).unwrap();
    let mut lines = csv.split("\r\n");
    assert_eq!(
        lines.next().unwrap(),
        "image,size,cause,layers,path,added_by,added_by_command,hidden_by,hidden_by_command"
    );
    assert_eq!(
        lines.next().unwrap(),
        "acme/app:1,10,deleted,#1 → #1,\"x,y\",1,,1,"
    );
    let all = render_csv(&sample(), 10, None).unwrap();
    assert!(all.starts_with("table,image,id,size"), "{all}");
    assert!(all.contains("\r\n\r\ntable,image,#,layer"), "{all}");
    assert!(all.contains("layers,acme/app:1,1,aaaaaaaaaaaa,3000,3,\"RUN echo \"\"a,b\"\"\""));
    assert!(render_csv(&sample(), 10, Some("nope")).is_err());
    assert_eq!(
        render_csv(&report(vec![]), 10, Some("packages")).unwrap(),
        ""
    );
}

#[test]
fn colours_and_exact_bytes() {
    let o = TextOptions {
        color: true,
        exact_bytes: true,
        ..TextOptions::default()
    };
    let text = render_text(&sample(), 10, &o);
    assert!(text.contains("\x1b[1;36mIMAGES"), "{text}");
    assert!(text.contains("3,000"), "{text}");
    assert_eq!(bar(0.5, 4), "██");
    assert_eq!(bar(1.0 / 16.0, 2), "▏");
    assert_eq!(bar(2.0, 1), "█");
}
