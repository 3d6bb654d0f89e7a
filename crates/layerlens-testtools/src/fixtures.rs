//! Where the committed fixtures and the public samples are.

use std::path::PathBuf;

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// The path of `testdata/fixtures/<name>`.
pub fn fixture(name: &str) -> String {
    repo_root()
        .join("testdata/fixtures")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// The public samples beside the checkout (`../shared/testdata/public`). Missing
/// samples fail the test under CI and skip it (loudly) elsewhere.
pub fn public_dir() -> Option<PathBuf> {
    let dir = repo_root().join("../shared/testdata/public");
    if dir.join("SOURCES.md").exists() {
        return Some(dir);
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "CI is set but the public samples are missing at {}",
            dir.display()
        );
    }
    eprintln!("skipping: public samples not found at {}", dir.display());
    None
}
