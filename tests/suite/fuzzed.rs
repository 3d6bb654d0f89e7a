//! Inputs found by fuzzing (fuzz/ targets) and the property test that mutates the
//! fixtures in the normal suite.

use layerlens::Analyzer;
use layerlens_testtools::run::{check_names_the_input, small_limits};
use proptest::prelude::*;

use crate::common::fixture;

/// Analyse bytes as a stream, with the fuzz targets' limits; every error must name the
/// input.
pub fn analyze_bytes_names_the_input(bytes: &[u8]) {
    let r = Analyzer::new(small_limits()).analyze_reader("mutant", bytes);
    check_names_the_input("mutant", &r);
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, mask: u8 },
    Truncate { at: usize },
    Insert { at: usize, bytes: Vec<u8> },
}

fn apply(mut data: Vec<u8>, muts: &[Mutation]) -> Vec<u8> {
    for m in muts {
        let len = data.len().max(1);
        match m {
            Mutation::Flip { at, mask } => {
                if !data.is_empty() {
                    data[at % len] ^= mask;
                }
            }
            Mutation::Truncate { at } => data.truncate(at % len),
            Mutation::Insert { at, bytes } => {
                let at = at % len.min(data.len() + 1).max(1);
                data.splice(at..at, bytes.iter().copied());
            }
        }
    }
    data
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), 1u8..=255).prop_map(|(at, mask)| Mutation::Flip { at, mask }),
        1 => any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        1 => (any::<usize>(), proptest::collection::vec(any::<u8>(), 1..64))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_fixtures_never_panic_and_errors_name_the_input(
        which in 0usize..4,
        muts in proptest::collection::vec(mutation(), 1..4),
    ) {
        let name = ["docker25.tar", "legacy-two-images.tar.gz", "oci-zstd.tar", "pre110.tar"][which];
        let data = std::fs::read(fixture(name)).unwrap();
        analyze_bytes_names_the_input(&apply(data, &muts));
    }
}
