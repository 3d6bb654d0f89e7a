//! The synthetic fleet generator: deterministic, and every format analyses to the same
//! layer contents.

use layerlens_testtools::synth::{generate, SynthFormat, SynthOptions};

use crate::common::{analyze, scratch};

#[test]
fn every_format_is_deterministic_and_analyses_alike() {
    let dir = scratch("synth-formats");
    let mut totals = Vec::new();
    for format in SynthFormat::ALL {
        let a = dir.join(format!("{}-a.tar", format.name()));
        let b = dir.join(format!("{}-b.tar", format.name()));
        let opts = SynthOptions::new(3 << 20, format);
        let sa = generate(&a, &opts).unwrap();
        let sb = generate(&b, &opts).unwrap();
        assert_eq!(sa, sb);
        assert_eq!(
            std::fs::read(&a).unwrap(),
            std::fs::read(&b).unwrap(),
            "{format:?} is not deterministic"
        );
        assert!(sa.files > 100, "{sa:?}");
        let report = analyze(&[a.to_string_lossy().into_owned()]);
        assert_eq!(report.images.len(), sa.images);
        assert_eq!(report.totals.unique_layers as usize, sa.layers);
        assert_eq!(report.totals.dedup_tar_size, sa.tar_bytes);
        assert!(report
            .images
            .iter()
            .all(|i| i.layers.iter().all(|l| l.verified)));
        totals.push((report.totals.dedup_size, report.totals.naive_size));
    }
    assert!(totals.windows(2).all(|w| w[0] == w[1]), "{totals:?}");
    // A different seed gives different bytes.
    let mut other = SynthOptions::new(3 << 20, SynthFormat::Docker25);
    other.seed = 99;
    let c = dir.join("other.tar");
    generate(&c, &other).unwrap();
    assert_ne!(
        std::fs::read(&c).unwrap(),
        std::fs::read(dir.join("docker25-a.tar")).unwrap()
    );
}
