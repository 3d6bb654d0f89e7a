//! Bytes as a file the layer walk's detectors want: the first byte picks the path and
//! mode (a jar, a gemspec, an executable, a `.env`, a private key file) and the chunk
//! size, the rest is the content; also every image-config scan on the same text.
#![no_main]
use libfuzzer_sys::fuzz_target;
use layerlens_sniff::{scan_config, start, ConfigField, Flow};

const FILES: [(&str, u32); 6] = [
    ("app/lib/a-1.jar", 0o644),
    ("usr/local/bundle/specifications/a-1.0.gemspec", 0o644),
    ("usr/local/bin/svc", 0o755),
    ("app/.env", 0o644),
    ("root/.ssh/id_ed25519", 0o600),
    ("etc/app/config.yml", 0o644),
];

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    let (path, mode) = FILES[which as usize % FILES.len()];
    let chunk = 1 + (which as usize / FILES.len()) * 97;
    if let Some(mut s) = start(path, body.len() as u64, mode) {
        for c in body.chunks(chunk) {
            if s.feed(c) == Flow::Done {
                break;
            }
        }
        let _ = s.finish();
    }
    let text = String::from_utf8_lossy(body);
    for field in [
        ConfigField::Env,
        ConfigField::History,
        ConfigField::Label { key: "db-password" },
        ConfigField::Other,
    ] {
        for f in scan_config(field, &text) {
            // An excerpt never holds more than a 4-character public prefix.
            assert!(f.excerpt.shown.chars().count() <= 4, "{f}");
        }
    }
});
