//! The first screen of `analyze` (`present::text::render_screen`) on generated sets: its
//! figures are the report's, it fits 100 columns and at most 60 lines however many
//! images there are; and the full text lists what several images share once.

use std::path::Path;

use layerlens::present::grouped;
use layerlens::present::text::{
    render_csv, render_screen, render_sections, render_text, TextOptions, SCREEN_LINES,
};
use layerlens::Report;
use layerlens_testtools::synth::{generate, SynthFormat, SynthOptions, SynthShape};

use crate::common::{analyze, scratch};

/// `--shape many --images N` at the smallest scale.
fn many(dir: &Path, images: usize) -> Report {
    let out = dir.join("many.tar");
    let mut opts = SynthOptions::new(1 << 20, SynthFormat::Docker);
    opts.shape = SynthShape::Many { images };
    opts.threads = 2;
    generate(&out, &opts).unwrap();
    analyze(&[out.to_string_lossy().into_owned()])
}

fn exact() -> TextOptions {
    TextOptions {
        exact_bytes: true,
        ..TextOptions::default()
    }
}

/// The line of `text` that starts (after its indent) with `label`, split in words.
fn row<'t>(text: &'t str, label: &str) -> Vec<&'t str> {
    text.lines()
        .find(|l| l.trim_start().starts_with(&format!("{label} ")))
        .unwrap_or_else(|| panic!("no {label} line in\n{text}"))
        .split_whitespace()
        .collect()
}

#[test]
fn first_screen_shows_the_reports_ledger_kinds_and_recommendations_within_100_columns() {
    let dir = scratch("screen-many12");
    let report = many(&dir, 12);
    let text = render_screen(&report, &exact());
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 44, "{text}");
    for l in &lines {
        assert!(l.chars().count() <= 100, "too wide: {l:?}");
    }
    let t = &report.totals;
    assert_eq!(row(&text, "naive")[1], grouped(t.naive_size));
    assert_eq!(row(&text, "stored")[1], grouped(t.dedup_size));
    assert_eq!(row(&text, "content")[1], grouped(t.content_dedup_size));
    assert_eq!(
        (t.naive_size, t.dedup_size, t.content_dedup_size),
        (47_251_419, 7_944_184, 7_901_782)
    );
    // Where the bytes go: stored and naive, now and after, as the report has them.
    let total = row(&text, "total");
    let stored = report.stored_summary.last().unwrap();
    let naive = report.summary.last().unwrap();
    assert_eq!(stored.current, t.dedup_size);
    assert_eq!(naive.current, t.naive_size);
    assert_eq!(
        total[1..],
        [stored.current, stored.target, naive.current, naive.target].map(grouped)
    );
    assert_eq!((stored.target, naive.target), (3_547_160, 11_663_509));
    // The stored reduction is what the per-kind recommendations save.
    let per_kind: u64 = report
        .recommendations
        .iter()
        .filter(|r| ["remove-caches", "remove-docs", "multi-stage", "slim-base"].contains(&&*r.id))
        .map(|r| r.savings)
        .sum();
    assert_eq!(stored.reduction, per_kind);
    // The top recommendation, with its stored and naive savings.
    let top = &report.recommendations[0];
    let rec = row(&text, &top.id);
    assert_eq!(
        rec[1..3],
        [grouped(top.savings), grouped(top.naive_savings)]
    );
    assert_eq!((top.id.as_str(), top.savings), ("remove-docs", 2_875_816));
    assert!(lines.last().unwrap().ends_with("summary"), "{text}");
}

#[test]
fn first_screen_of_1000_images_stays_within_60_lines() {
    let dir = scratch("screen-many1000");
    let report = many(&dir, 1000);
    let text = render_screen(&report, &TextOptions::default());
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() <= SCREEN_LINES, "{text}");
    assert_eq!(lines.len(), 44, "{text}");
    for l in &lines {
        assert!(l.chars().count() <= 100, "too wide: {l:?}");
    }
    assert!(text.contains("LARGEST IMAGES: 8 of 1000\n"), "{text}");
    assert!(
        text.contains("  992 more images: --section images\n"),
        "{text}"
    );
}

#[test]
fn full_text_lists_waste_and_duplicates_of_shared_layers_once_with_their_image_count() {
    let dir = scratch("screen-many12-full");
    let report = many(&dir, 12);
    let o = TextOptions::default();
    let waste = render_sections(&report, 10, &["top_waste".into()], &o).unwrap();
    let per_image: usize = report
        .images
        .iter()
        .map(|i| i.top_waste.len().min(10))
        .sum();
    assert_eq!(waste.lines().count() - 2, 5, "{waste}");
    assert_eq!(per_image, 30);
    assert!(
        waste.contains(" 6 images  var/cache/debconf/templates.dat\n"),
        "{waste}"
    );
    // CSV keeps a row per image.
    let csv = render_csv(&report, 10, Some("top_waste")).unwrap();
    assert_eq!(csv.lines().count() - 1, per_image);
    // --full is every table, shared rows once.
    let full = render_text(&report, 10, &o);
    assert!(full.contains(&waste), "{full}");
}
