//! Two Python services on one Debian-like base, for `diff` and package ownership: the
//! base's dpkg package `python3-pip` ships `pip`'s `.dist-info` (with a `RECORD`), so
//! the Python distribution `pip` is provided by it; the services pip-install different
//! distributions into `usr/local/lib/python3.11/site-packages`.
//!
//! Every file is `size` bytes of one letter, so every figure is worked out by hand:
//! a distribution's bytes are its files' sizes plus its `RECORD`'s length
//! ([`record`] writes it).

use serde_json::json;

use crate::archive::{default_config, Blob, ImageArchive, LayerWriter, Layout};

/// Where the services install their distributions.
pub const SITE: &str = "usr/local/lib/python3.11/site-packages";

/// A distribution: name (as its `.dist-info` spells it), version, files under the
/// site directory with their sizes.
pub type Dist = (&'static str, &'static str, &'static [(&'static str, u64)]);

/// Orders' distributions (image A).
pub const ORDERS: &[Dist] = &[
    (
        "SQLAlchemy",
        "2.0.30",
        &[
            ("sqlalchemy/__init__.py", 5_000),
            ("sqlalchemy/orm.py", 7_000),
        ],
    ),
    ("greenlet", "3.0.3", &[("greenlet/_greenlet.so", 4_000)]),
    (
        "psycopg2_binary",
        "2.9.9",
        &[("psycopg2/_psycopg.so", 6_000)],
    ),
    (
        "typing_extensions",
        "4.12.2",
        &[("typing_extensions.py", 3_000)],
    ),
    ("requests", "2.31.0", &[("requests/api.py", 4_000)]),
];

/// Auth's distributions (image B).
pub const AUTH: &[Dist] = &[
    ("PyJWT", "2.8.0", &[("jwt/__init__.py", 2_000)]),
    (
        "cffi",
        "1.16.0",
        &[("cffi/api.py", 2_500), ("_cffi_backend.so", 9_000)],
    ),
    (
        "cryptography",
        "42.0.5",
        &[("cryptography/hazmat.so", 12_000)],
    ),
    ("pycparser", "2.22", &[("pycparser/c_parser.py", 3_500)]),
    ("requests", "2.32.3", &[("requests/api.py", 4_200)]),
];

/// The files of `python3-pip` under `usr/lib/python3/dist-packages`, with their sizes.
pub const PIP_FILES: &[(&str, u64)] = &[
    ("pip/__init__.py", 1_000),
    ("pip/_internal/cli.py", 3_000),
    ("pip-23.0.1.dist-info/METADATA", 500),
];

/// The `RECORD` of a distribution: each file (`path,,`) and the `RECORD` itself.
pub fn record(name: &str, version: &str, files: &[(&str, u64)]) -> String {
    let mut s = String::new();
    for (p, _) in files {
        s.push_str(&format!("{p},,\n"));
    }
    s.push_str(&format!("{name}-{version}.dist-info/RECORD,,\n"));
    s
}

fn file(w: &mut LayerWriter<Vec<u8>>, path: &str, data: &[u8]) {
    w.file(path, data.len() as u64, 0o644, data)
        .expect("writing to memory");
}

fn filled(w: &mut LayerWriter<Vec<u8>>, path: &str, size: u64, fill: u8) {
    file(w, path, &vec![fill; size as usize]);
}

/// The base: dpkg's status (`python3-pip`, `libssl3`), their `.list` files, their
/// files (pip's `.dist-info` with its `RECORD` among them).
pub fn base_layer() -> Vec<u8> {
    let mut w = LayerWriter::new(Vec::new());
    let dp = "usr/lib/python3/dist-packages";
    let status = "Package: libssl3\nStatus: install ok installed\nVersion: 3.0.11-1\n\n\
                  Package: python3-pip\nStatus: install ok installed\nVersion: 23.0.1+dfsg-1\n";
    file(&mut w, "var/lib/dpkg/status", status.as_bytes());
    let record = record("pip", "23.0.1", PIP_FILES);
    let mut list = String::new();
    for (p, _) in PIP_FILES {
        list.push_str(&format!("/{dp}/{p}\n"));
    }
    list.push_str(&format!("/{dp}/pip-23.0.1.dist-info/RECORD\n"));
    file(
        &mut w,
        "var/lib/dpkg/info/python3-pip.list",
        list.as_bytes(),
    );
    file(
        &mut w,
        "var/lib/dpkg/info/libssl3.list",
        b"/usr/lib/x86_64-linux-gnu/libssl.so.3\n",
    );
    filled(&mut w, "usr/lib/x86_64-linux-gnu/libssl.so.3", 20_000, b's');
    for (p, size) in PIP_FILES {
        filled(&mut w, &format!("{dp}/{p}"), *size, b'p');
    }
    file(
        &mut w,
        &format!("{dp}/pip-23.0.1.dist-info/RECORD"),
        record.as_bytes(),
    );
    w.finish().expect("writing to memory")
}

/// `pip install` of `dists` into [`SITE`], and the service's code under `app/<name>`.
pub fn service_layer(name: &str, dists: &[Dist], app: &[(&str, u64)]) -> Vec<u8> {
    let mut w = LayerWriter::new(Vec::new());
    for (dist, version, files) in dists {
        for (p, size) in files.iter() {
            filled(&mut w, &format!("{SITE}/{p}"), *size, b'd');
        }
        let info = format!("{SITE}/{dist}-{version}.dist-info");
        file(
            &mut w,
            &format!("{info}/RECORD"),
            record(dist, version, files).as_bytes(),
        );
    }
    for (p, size) in app {
        filled(&mut w, &format!("app/{name}/{p}"), *size, b'a');
    }
    w.finish().expect("writing to memory")
}

/// `svc/orders:1` (image A) and `svc/auth:1` (image B), each `base_layer` then its
/// service layer, with history commands.
pub fn archive() -> Vec<u8> {
    let mut archive = ImageArchive::new(Layout::DockerMinimal);
    let images = [
        (
            "svc/orders:1",
            service_layer(
                "orders",
                ORDERS,
                &[
                    ("main.py", 800),
                    ("db.py", 1_200),
                    ("static/logo.png", 9_000),
                ],
            ),
        ),
        (
            "svc/auth:1",
            service_layer("auth", AUTH, &[("main.py", 900), ("tokens.py", 1_500)]),
        ),
    ];
    for (tag, layer) in images {
        let mut config = default_config();
        config["history"] = json!([
            {"created_by": "/bin/sh -c apt-get install -y python3-pip"},
            {"created_by": "/bin/sh -c pip install -r requirements.txt"},
        ]);
        archive =
            archive.image_with_config(&[tag], [Blob::tar(base_layer()), Blob::tar(layer)], config);
    }
    archive.finish()
}
