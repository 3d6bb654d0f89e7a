//! Ledger, waste, duplicates and families on `forensics.tar`, whose figures are worked
//! out by hand here (the oracle checks them independently too), and dive's public test
//! image, whose efficiency figures dive itself publishes.

use layerlens::{ImageReport, Report};

use crate::common::*;

fn image<'a>(report: &'a Report, name: &str) -> &'a ImageReport {
    report
        .images
        .iter()
        .find(|i| i.refs.iter().any(|r| r == name))
        .unwrap_or_else(|| panic!("no image {name}"))
}

#[test]
fn every_image_is_final_plus_wasted() {
    let mut inputs = vec![fixture("forensics.tar"), fixture("legacy-two-images.tar")];
    if let Some(dir) = public_dir() {
        inputs.push(
            dir.join("dive/.data/test-docker-image.tar")
                .to_string_lossy()
                .into_owned(),
        );
    }
    let report = analyze(&inputs);
    for img in &report.images {
        assert_eq!(img.size, img.final_size + img.wasted_size, "{:?}", img.refs);
        assert_eq!(img.wasted_size, img.overwritten_size + img.deleted_size);
        assert_eq!(img.size, img.chain_shared_size + img.chain_unique_size);
        assert!((0.0..=1.0).contains(&img.efficiency));
    }
    let t = &report.totals;
    assert!(t.naive_size >= t.chain_dedup_size);
    assert!(t.chain_dedup_size >= t.dedup_size);
}

#[test]
fn hand_computed_waste() {
    let report = analyze(&[fixture("forensics.tar")]);
    let w = image(&report, "acme/waste:1");
    // base 16,500 (etc/conf 3,000; opt/data/a 2,000, b 1,500; srv/x 1,000, srv/sub/y 200;
    // lib/libz 4,000 + lib/libz.copy 4,000 + a hardlink; usr/doc/readme 800) + 500 + 700 + 50.
    assert_eq!(w.size, 17_750);
    // etc/conf replaced by a 500-byte copy.
    assert_eq!(w.overwritten_size, 3_000);
    // .wh.srv (1,200), .wh.libz.copy (4,000), opaque opt/data (3,500), usr/doc a file (800).
    assert_eq!(w.deleted_size, 9_500);
    assert_eq!(w.final_size, 500 + 4_000 + 700 + 50);
    assert_eq!(w.wasted_size, 12_500);
    // lib/libz.copy was deleted, so no duplicate is left.
    assert_eq!(w.duplicate_size, 0);
    let top = &w.top_waste[0];
    assert_eq!((top.path.as_str(), top.size), ("lib/libz.copy", 4_000));
    assert_eq!((top.added_by, top.hidden_by), (0, 2));
    assert!(top
        .hidden_by_command
        .as_deref()
        .unwrap()
        .contains("rm -rf /srv"));

    let a = image(&report, "acme/svc-a:1");
    assert_eq!(a.duplicate_size, 4_000);
    assert_eq!(a.duplicates[0].paths, ["lib/libz", "lib/libz.copy"]);
}

#[test]
fn hand_computed_ledger_and_families() {
    let report = analyze(&[fixture("forensics.tar")]);
    let t = &report.totals;
    assert_eq!(t.naive_size, 17_750 + 18_300 + 18_000 + 4_300);
    assert_eq!(
        t.dedup_size,
        16_500 + 500 + 700 + 50 + 1_800 + 1_500 + 2_500
    );
    // The app layer is stored twice: on the shared base and on other/rebased's base.
    assert_eq!(t.chain_dedup_size, t.dedup_size + 1_800);
    assert_eq!(t.content_dedup_size, 18_950);

    let rebased = image(&report, "other/rebased:1");
    assert_eq!(rebased.shared_size, 1_800);
    assert_eq!(rebased.chain_shared_size, 0);
    let b = image(&report, "acme/svc-b:1");
    assert_eq!((b.chain_shared_size, b.chain_unique_size), (16_500, 1_500));

    assert_eq!(report.families.len(), 2);
    let acme = &report.families[0];
    assert_eq!(acme.name, "acme/*");
    assert_eq!((acme.depth, acme.size, acme.images.len()), (1, 16_500, 3));
    assert_eq!(acme.children.len(), 3);
    assert_eq!(report.families[1].name, "other/rebased:1");

    let rebase = report
        .near_shared
        .iter()
        .find(|n| n.kind == layerlens::forensics::families::NearSharedKind::Rebased)
        .expect("the app layer sits on two parents");
    assert_eq!((rebase.size, rebase.savable_size), (1_800, 1_800));
    // app/blob and srv-b/blob: one content shipped by two layers (the app layer on two
    // parents is one layer, one blob).
    assert_eq!(report.duplicates.saved_size, 600);
}

#[test]
fn dive_test_image_matches_dives_published_figures() {
    let Some(dir) = public_dir() else { return };
    let input = dir.join("dive/.data/test-docker-image.tar");
    let report = analyze(&[input.to_string_lossy().into_owned()]);
    let img = &report.images[0];
    // dive's own test (runtime/ci, image analysis): efficiency 0.9844212134184309,
    // size 1,220,598, user size 66,237, wasted 32,025.
    assert_eq!(img.size, 1_220_598);
    assert_eq!(img.user_size, 66_237);
    assert_eq!(img.dive_wasted_size, 32_025);
    assert!((img.efficiency - 0.9844212134184309).abs() < 1e-15);
    // Ours: the whiteouts of layers 7 and 9 delete, two chmods overwrite.
    assert_eq!(img.deleted_size, 19_215);
    assert_eq!(img.overwritten_size, 12_810);
}
