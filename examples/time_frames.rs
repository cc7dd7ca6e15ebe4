//! Median analysis time per frame on image files, by resolution (decoding excluded):
//! `cargo run --release --no-default-features --example time_frames -- [--rounds N] [--size WxH]
//! ../shared/data/dev/frames/*.jpg`
//!
//! Each frame is decoded once, then analysed `--rounds` times (default 1); `--size` keeps only
//! frames of that resolution. For instruction counts (valgrind, perf), a run with `--rounds 0`
//! decodes only, so the difference of two runs is the analysis alone.
use std::collections::BTreeMap;
use std::time::Instant;

use anyhow::Context;
use idshot::analysis::{Analyzer, Spec};

fn main() -> anyhow::Result<()> {
    let mut rounds = 1usize;
    let mut size: Option<(u32, u32)> = None;
    let mut paths = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--rounds" => rounds = args.next().context("--rounds N")?.parse()?,
            "--size" => {
                let text = args.next().context("--size WxH")?;
                let (w, h) = text.split_once('x').context("--size WxH")?;
                size = Some((w.parse()?, h.parse()?));
            }
            _ => paths.push(arg),
        }
    }
    let mut analyzer = Analyzer::new(Spec::default());
    let mut times: BTreeMap<(u32, u32), Vec<f64>> = BTreeMap::new();
    for path in &paths {
        let frame = image::open(path)?.to_rgb8();
        if size.is_some_and(|s| s != frame.dimensions()) {
            continue;
        }
        for _ in 0..rounds {
            let start = Instant::now();
            std::hint::black_box(analyzer.analyze(&frame));
            times
                .entry(frame.dimensions())
                .or_default()
                .push(start.elapsed().as_secs_f64() * 1e3);
        }
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
