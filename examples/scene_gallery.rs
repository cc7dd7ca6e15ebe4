//! Writes a PNG contact sheet of varied synthetic scenes: `cargo run --example scene_gallery -- out.png`.

use std::time::Instant;

use anyhow::{Context, bail};
use idshot::analysis::DocKind;
use idshot::scene::{Background, Finger, Glare, Placement, SceneSpec, Shadow, render};
use image::{RgbImage, imageops};

/// Size of each tile in the sheet and of the frames rendered for it.
const TILE: (u32, u32) = (480, 270);
const FRAME: (u32, u32) = (1280, 720);
const COLUMNS: u32 = 3;

fn pose(center: (f32, f32), fill: f32, pitch: f32, yaw: f32, roll: f32) -> Placement {
    Placement::Pose {
        center,
        fill,
        pitch_deg: pitch,
        yaw_deg: yaw,
        roll_deg: roll,
        hfov_deg: 65.0,
    }
}

fn scenes() -> Vec<(&'static str, SceneSpec)> {
    let base = SceneSpec {
        width: FRAME.0,
        height: FRAME.1,
        ..SceneSpec::default()
    };
    vec![
        ("default id1 / wood", base.clone()),
        (
            "td3 / desk, tilted",
            SceneSpec {
                kind: DocKind::Td3,
                seed: 2,
                background: Background::Desk,
                placement: pose((0.5, 0.5), 0.6, 12.0, -8.0, 4.0),
                ..base.clone()
            },
        ),
        (
            "id1 / clutter, fingers",
            SceneSpec {
                seed: 3,
                background: Background::Clutter,
                fingers: vec![Finger::Corner(2), Finger::Side { side: 3, pos: 0.6 }],
                placement: pose((0.48, 0.5), 0.6, -5.0, 10.0, -6.0),
                ..base.clone()
            },
        ),
        (
            "id1 / foliage, glare",
            SceneSpec {
                seed: 4,
                background: Background::Foliage,
                glare: Some(Glare::default()),
                ..base.clone()
            },
        ),
        (
            "td3 / dark, dim",
            SceneSpec {
                kind: DocKind::Td3,
                seed: 5,
                background: Background::Dark,
                exposure: 0.3,
                noise: 4.0,
                placement: pose((0.5, 0.52), 0.55, 0.0, 0.0, 2.0),
                ..base.clone()
            },
        ),
        (
            "id1 / gradient, defocus 4px",
            SceneSpec {
                seed: 6,
                background: Background::Gradient,
                blur_px: 4.0,
                ..base.clone()
            },
        ),
        (
            "id1 / plain, motion 14px",
            SceneSpec {
                seed: 7,
                background: Background::Plain([60, 64, 72]),
                motion_px: 14.0,
                motion_angle_deg: 20.0,
                ..base.clone()
            },
        ),
        (
            "td3 / wood, shadow + thumbs",
            SceneSpec {
                kind: DocKind::Td3,
                seed: 8,
                shadow: Some(Shadow::default()),
                fingers: vec![
                    Finger::Side { side: 2, pos: 0.35 },
                    Finger::Side { side: 2, pos: 0.7 },
                ],
                placement: pose((0.5, 0.47), 0.62, 3.0, 0.0, -2.0),
                ..base.clone()
            },
        ),
        (
            "id1 / desk, overexposed",
            SceneSpec {
                seed: 9,
                background: Background::Desk,
                exposure: 2.5,
                ..base.clone()
            },
        ),
        (
            "id1 / clutter, far + cut off",
            SceneSpec {
                seed: 10,
                background: Background::Clutter,
                placement: pose((0.85, 0.3), 0.45, 0.0, 0.0, 15.0),
                ..base.clone()
            },
        ),
        (
            "td3 / foliage, steep yaw",
            SceneSpec {
                kind: DocKind::Td3,
                seed: 11,
                background: Background::Foliage,
                placement: pose((0.5, 0.5), 0.55, 5.0, 35.0, 0.0),
                ..base.clone()
            },
        ),
        (
            "id1 / dark, corner finger",
            SceneSpec {
                seed: 12,
                background: Background::Dark,
                fingers: vec![Finger::Corner(0)],
                placement: pose((0.5, 0.5), 0.7, 0.0, 0.0, -3.0),
                ..base
            },
        ),
    ]
}

/// Times the default scene at common webcam sizes, cold (new page texture) and warm.
fn time_renders() {
    for (w, h) in [(1280, 720), (1920, 1080), (3840, 2160)] {
        for (label, seed) in [("cold", 1000 + w as u64), ("warm", 1000 + w as u64)] {
            let spec = SceneSpec {
                width: w,
                height: h,
                seed,
                ..SceneSpec::default()
            };
            let start = Instant::now();
            let _ = render(&spec);
            println!(
                "{w}x{h} {label}: {:.0} ms",
                start.elapsed().as_secs_f64() * 1000.0
            );
        }
    }
    let start = Instant::now();
    let _ = idshot::scene::procedural_document(DocKind::Id1, 5, 18.0);
    println!(
        "procedural id1 page at 18 px/mm: {:.0} ms",
        start.elapsed().as_secs_f64() * 1000.0
    );
}

fn main() -> anyhow::Result<()> {
    let Some(out) = std::env::args().nth(1) else {
        bail!("usage: scene_gallery OUT.png [--time]")
    };
    if std::env::args().any(|a| a == "--time") {
        time_renders();
    }
    if std::env::args().any(|a| a == "--repeat") {
        // For CPU-time measurements under `time`: ten warm 1080p renders, nothing else.
        let spec = SceneSpec {
            width: 1920,
            height: 1080,
            ..SceneSpec::default()
        };
        for _ in 0..10 {
            let _ = render(&spec);
        }
        return Ok(());
    }
    let scenes = scenes();
    let rows = (scenes.len() as u32).div_ceil(COLUMNS);
    let mut sheet = RgbImage::new(TILE.0 * COLUMNS, TILE.1 * rows);
    for (i, (name, spec)) in scenes.iter().enumerate() {
        let start = Instant::now();
        let r = render(spec);
        let t = r.truth;
        println!(
            "{i:2} {name:30} {:5.0} ms  fill {:.3} ppmm {:.2} tilt {:5.1} roll {:5.1} glare {:.4} occl {:?} luma {:.0}",
            start.elapsed().as_secs_f64() * 1000.0,
            t.fill,
            t.ppmm,
            t.tilt_deg,
            t.roll_deg,
            t.glare_frac,
            t.occluded_corners,
            t.luma_mean
        );
        let tile = imageops::resize(&r.image, TILE.0, TILE.1, imageops::FilterType::Triangle);
        let (x, y) = ((i as u32 % COLUMNS) * TILE.0, (i as u32 / COLUMNS) * TILE.1);
        imageops::replace(&mut sheet, &tile, x as i64, y as i64);
    }
    sheet
        .save(&out)
        .with_context(|| format!("cannot write {out}"))?;
    println!("wrote {out}");
    Ok(())
}
