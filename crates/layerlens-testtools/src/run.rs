//! Running the library over built bytes: both ways a file is read, and the small
//! limits fuzzing uses.
#![allow(clippy::result_large_err)]

use layerlens::{Analyzer, Error, ImageSet, Limits, Options};

/// Analyse archive bytes both ways the library reads a file: indexed with positional
/// reads (written to a temporary file) and as one streamed pass from a reader.
/// Returns (indexed, streamed) and the indexed input's path.
pub fn both_ways(
    tag: &str,
    bytes: &[u8],
    opts: &Options,
) -> (Result<ImageSet, Error>, Result<ImageSet, Error>, String) {
    let dir = crate::io::temp_dir(tag);
    let path = crate::io::write_file(dir.path(), &format!("{tag}.tar"), bytes);
    let analyzer = Analyzer::new(opts.clone());
    let indexed = analyzer.analyze(&[path.as_str()]);
    let streamed = analyzer.analyze_reader(tag, bytes);
    (indexed, streamed, path)
}

/// Stream bytes through `analyze_reader`.
pub fn streamed(tag: &str, bytes: &[u8], opts: &Options) -> Result<ImageSet, Error> {
    Analyzer::new(opts.clone()).analyze_reader(tag, bytes)
}

/// One thread and small limits, so that no input (fuzzed, mutated) can make one run
/// slow or large.
pub fn small_limits() -> Options {
    Options::default().threads(1).limits(
        Limits::default()
            .max_entries_per_layer(10_000)
            .max_layer_bytes(64 << 20)
            .max_compression_ratio(100)
            .ratio_floor_bytes(1 << 20)
            .max_json_bytes(1 << 20)
            .max_buffered_bytes(8 << 20)
            .max_path_bytes(4096)
            .max_members(10_000)
            .max_index_depth(16),
    )
}

/// What every run on arbitrary bytes must satisfy: no panic (the caller got here), and
/// every error names the input it happened in (none is an options error or an
/// interrupt: nothing asked for those).
pub fn check_names_the_input(name: &str, r: &Result<ImageSet, Error>) {
    if let Err(e) = r {
        match e {
            Error::Interrupted | Error::Options(_) => panic!("unexpected {e}"),
            _ => assert!(e.to_string().starts_with(name), "{e}"),
        }
    }
}
