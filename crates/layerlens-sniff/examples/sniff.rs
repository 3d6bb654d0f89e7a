//! `cargo run --example sniff -- FILE...`: run the detectors over files as the walk would
//! (path without the leading `/`, chunks of `CHUNK` bytes, default 65536), print what they find.
use std::io::Read;
use std::os::unix::fs::PermissionsExt;

fn main() {
    let chunk: usize = std::env::var("CHUNK")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(65536);
    for arg in std::env::args().skip(1) {
        let meta = std::fs::metadata(&arg).expect("stat");
        let path = arg.trim_start_matches('/');
        let Some(mut s) = layerlens_sniff::start(path, meta.len(), meta.permissions().mode())
        else {
            println!("{arg}: not wanted");
            continue;
        };
        let mut f = std::fs::File::open(&arg).expect("open");
        let mut buf = vec![0u8; chunk];
        let mut fed = 0u64;
        loop {
            let n = f.read(&mut buf).expect("read");
            if n == 0 {
                break;
            }
            fed += n as u64;
            if s.feed(&buf[..n]) == layerlens_sniff::Flow::Done {
                break;
            }
        }
        let det = s.detector();
        let found = s.finish();
        println!("{arg}: {det:?}, fed {fed} of {} bytes", meta.len());
        for x in found {
            println!("  {}", serde_json::to_string(&x).unwrap());
        }
    }
}
