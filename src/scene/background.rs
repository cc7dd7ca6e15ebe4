//! What lies behind the document, in linear light: wood, a pale desk, clutter full of straight
//! edges, foliage, a dark room, or a plain or graded wall.

use rayon::prelude::*;

use super::effects::{Px, decode};
use super::rng::{Rng, fbm, mix, smoothstep, value_noise};

/// The scene behind the document.
#[derive(Clone, Debug, PartialEq)]
pub enum Background {
    /// Wooden table: grain and plank joints.
    Wood,
    /// A pale, nearly white desk: low contrast against a light card.
    Desk,
    /// Papers, books, a keyboard, cables: many strong straight edges.
    Clutter,
    /// One flat colour (sRGB).
    Plain([u8; 3]),
    /// A wall lit from one side.
    Gradient,
    /// Out-of-focus plants.
    Foliage,
    /// A dim room.
    Dark,
    /// Blinds, a radiator or panelling: rounded slats whose light and dark bands straddle the
    /// document's own shade, so its edge flips polarity from one slat to the next.
    Slats,
}

impl Background {
    /// Every kind, for galleries and sweeps.
    pub const VARIED: [Background; 7] = [
        Background::Wood,
        Background::Desk,
        Background::Clutter,
        Background::Plain([40, 40, 45]),
        Background::Gradient,
        Background::Foliage,
        Background::Dark,
    ];
}

/// Smooth fields are evaluated on a grid this many pixels apart (per 1000 px of frame width) and
/// interpolated: backgrounds sit well behind the document, so they carry no fine detail.
const SMOOTH_GRID_PX_PER_1000: f32 = 4.0;

fn srgb(c: [f32; 3]) -> Px {
    c.map(|v| decode(v.round().clamp(0.0, 255.0) as u8))
}

/// Renders the background at frame size in linear light.
pub fn render(bg: &Background, w: usize, h: usize, seed: u64) -> Vec<Px> {
    let mut rng = Rng::derived(seed, 10);
    let scale = w.max(h) as f32 / 1000.0;
    match bg {
        Background::Plain(c) => {
            let base = srgb(c.map(|v| v as f32));
            smooth_field(w, h, scale, |x, y| {
                let light = 1.0 + 0.06 * (value_noise(seed, x / 700.0, y / 700.0) - 0.5);
                base.map(|v| v * light)
            })
        }
        Background::Gradient => {
            let a = [
                rng.range(150.0, 220.0),
                rng.range(150.0, 215.0),
                rng.range(140.0, 210.0),
            ];
            let b = a.map(|v| v * rng.range(0.35, 0.6));
            let angle = rng.range(0.0, std::f32::consts::TAU);
            let (ca, sa) = (angle.cos(), angle.sin());
            let (fw, fh) = (w as f32, h as f32);
            smooth_field(w, h, scale, |x, y| {
                let t = 0.5 + ((x / fw - 0.5) * ca + (y / fh - 0.5) * sa) * 0.9;
                let c = [0, 1, 2].map(|i| a[i] + (b[i] - a[i]) * t.clamp(0.0, 1.0));
                let n = (fbm(seed, x / 300.0, y / 300.0, 3) - 0.5) * 8.0;
                srgb(c.map(|v| v + n))
            })
        }
        Background::Desk => {
            let level = rng.range(205.0, 232.0);
            let tint = [
                rng.range(-6.0, 6.0),
                rng.range(-4.0, 4.0),
                rng.range(-8.0, 4.0),
            ];
            let (fw, fh) = (w as f32, h as f32);
            let light_dir = rng.range(0.0, std::f32::consts::TAU);
            smooth_field(w, h, scale, |x, y| {
                let g =
                    ((x / fw - 0.5) * light_dir.cos() + (y / fh - 0.5) * light_dir.sin()) * 14.0;
                let n = (fbm(seed, x / (60.0 * scale), y / (60.0 * scale), 4) - 0.5) * 6.0;
                srgb(tint.map(|t| level + t + g + n))
            })
        }
        Background::Wood => wood(w, h, seed, &mut rng),
        Background::Foliage => {
            let (fw, fh) = (w as f32, h as f32);
            smooth_field(w, h, scale, |x, y| {
                let (u, v) = (x / fw * 6.0, y / fh * 6.0 * fh / fw);
                let leaf = fbm(seed, u, v, 4);
                let light = fbm(seed ^ 1, u * 0.5, v * 0.5, 2);
                let sky = smoothstep(0.72, 0.8, fbm(seed ^ 2, u * 0.7, v * 0.7, 3));
                let green = [
                    40.0 + 80.0 * leaf,
                    70.0 + 120.0 * leaf * light,
                    25.0 + 40.0 * leaf,
                ];
                let sky_c = [200.0, 212.0, 222.0];
                let c = [0, 1, 2].map(|i| green[i] + (sky_c[i] - green[i]) * sky * 0.8);
                srgb(c)
            })
        }
        Background::Dark => {
            let (fw, fh) = (w as f32, h as f32);
            let lamp = (rng.range(0.1, 0.9), rng.range(0.1, 0.5));
            smooth_field(w, h, scale, |x, y| {
                let d = ((x / fw - lamp.0).powi(2) + (y / fh - lamp.1).powi(2)).sqrt();
                let glow = 30.0 * (-d * d * 8.0).exp();
                let n = (fbm(seed, x / 200.0, y / 200.0, 3) - 0.5) * 10.0;
                srgb([
                    14.0 + glow + n,
                    12.0 + glow * 0.8 + n,
                    12.0 + glow * 0.6 + n,
                ])
            })
        }
        Background::Clutter => clutter(w, h, seed, &mut rng),
        Background::Slats => {
            let tones: [[f32; 3]; 4] = [
                [235.0, 190.0, 150.0],
                [225.0, 225.0, 220.0],
                [200.0, 150.0, 110.0],
                [180.0, 190.0, 205.0],
            ];
            let tone = rng.pick(&tones, tones[0]);
            let period = rng.range(12.0, 40.0) * scale;
            let across_x = rng.chance(0.7);
            let (fw, fh) = (w as f32, h as f32);
            let light_dir = rng.range(0.0, std::f32::consts::TAU);
            smooth_field(w, h, scale, |x, y| {
                let along = if across_x { x } else { y };
                // Each slat is a cylinder lit from the front: bright along its middle, dark where
                // it turns away and in the gap to the next one.
                let phase = (along / period).fract();
                let shade = 0.25 + 0.75 * (std::f32::consts::PI * phase).sin().powf(0.6);
                let g = 1.0
                    + 0.25 * ((x / fw - 0.5) * light_dir.cos() + (y / fh - 0.5) * light_dir.sin());
                srgb(tone.map(|t| t * shade * g))
            })
        }
    }
}

/// Evaluates `f` (frame pixel coordinates to linear RGB) on a coarse grid and interpolates.
fn smooth_field(w: usize, h: usize, scale: f32, f: impl Fn(f32, f32) -> Px + Sync) -> Vec<Px> {
    let step = (SMOOTH_GRID_PX_PER_1000 * scale).max(1.0);
    let gw = (w as f32 / step).ceil() as usize + 2;
    let gh = (h as f32 / step).ceil() as usize + 2;
    let grid: Vec<Px> = (0..gw * gh)
        .into_par_iter()
        .map(|i| f((i % gw) as f32 * step, (i / gw) as f32 * step))
        .collect();
    let mut out = vec![[0.0f32; 3]; w * h];
    out.par_chunks_mut(w.max(1))
        .enumerate()
        .for_each(|(y, row)| {
            let gy = (y as f32 + 0.5) / step;
            let (iy, ty) = ((gy.floor() as usize).min(gh - 2), gy.fract());
            for (x, o) in row.iter_mut().enumerate() {
                let gx = (x as f32 + 0.5) / step;
                let (ix, tx) = ((gx.floor() as usize).min(gw - 2), gx.fract());
                let at = |i: usize, j: usize| grid.get(j * gw + i).copied().unwrap_or_default();
                let (a, b, c, d) = (
                    at(ix, iy),
                    at(ix + 1, iy),
                    at(ix, iy + 1),
                    at(ix + 1, iy + 1),
                );
                for k in 0..3 {
                    let top = a[k] + (b[k] - a[k]) * tx;
                    let bottom = c[k] + (d[k] - c[k]) * tx;
                    o[k] = top + (bottom - top) * ty;
                }
            }
        });
    out
}

fn wood(w: usize, h: usize, seed: u64, rng: &mut Rng) -> Vec<Px> {
    let tones: [[f32; 3]; 4] = [
        [205.0, 160.0, 110.0],
        [170.0, 115.0, 70.0],
        [120.0, 78.0, 48.0],
        [215.0, 185.0, 140.0],
    ];
    let base = rng.pick(&tones, tones[0]);
    let base_lin = srgb(base);
    let angle = rng.range(-0.15, 0.15)
        + if rng.chance(0.3) {
            std::f32::consts::FRAC_PI_2
        } else {
            0.0
        };
    let (ca, sa) = (angle.cos(), angle.sin());
    let s = w.max(h) as f32 / 1000.0;
    let plank = rng.range(160.0, 260.0) * s;
    let period = rng.range(9.0, 16.0) * s;
    // The grain's slow warp is smooth: evaluate it coarsely, keep only the rings at full rate.
    let step = (SMOOTH_GRID_PX_PER_1000 * s).max(1.0);
    let warp = smooth_scalar(w, h, step, |xf, yf| {
        let (u, v) = (xf * ca + yf * sa, -xf * sa + yf * ca);
        6.0 * period * fbm(seed, u / (400.0 * s), v / (60.0 * s), 3)
    });
    let mut out = vec![[0.0f32; 3]; w * h];
    out.par_chunks_mut(w.max(1))
        .zip(warp.par_chunks(w.max(1)))
        .enumerate()
        .for_each(|(y, (row, warp_row))| {
            for (x, (o, &warp)) in row.iter_mut().zip(warp_row).enumerate() {
                let (xf, yf) = (x as f32, y as f32);
                // Along the grain (u) and across it (v).
                let (u, v) = (xf * ca + yf * sa, -xf * sa + yf * ca);
                let board = (v / plank).floor();
                let board_hash = mix(seed ^ (board as i64 as u64).wrapping_mul(0x9E37_79B9));
                let board_phase = (board_hash >> 40) as f32 / (1u64 << 24) as f32;
                let ring = 0.5
                    + 0.5
                        * ((v + warp) / period * std::f32::consts::TAU + board_phase * 40.0).sin();
                let ring = ring * ring * ring;
                let fleck = value_noise(seed ^ 77, u / (3.0 * s), v / (0.8 * s)) - 0.5;
                let board_tone = 1.0 + 0.12 * (board_phase - 0.5);
                // Dark joint between boards: a hard straight line.
                let dj = ((v / plank).fract().min(1.0 - (v / plank).fract())) * plank;
                let joint = 1.0 - 0.6 * (1.0 - (dj / (1.5 * s)).clamp(0.0, 1.0));
                let k = board_tone * (1.0 - 0.28 * ring + 0.05 * fleck) * joint;
                // Scaling an sRGB level by k scales linear light by about k^2.2; k^2 is close enough.
                *o = base_lin.map(|c| c * k * k);
            }
        });
    out
}

/// Like [`smooth_field`] for one scalar.
fn smooth_scalar(w: usize, h: usize, step: f32, f: impl Fn(f32, f32) -> f32 + Sync) -> Vec<f32> {
    let gw = (w as f32 / step).ceil() as usize + 2;
    let gh = (h as f32 / step).ceil() as usize + 2;
    let grid: Vec<f32> = (0..gw * gh)
        .into_par_iter()
        .map(|i| f((i % gw) as f32 * step, (i / gw) as f32 * step))
        .collect();
    let mut out = vec![0.0f32; w * h];
    out.par_chunks_mut(w.max(1))
        .enumerate()
        .for_each(|(y, row)| {
            let gy = (y as f32 + 0.5) / step;
            let (iy, ty) = ((gy.floor() as usize).min(gh - 2), gy.fract());
            for (x, o) in row.iter_mut().enumerate() {
                let gx = (x as f32 + 0.5) / step;
                let (ix, tx) = ((gx.floor() as usize).min(gw - 2), gx.fract());
                let at = |i: usize, j: usize| grid.get(j * gw + i).copied().unwrap_or_default();
                let top = at(ix, iy) + (at(ix + 1, iy) - at(ix, iy)) * tx;
                let bottom = at(ix, iy + 1) + (at(ix + 1, iy + 1) - at(ix, iy + 1)) * tx;
                *o = top + (bottom - top) * ty;
            }
        });
    out
}

/// Desk clutter: papers with text, books, a keyboard, a phone, cables.
fn clutter(w: usize, h: usize, seed: u64, rng: &mut Rng) -> Vec<Px> {
    let scale = w.max(h) as f32 / 1000.0;
    let desk = [
        rng.range(90.0, 170.0),
        rng.range(80.0, 150.0),
        rng.range(70.0, 140.0),
    ];
    let mut out = smooth_field(w, h, scale, |x, y| {
        let n = (fbm(seed, x / (80.0 * scale), y / (80.0 * scale), 3) - 0.5) * 20.0;
        srgb(desk.map(|c| c + n))
    });
    let (fw, fh) = (w as f32, h as f32);
    let count = 9 + rng.below(6);
    for i in 0..count {
        let kind = rng.below(4);
        let cx = rng.range(-0.1, 1.1) * fw;
        let cy = rng.range(-0.1, 1.1) * fh;
        let angle = rng.range(-0.6, 0.6);
        let (hw, hh) = (rng.range(0.08, 0.3) * fw, rng.range(0.06, 0.25) * fh);
        let colour = match kind {
            0 => [
                rng.range(225.0, 245.0),
                rng.range(225.0, 245.0),
                rng.range(220.0, 240.0),
            ],
            1 => [
                rng.range(20.0, 200.0),
                rng.range(20.0, 160.0),
                rng.range(20.0, 160.0),
            ],
            2 => [
                rng.range(25.0, 50.0),
                rng.range(25.0, 50.0),
                rng.range(25.0, 55.0),
            ],
            _ => [
                rng.range(60.0, 240.0),
                rng.range(60.0, 240.0),
                rng.range(60.0, 240.0),
            ],
        };
        let line_pitch = rng.range(8.0, 14.0) * scale;
        let key_pitch = rng.range(14.0, 22.0) * scale;
        let item_seed = seed ^ (i as u64 * 0x1234_5678);
        let col = srgb(colour);
        paint_rotated_rect(&mut out, w, h, (cx, cy), (hw, hh), angle, |lx, ly| {
            // Local coordinates from the top-left of the item.
            let (ax, ay) = (lx + hw, ly + hh);
            match kind {
                // Paper: rows of dark "text".
                0 => {
                    let row = (ay / line_pitch).floor();
                    let in_row = (ay / line_pitch).fract() < 0.35 && ay > 2.0 * line_pitch;
                    let word = value_noise(item_seed, ax / (line_pitch * 2.0), row * 3.7) > 0.35;
                    let margin = ax > line_pitch * 2.0 && ax < 2.0 * hw - line_pitch * 2.0;
                    if in_row && word && margin {
                        srgb([60.0, 60.0, 70.0])
                    } else {
                        col
                    }
                }
                // Keyboard: grid of keys.
                2 => {
                    let (fx, fy) = ((ax / key_pitch).fract(), (ay / key_pitch).fract());
                    if fx > 0.12 && fx < 0.88 && fy > 0.12 && fy < 0.88 {
                        srgb([70.0, 70.0, 75.0])
                    } else {
                        col
                    }
                }
                _ => col,
            }
        });
    }
    // Cables and table edges: long hard lines across the frame.
    for _ in 0..2 + rng.below(3) {
        let (x0, y0) = (rng.range(0.0, fw), rng.range(0.0, fh));
        let angle = rng.range(0.0, std::f32::consts::PI);
        let width = rng.range(2.0, 7.0) * scale;
        let c = srgb(if rng.chance(0.5) {
            [20.0, 20.0, 22.0]
        } else {
            [235.0, 235.0, 235.0]
        });
        let (dx, dy) = (angle.cos(), angle.sin());
        out.par_chunks_mut(w.max(1))
            .enumerate()
            .for_each(|(y, row)| {
                for (x, o) in row.iter_mut().enumerate() {
                    let (px, py) = (x as f32 + 0.5 - x0, y as f32 + 0.5 - y0);
                    let d = (px * dy - py * dx).abs();
                    let cov = (width / 2.0 - d + 0.5).clamp(0.0, 1.0);
                    if cov > 0.0 {
                        *o = [0, 1, 2].map(|k| o[k] + (c[k] - o[k]) * cov);
                    }
                }
            });
    }
    out
}

/// Paints a rotated rectangle (anti-aliased edges) whose colour comes from `colour(local x, y)`.
fn paint_rotated_rect(
    out: &mut [Px],
    w: usize,
    h: usize,
    centre: (f32, f32),
    half: (f32, f32),
    angle: f32,
    colour: impl Fn(f32, f32) -> Px + Sync,
) {
    let (ca, sa) = (angle.cos(), angle.sin());
    let reach = half.0.hypot(half.1) + 2.0;
    let y0 = (centre.1 - reach).floor().max(0.0) as usize;
    let y1 = ((centre.1 + reach).ceil().max(0.0) as usize).min(h);
    let x0 = (centre.0 - reach).floor().max(0.0) as usize;
    let x1 = ((centre.0 + reach).ceil().max(0.0) as usize).min(w);
    if y0 >= y1 || x0 >= x1 {
        return;
    }
    out.par_chunks_mut(w.max(1))
        .enumerate()
        .skip(y0)
        .take(y1 - y0)
        .for_each(|(y, row)| {
            for (x, o) in row.iter_mut().enumerate().skip(x0).take(x1 - x0) {
                let (px, py) = (x as f32 + 0.5 - centre.0, y as f32 + 0.5 - centre.1);
                let (lx, ly) = (px * ca + py * sa, -px * sa + py * ca);
                let d = (lx.abs() - half.0).max(ly.abs() - half.1);
                let cov = (0.5 - d).clamp(0.0, 1.0);
                if cov > 0.0 {
                    let c = colour(lx, ly);
                    *o = [0, 1, 2].map(|k| o[k] + (c[k] - o[k]) * cov);
                }
            }
        });
}
