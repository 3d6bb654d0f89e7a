//! Partial results: a set analysed in pieces (`analyze --partial`) and merged gives the
//! same report, byte for byte, as one run over every input.

use layerlens::{Analyzer, ImageSet, Options, Report};
use layerlens_testtools::synth::{generate, SynthFormat, SynthOptions};

use crate::common::{fixture, scratch};

fn set_of(inputs: &[String]) -> ImageSet {
    Analyzer::new(Options::default())
        .analyze(inputs)
        .unwrap_or_else(|e| panic!("analysing {inputs:?}: {e}"))
}

fn inputs() -> Vec<String> {
    let dir = scratch("partial-inputs");
    let fleet = dir.join("fleet.tar");
    generate(&fleet, &SynthOptions::new(2 << 20, SynthFormat::Docker)).unwrap();
    let mut v: Vec<String> = [
        "legacy-two-images.tar",
        "docker25.tar",
        "oci-gzip.tar",
        "oci-dir",
        "cimage.tar",
        "legacy-two-images.tar.zst",
        "oci-multiplatform",
        "oci-zstd.tar",
    ]
    .iter()
    .map(|f| fixture(f))
    .collect();
    v.insert(3, fleet.to_string_lossy().into_owned());
    v
}

#[test]
fn split_runs_merge_to_byte_identical_json() {
    let inputs = inputs();
    let whole = Report::new(&set_of(&inputs)).to_json();
    for pieces in [1, 2, 3, inputs.len()] {
        let chunk = inputs.len().div_ceil(pieces);
        // Each piece goes through its JSON form, as it would between machines.
        let partials: Vec<ImageSet> = inputs
            .chunks(chunk)
            .map(|c| ImageSet::from_partial_json(set_of(c).to_partial_json().as_bytes()).unwrap())
            .collect();
        let merged = Report::new(&ImageSet::merge(partials.clone())).to_json();
        assert!(merged == whole, "{pieces} pieces: merged report differs");
        // Merging is associative: merge the merge of the first two with the rest.
        if partials.len() >= 3 {
            let mut rest = partials;
            let tail = rest.split_off(2);
            let first = ImageSet::merge(rest);
            let again = ImageSet::merge(std::iter::once(first).chain(tail));
            assert!(
                Report::new(&again).to_json() == whole,
                "staged merge differs"
            );
        }
    }
}

#[test]
fn a_report_is_not_a_partial() {
    let report = Report::new(&set_of(&[fixture("docker25.tar")])).to_json();
    let err = ImageSet::from_partial_json(report.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("layerlens-partial/v1"), "{err}");
}
