// Shared by the targets: small limits, so a fuzz input cannot make one run slow, and
// the check every run must pass. Both live in layerlens-testtools, where the suite's
// property test (tests/suite/fuzzed.rs) uses them too.
pub use layerlens_testtools::run::small_limits as options;

/// No panic (we got here), and every error names the input it happened in.
#[allow(dead_code)] // not every target runs the whole analysis
pub fn check(name: &str, r: layerlens::Result<layerlens::ImageSet>) {
    layerlens_testtools::run::check_names_the_input(name, &r);
}
