//! Median analysis time per frame on image files, by resolution (decoding excluded):
//! `cargo run --release --example time_frames -- ../shared/data/dev/frames/*.jpg`
use std::collections::BTreeMap;
use std::time::Instant;

use idshot::analysis::{Analyzer, Spec};

fn main() -> anyhow::Result<()> {
    let mut analyzer = Analyzer::new(Spec::default());
    let mut times: BTreeMap<(u32, u32), Vec<f64>> = BTreeMap::new();
    for path in std::env::args().skip(1) {
        let frame = image::open(&path)?.to_rgb8();
        let start = Instant::now();
        std::hint::black_box(analyzer.analyze(&frame));
        times
            .entry(frame.dimensions())
            .or_default()
            .push(start.elapsed().as_secs_f64() * 1e3);
    }
    let mut all = Vec::new();
    for ((w, h), mut t) in times {
        t.sort_by(f64::total_cmp);
        println!(
            "{w}x{h}: {} frames, median {:.2} ms, p95 {:.2} ms",
            t.len(),
            t[t.len() / 2],
            t[(t.len() * 95 / 100).min(t.len() - 1)]
        );
        all.extend(t);
    }
    all.sort_by(f64::total_cmp);
    if !all.is_empty() {
        let mean = all.iter().sum::<f64>() / all.len() as f64;
        println!(
            "all: {} frames, median {:.2} ms, mean {:.2} ms",
            all.len(),
            all[all.len() / 2],
            mean
        );
    }
    Ok(())
}
