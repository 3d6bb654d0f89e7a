//! A progress bar on standard error for long runs: bytes, layers, throughput, ETA.

use std::sync::Arc;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use layerlens::{ProgressEvent, ProgressFn};

pub struct Bar {
    bar: ProgressBar,
}

impl Bar {
    pub fn new() -> Bar {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr_with_hz(8));
        bar.set_style(
            ProgressStyle::with_template(
                "{bar:30} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}",
            )
            .expect("a valid template"),
        );
        Bar { bar }
    }

    /// The sink the library reports to (from several threads).
    pub fn sink(&self) -> ProgressFn {
        let bar = self.bar.clone();
        let layers = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let done = Arc::new(std::sync::atomic::AtomicU64::new(0));
        Arc::new(move |event| {
            use std::sync::atomic::Ordering::Relaxed;
            match event {
                ProgressEvent::Planned { layers: n, bytes } => {
                    layers.store(n, Relaxed);
                    bar.set_length(bytes.max(bar.position()));
                }
                ProgressEvent::Bytes(n) => {
                    if bar.length().is_some_and(|len| bar.position() + n > len) {
                        bar.set_length(bar.position() + n);
                    }
                    bar.inc(n);
                }
                ProgressEvent::LayerDone => {
                    let d = done.fetch_add(1, Relaxed) + 1;
                    bar.set_message(format!("{d}/{} layers", layers.load(Relaxed)));
                }
                _ => {}
            }
        })
    }

    pub fn finish(self) {
        self.bar.finish_and_clear();
    }
}
