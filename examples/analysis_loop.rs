//! Analysis time per frame with the decoding kept out of the measurement: every frame is decoded
//! first, then analysed `--rounds` times over. Made for instruction counts under `perf stat`:
//! a run with `--rounds 0` decodes only, so the difference of two runs is the analysis alone.
//!
//! `cargo run --release --no-default-features --example analysis_loop -- [--rounds 5]
//! [--size 1280x720] ../shared/data/dev/frames/*.jpg`

use std::collections::BTreeMap;
use std::time::Instant;

use anyhow::Context;
use idshot::analysis::{Analyzer, Spec};

fn main() -> anyhow::Result<()> {
    let mut rounds = 5usize;
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
    let mut frames = Vec::new();
    for path in &paths {
        let frame = image::open(path)?.to_rgb8();
        if size.is_none_or(|s| s == frame.dimensions()) {
            frames.push(frame);
        }
    }
    let mut analyzer = Analyzer::new(Spec::default());
    let mut times: BTreeMap<(u32, u32), Vec<f64>> = BTreeMap::new();
    for _ in 0..rounds {
        for frame in &frames {
            let start = Instant::now();
            std::hint::black_box(analyzer.analyze(frame));
            times
                .entry(frame.dimensions())
                .or_default()
                .push(start.elapsed().as_secs_f64() * 1e3);
        }
    }
    println!("{} frames, {rounds} rounds", frames.len());
    for ((w, h), mut t) in times {
        t.sort_by(f64::total_cmp);
        let median = t.get(t.len() / 2).copied().unwrap_or(0.0);
        let mean = t.iter().sum::<f64>() / t.len().max(1) as f64;
        println!(
            "{w}x{h}: {} analyses, median {median:.3} ms, mean {mean:.3} ms",
            t.len()
        );
    }
    Ok(())
}
