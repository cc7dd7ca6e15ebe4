//! Fingers holding the document: shaded skin capsules with a nail and creases, casting a soft
//! shadow, drawn over the document and the frame.

use rayon::prelude::*;

use super::camera::{Mat3, apply, jacobian_det};
use super::effects::{Px, decode};
use super::rng::{Rng, smoothstep};
use crate::analysis::DocKind;

/// A finger over the document.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Finger {
    /// Over corner 0..=3 (TL, TR, BR, BL), pointing in along the diagonal.
    Corner(usize),
    /// Over side 0..=3 (top, right, bottom, left) at `pos` along it (0..1, left to right or top
    /// to bottom), pointing inwards.
    Side { side: usize, pos: f32 },
}

/// Finger width (mm): adult fingers are ~15-19 mm across.
const WIDTH_MM: (f32, f32) = (15.0, 19.0);
/// How far the fingertip reaches past the document's edge onto the page (mm).
const REACH_MM: (f32, f32) = (8.0, 13.0);
/// Visible finger length from the tip (mm); it leaves the frame for any sensible placement.
const LENGTH_MM: f32 = 110.0;
/// Deviation of the finger's direction from straight in (degrees).
const ANGLE_JITTER_DEG: f32 = 18.0;
/// Darkening at the core of the finger's shadow, and its offset/softness in finger radii.
const SHADOW_STRENGTH: f32 = 0.45;
const SHADOW_OFFSET_R: (f32, f32) = (0.3, 0.45);
const SHADOW_SOFTNESS_R: f32 = 0.6;
/// Skin tones (sRGB), light to dark.
const SKIN_TONES: [[f32; 3]; 6] = [
    [236.0, 196.0, 168.0],
    [224.0, 172.0, 138.0],
    [198.0, 146.0, 110.0],
    [168.0, 116.0, 82.0],
    [128.0, 86.0, 60.0],
    [94.0, 62.0, 44.0],
];

/// A finger in frame pixels: a capsule from `base` to `tip_centre` of radius `r`.
#[derive(Clone, Copy, Debug)]
pub struct Capsule {
    base: (f32, f32),
    tip_centre: (f32, f32),
    dir: (f32, f32),
    len: f32,
    pub r: f32,
    skin: Px,
    nail: bool,
}

impl Capsule {
    /// (distance from the axis, distance back from the tip centre, signed offset across).
    fn locate(&self, x: f32, y: f32) -> (f32, f32, f32) {
        let (px, py) = (x - self.base.0, y - self.base.1);
        let along = px * self.dir.0 + py * self.dir.1;
        let across = px * self.dir.1 - py * self.dir.0;
        let t = along.clamp(0.0, self.len);
        let (cx, cy) = (self.base.0 + t * self.dir.0, self.base.1 + t * self.dir.1);
        ((x - cx).hypot(y - cy), self.len - along, across)
    }

    /// Anti-aliased fraction of the pixel centred at (x, y) that the finger covers.
    pub fn coverage(&self, x: f32, y: f32) -> f32 {
        (self.r - self.locate(x, y).0 + 0.5).clamp(0.0, 1.0)
    }

    fn bounds(&self, pad: f32) -> (f32, f32, f32, f32) {
        let m = self.r + pad;
        (
            self.base.0.min(self.tip_centre.0) - m,
            self.base.1.min(self.tip_centre.1) - m,
            self.base.0.max(self.tip_centre.0) + m,
            self.base.1.max(self.tip_centre.1) + m,
        )
    }
}

/// Where `finger` (the `index`-th of the scene) lies in the frame, or None if it cannot be placed.
pub fn place(
    finger: &Finger,
    index: usize,
    seed: u64,
    kind: DocKind,
    doc_to_frame: &Mat3,
) -> Option<Capsule> {
    let mut rng = Rng::derived(seed, 100 + index as u64);
    let (w, h) = kind.size_mm();
    let (edge, inward) = match *finger {
        Finger::Corner(i) => {
            let (corner, inward) = match i % 4 {
                0 => ((0.0, 0.0), (1.0, 1.0)),
                1 => ((w, 0.0), (-1.0, 1.0)),
                2 => ((w, h), (-1.0, -1.0)),
                _ => ((0.0, h), (1.0, -1.0)),
            };
            (corner, (inward.0 / 2f32.sqrt(), inward.1 / 2f32.sqrt()))
        }
        Finger::Side { side, pos } => {
            let pos = pos.clamp(0.0, 1.0);
            match side % 4 {
                0 => ((pos * w, 0.0), (0.0, 1.0)),
                1 => ((w, pos * h), (-1.0, 0.0)),
                2 => ((pos * w, h), (0.0, -1.0)),
                _ => ((0.0, pos * h), (1.0, 0.0)),
            }
        }
    };
    let reach = rng.range(REACH_MM.0, REACH_MM.1);
    let tip = (edge.0 + inward.0 * reach, edge.1 + inward.1 * reach);
    let a = rng.range(-ANGLE_JITTER_DEG, ANGLE_JITTER_DEG).to_radians();
    let dir = (
        inward.0 * a.cos() - inward.1 * a.sin(),
        inward.0 * a.sin() + inward.1 * a.cos(),
    );
    let tip_px = apply(doc_to_frame, tip.0 as f64, tip.1 as f64)?;
    // Shorten the finger if its far end would fall behind the camera.
    let base_px = [1.0, 0.5, 0.25].iter().find_map(|k| {
        let l = (LENGTH_MM * k) as f64;
        apply(
            doc_to_frame,
            tip.0 as f64 - dir.0 as f64 * l,
            tip.1 as f64 - dir.1 as f64 * l,
        )
    })?;
    let ppmm = jacobian_det(doc_to_frame, tip.0 as f64, tip.1 as f64).sqrt() as f32;
    let r = rng.range(WIDTH_MM.0, WIDTH_MM.1) / 2.0 * ppmm;
    let (dx, dy) = ((tip_px.0 - base_px.0) as f32, (tip_px.1 - base_px.1) as f32);
    let full = dx.hypot(dy);
    if !(full > r && r > 0.5) {
        return None;
    }
    let dir_px = (dx / full, dy / full);
    let len = full - r;
    let base = (base_px.0 as f32, base_px.1 as f32);
    let tone = rng.pick(&SKIN_TONES, SKIN_TONES[1]);
    let tone = tone.map(|c| (c + rng.range(-8.0, 8.0)).clamp(0.0, 255.0));
    Some(Capsule {
        base,
        tip_centre: (base.0 + dir_px.0 * len, base.1 + dir_px.1 * len),
        dir: dir_px,
        len,
        r,
        skin: tone.map(|c| decode(c as u8)),
        nail: rng.chance(0.8),
    })
}

fn row_span(w: usize, h: usize, b: (f32, f32, f32, f32)) -> Option<(usize, usize, usize, usize)> {
    let x0 = b.0.floor().max(0.0) as usize;
    let y0 = b.1.floor().max(0.0) as usize;
    let x1 = (b.2.ceil().max(0.0) as usize).min(w);
    let y1 = (b.3.ceil().max(0.0) as usize).min(h);
    (x0 < x1 && y0 < y1).then_some((x0, y0, x1, y1))
}

/// Darkens the frame under the finger's soft shadow (offset down-right, as from an overhead light).
pub fn shade(buf: &mut [Px], w: usize, h: usize, f: &Capsule) {
    let off = (SHADOW_OFFSET_R.0 * f.r, SHADOW_OFFSET_R.1 * f.r);
    let soft = SHADOW_SOFTNESS_R * f.r;
    let shifted = Capsule {
        base: (f.base.0 + off.0, f.base.1 + off.1),
        tip_centre: (f.tip_centre.0 + off.0, f.tip_centre.1 + off.1),
        ..*f
    };
    let Some((x0, y0, x1, y1)) = row_span(w, h, shifted.bounds(soft + 2.0)) else {
        return;
    };
    buf.par_chunks_mut(w.max(1))
        .enumerate()
        .skip(y0)
        .take(y1 - y0)
        .for_each(|(y, row)| {
            for (x, p) in row.iter_mut().enumerate().skip(x0).take(x1 - x0) {
                let d = shifted.locate(x as f32 + 0.5, y as f32 + 0.5).0;
                let s = 1.0 - smoothstep(f.r - soft, f.r + soft, d);
                if s > 0.0 {
                    let k = 1.0 - SHADOW_STRENGTH * s;
                    *p = p.map(|c| c * k);
                }
            }
        });
}

/// Draws the finger with `gain` (light level times exposure), recording its coverage in `cover`.
pub fn draw(buf: &mut [Px], cover: &mut [f32], w: usize, h: usize, f: &Capsule, gain: f32) {
    let Some((x0, y0, x1, y1)) = row_span(w, h, f.bounds(2.0)) else {
        return;
    };
    let r = f.r;
    buf.par_chunks_mut(w.max(1))
        .zip(cover.par_chunks_mut(w.max(1)))
        .enumerate()
        .skip(y0)
        .take(y1 - y0)
        .for_each(|(y, (row, cov_row))| {
            for x in x0..x1 {
                let (Some(p), Some(cv)) = (row.get_mut(x), cov_row.get_mut(x)) else {
                    continue;
                };
                let (d, back, across) = f.locate(x as f32 + 0.5, y as f32 + 0.5);
                let cov = (r - d + 0.5).clamp(0.0, 1.0);
                if cov <= 0.0 {
                    continue;
                }
                // A rounded body: bright on top, darker and redder towards the silhouette.
                let height = (1.0 - (d / r).min(1.0).powi(2)).max(0.0).sqrt();
                let side_light = -0.12 * (across / r).clamp(-1.0, 1.0);
                let shade = (0.5 + 0.5 * height.powf(0.7) + side_light).max(0.2);
                let mut c = [
                    f.skin[0] * shade,
                    f.skin[1] * shade * (0.92 + 0.08 * height),
                    f.skin[2] * shade * (0.9 + 0.1 * height),
                ];
                if f.nail {
                    // Nail: a paler, glossy ellipse just behind the tip.
                    let (nu, nv) = ((back - 0.05 * r) / (0.62 * r), across / (0.5 * r));
                    let e = nu.hypot(nv);
                    let nail = (1.0 - smoothstep(0.9, 1.0, e)) * (nu > -1.0) as u8 as f32;
                    let rim = smoothstep(0.75, 0.9, e) * nail;
                    let nail_c = [c[0] * 1.12, c[1] * 1.0, c[2] * 1.05];
                    c = [0, 1, 2].map(|k| c[k] + (nail_c[k] * (1.0 - 0.2 * rim) - c[k]) * nail);
                    let gloss =
                        (1.0 - smoothstep(0.0, 0.35, (nu - 0.1).hypot(nv + 0.3))) * 0.35 * nail;
                    c = c.map(|v| v + gloss * 0.5);
                }
                // Knuckle creases.
                for crease in [2.4, 3.4] {
                    let k =
                        (1.0 - ((back - crease * r) / (0.05 * r)).abs()).clamp(0.0, 1.0) * height;
                    c = c.map(|v| v * (1.0 - 0.18 * k));
                }
                let c = c.map(|v| v * gain);
                *p = [0, 1, 2].map(|k| p[k] + (c[k] - p[k]) * cov);
                *cv = cv.max(cov);
            }
        });
}
