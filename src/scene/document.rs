//! The flat procedural document: an ID-1 card front or a TD3 passport data page with a pastel
//! guilloche, a portrait, printed fields, a signature and (TD3) a two-line machine-readable zone.
//!
//! Everything is drawn analytically in millimetres with anti-aliased coverage, so any resolution
//! gives the same page. Inks are multiplied onto the paper like real print.

use image::RgbImage;
use rayon::prelude::*;

use std::f32::consts::TAU;

use super::font;
use super::rng::{Rng, fbm, smoothstep, value_noise};
use crate::analysis::DocKind;

type Rgb = [f32; 3];
/// A line segment between two points in mm.
type Segment = ((f32, f32), (f32, f32));

/// Lowest and highest texture resolutions procedural_document will draw at (pixels per mm).
pub const MIN_PX_PER_MM: f32 = 1.0;
pub const MAX_PX_PER_MM: f32 = 60.0;

/// Printed line widths (mm): real guilloche lines are ~0.05-0.15 mm, body text strokes ~0.3-0.4.
const GUILLOCHE_LINE_MM: (f32, f32) = (0.08, 0.13);
const VALUE_STROKE_MM: f32 = 0.34;
const LABEL_STROKE_MM: f32 = 0.2;
const TITLE_STROKE_MM: f32 = 0.5;
const MRZ_STROKE_MM: f32 = 0.36;
/// OCR-B characters in the MRZ: 2.54 mm pitch (10 per inch), ~2.4 mm tall.
const MRZ_PITCH_MM: f32 = 2.54;
const MRZ_CAP_MM: f32 = 2.4;
const MRZ_CHARS: usize = 44;
/// Glyph box width as a fraction of cap height, and proportional-text advance.
const GLYPH_WIDTH: f32 = 0.62;
const TEXT_ADVANCE: f32 = 0.86;

/// Paper colour, second paper tint, guilloche ink, title ink.
const PALETTES: [(Rgb, Rgb, Rgb, Rgb); 6] = [
    (
        [222.0, 234.0, 247.0],
        [236.0, 228.0, 244.0],
        [120.0, 160.0, 210.0],
        [25.0, 55.0, 125.0],
    ),
    (
        [221.0, 239.0, 224.0],
        [240.0, 240.0, 214.0],
        [110.0, 175.0, 130.0],
        [20.0, 85.0, 55.0],
    ),
    (
        [247.0, 226.0, 232.0],
        [244.0, 236.0, 220.0],
        [210.0, 130.0, 160.0],
        [125.0, 25.0, 55.0],
    ),
    (
        [241.0, 231.0, 206.0],
        [232.0, 238.0, 220.0],
        [190.0, 150.0, 95.0],
        [95.0, 50.0, 20.0],
    ),
    (
        [243.0, 243.0, 239.0],
        [228.0, 236.0, 244.0],
        [160.0, 170.0, 190.0],
        [30.0, 35.0, 70.0],
    ),
    (
        [233.0, 227.0, 245.0],
        [224.0, 238.0, 240.0],
        [160.0, 135.0, 205.0],
        [65.0, 30.0, 115.0],
    ),
];
const BLACK_INK: Rgb = [28.0, 28.0, 34.0];
const SIGNATURE_INK: Rgb = [25.0, 40.0, 110.0];

/// A page being printed: sRGB levels (0..255) as floats, mm-addressed.
pub struct Canvas {
    pub w: usize,
    pub h: usize,
    pub ppmm: f32,
    pub px: Vec<Rgb>,
}

impl Canvas {
    fn new(w_mm: f32, h_mm: f32, ppmm: f32) -> Self {
        let w = (w_mm * ppmm).round().max(1.0) as usize;
        let h = (h_mm * ppmm).round().max(1.0) as usize;
        Self {
            w,
            h,
            ppmm,
            px: vec![[255.0; 3]; w * h],
        }
    }

    /// Calls `f(x_mm, y_mm, coverage, pixel)` for every pixel touching the mm rectangle; coverage
    /// is the anti-aliased fraction of the pixel inside it.
    fn shade_rect(&mut self, r: [f32; 4], f: impl Fn(f32, f32, f32, &mut Rgb) + Sync) {
        let s = self.ppmm;
        let [x0, y0, x1, y1] = r.map(|v| v * s);
        let (cx0, cx1) = (
            (x0.floor().max(0.0)) as usize,
            (x1.ceil().max(0.0) as usize).min(self.w),
        );
        let (ry0, ry1) = (
            (y0.floor().max(0.0)) as usize,
            (y1.ceil().max(0.0) as usize).min(self.h),
        );
        if cx0 >= cx1 || ry0 >= ry1 {
            return;
        }
        let w = self.w;
        self.px
            .par_chunks_mut(w)
            .enumerate()
            .skip(ry0)
            .take(ry1 - ry0)
            .for_each(|(y, row)| {
                let py = y as f32 + 0.5;
                let cy = (py - y0 + 0.5).min(y1 - py + 0.5).clamp(0.0, 1.0);
                for (x, p) in row.iter_mut().enumerate().skip(cx0).take(cx1 - cx0) {
                    let px = x as f32 + 0.5;
                    let cx = (px - x0 + 0.5).min(x1 - px + 0.5).clamp(0.0, 1.0);
                    f(px / s, py / s, cx * cy, p);
                }
            });
    }

    fn shade_all(&mut self, f: impl Fn(f32, f32, &mut Rgb) + Sync) {
        let r = [
            0.0,
            0.0,
            self.w as f32 / self.ppmm,
            self.h as f32 / self.ppmm,
        ];
        self.shade_rect(r, |x, y, _, p| f(x, y, p));
    }

    /// Strokes line segments (mm) with round caps, blending `ink` by multiplication.
    fn stroke(&mut self, segs: &[Segment], width_mm: f32, ink_rgb: Rgb, opacity: f32) {
        if segs.is_empty() {
            return;
        }
        let s = self.ppmm;
        let half = width_mm * s / 2.0;
        let segs_px: Vec<_> = segs
            .iter()
            .map(|&((a, b), (c, d))| ((a * s, b * s), (c * s, d * s)))
            .collect();
        let (mut lo, mut hi) = ((f32::MAX, f32::MAX), (f32::MIN, f32::MIN));
        for &((a, b), (c, d)) in &segs_px {
            lo = (lo.0.min(a).min(c), lo.1.min(b).min(d));
            hi = (hi.0.max(a).max(c), hi.1.max(b).max(d));
        }
        let pad = half + 1.0;
        let r = [
            (lo.0 - pad) / s,
            (lo.1 - pad) / s,
            (hi.0 + pad) / s,
            (hi.1 + pad) / s,
        ];
        self.shade_rect(r, |x, y, _, p| {
            let (px, py) = (x * s, y * s);
            let d = segs_px
                .iter()
                .map(|&(a, b)| seg_dist((px, py), a, b))
                .fold(f32::MAX, f32::min);
            let cov = (half - d + 0.5).clamp(0.0, 1.0).min(half * 2.0 + 0.1);
            if cov > 0.0 {
                ink(p, ink_rgb, cov * opacity);
            }
        });
    }

    /// Prints `text` left-aligned at `x` with its baseline at `baseline` (mm); returns the end x.
    #[allow(clippy::too_many_arguments)]
    fn text(
        &mut self,
        text: &str,
        x: f32,
        baseline: f32,
        cap: f32,
        advance: f32,
        stroke: f32,
        ink_rgb: Rgb,
    ) -> f32 {
        let (gx, gy) = (cap * GLYPH_WIDTH / font::GRID_W, cap / font::GRID_H);
        let mut pen = x;
        for c in text.chars() {
            let segs: Vec<_> = font::segments(c)
                .into_iter()
                .map(|((a, b), (c, d))| {
                    (
                        (pen + a * gx, baseline - cap + b * gy),
                        (pen + c * gx, baseline - cap + d * gy),
                    )
                })
                .collect();
            self.stroke(&segs, stroke, ink_rgb, 0.96);
            pen += advance;
        }
        pen
    }

    pub fn to_image(&self) -> RgbImage {
        let raw: Vec<u8> = self
            .px
            .iter()
            .flat_map(|p| p.map(|v| v.round().clamp(0.0, 255.0) as u8))
            .collect();
        RgbImage::from_raw(self.w as u32, self.h as u32, raw)
            .unwrap_or_else(|| RgbImage::new(self.w as u32, self.h as u32))
    }
}

fn seg_dist(p: (f32, f32), a: (f32, f32), b: (f32, f32)) -> f32 {
    let (abx, aby) = (b.0 - a.0, b.1 - a.1);
    let len2 = abx * abx + aby * aby;
    let t = if len2 > 0.0 {
        (((p.0 - a.0) * abx + (p.1 - a.1) * aby) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (p.0 - a.0 - t * abx).hypot(p.1 - a.1 - t * aby)
}

/// Multiplies ink of colour `c` with opacity `a` onto the pixel (subtractive print).
fn ink(p: &mut Rgb, c: Rgb, a: f32) {
    for i in 0..3 {
        p[i] *= 1.0 - a + a * c[i] / 255.0;
    }
}

fn mix_rgb(a: Rgb, b: Rgb, t: f32) -> Rgb {
    [0, 1, 2].map(|i| a[i] + (b[i] - a[i]) * t)
}

/// Renders the flat document at `px_per_mm` (clamped to 1..60): a rectangle of the document's
/// size; the renderer rounds ID-1 corners itself.
pub fn procedural_document(kind: DocKind, seed: u64, px_per_mm: f32) -> RgbImage {
    let ppmm = if px_per_mm.is_finite() {
        px_per_mm.clamp(MIN_PX_PER_MM, MAX_PX_PER_MM)
    } else {
        10.0
    };
    draw_document(kind, seed, ppmm).to_image()
}

/// One wavy line family of the guilloche: y-ish phase lines bent by a sine.
#[derive(Clone, Copy)]
struct Wave {
    amp: f32,
    k: f32,
    phase: f32,
    spacing: f32,
    slant: f32,
}

impl Wave {
    fn random(rng: &mut Rng, slant: f32) -> Self {
        Self {
            amp: rng.range(0.8, 2.2),
            k: std::f32::consts::TAU / rng.range(9.0, 22.0),
            phase: rng.range(0.0, std::f32::consts::TAU),
            spacing: rng.range(0.55, 0.85),
            slant,
        }
    }

    /// Distance (mm) from (x, y) to the nearest line of the family.
    fn dist(&self, x: f32, y: f32) -> f32 {
        let arg = self.k * x + self.phase;
        let s = (y + self.slant * x + self.amp * arg.sin()) / self.spacing;
        let dsdx = (self.slant + self.amp * self.k * arg.cos()) / self.spacing;
        let grad = (dsdx * dsdx + 1.0 / (self.spacing * self.spacing)).sqrt();
        (s - s.round()).abs() / grad
    }
}

/// A rosette: closed wavy rings around a centre.
#[derive(Clone, Copy)]
struct Rosette {
    cx: f32,
    cy: f32,
    radius: f32,
    petals: f32,
    amp: f32,
    spacing: f32,
}

impl Rosette {
    fn dist(&self, x: f32, y: f32, sign: f32) -> Option<f32> {
        let (dx, dy) = (x - self.cx, y - self.cy);
        let r = dx.hypot(dy);
        if r > self.radius + 1.0 || r < 1.5 {
            return None;
        }
        let th = dy.atan2(dx);
        let s = (r + sign * self.amp * (self.petals * th).sin()) / self.spacing;
        let tang = self.amp * self.petals * (self.petals * th).cos() / r;
        let grad = (1.0 + tang * tang).sqrt() / self.spacing;
        Some((s - s.round()).abs() / grad)
    }
}

struct Layout {
    photo: [f32; 4],
    ghost: Option<[f32; 4]>,
    rosette: Rosette,
    /// Top of the machine-readable zone (mm), where the guilloche fades out.
    mrz_top: Option<f32>,
}

fn draw_document(kind: DocKind, seed: u64, ppmm: f32) -> Canvas {
    let (w_mm, h_mm) = kind.size_mm();
    let mut canvas = Canvas::new(w_mm, h_mm, ppmm);
    let mut rng = Rng::derived(seed, 1);
    let fallback = PALETTES[0];
    let (paper, paper2, guilloche_ink, title_ink) = rng.pick(&PALETTES, fallback);
    let jitter = [
        rng.range(-6.0, 6.0),
        rng.range(-6.0, 6.0),
        rng.range(-6.0, 6.0),
    ];
    let paper = [0, 1, 2].map(|i| (paper[i] + jitter[i]).min(250.0));

    let layout = match kind {
        DocKind::Id1 => Layout {
            photo: [4.0, 13.0, 26.5, 42.5],
            ghost: rng.chance(0.7).then_some([70.0, 30.0, 81.5, 45.0]),
            rosette: Rosette {
                cx: rng.range(52.0, 66.0),
                cy: rng.range(22.0, 34.0),
                radius: rng.range(11.0, 17.0),
                petals: rng.range(10.0, 24.0).round(),
                amp: rng.range(0.8, 1.6),
                spacing: rng.range(0.6, 0.8),
            },
            mrz_top: None,
        },
        DocKind::Td3 => Layout {
            photo: [6.0, 17.0, 39.0, 60.0],
            ghost: rng.chance(0.8).then_some([101.0, 38.0, 119.0, 61.0]),
            rosette: Rosette {
                cx: rng.range(80.0, 100.0),
                cy: rng.range(35.0, 50.0),
                radius: rng.range(14.0, 22.0),
                petals: rng.range(12.0, 28.0).round(),
                amp: rng.range(0.9, 1.8),
                spacing: rng.range(0.6, 0.8),
            },
            mrz_top: Some(h_mm - 0.21 * h_mm),
        },
    };

    draw_security_background(
        &mut canvas,
        &mut rng,
        paper,
        paper2,
        guilloche_ink,
        &layout,
        w_mm,
    );
    let person = Person::random(&mut Rng::derived(seed, 2));
    draw_portrait(&mut canvas, layout.photo, &mut Rng::derived(seed, 3), 1.0);
    if let Some(ghost) = layout.ghost {
        draw_portrait(&mut canvas, ghost, &mut Rng::derived(seed, 3), 0.33);
    }
    match kind {
        DocKind::Id1 => draw_id1_fields(&mut canvas, &person, title_ink),
        DocKind::Td3 => draw_td3_fields(&mut canvas, &person, title_ink),
    }
    let sig_box = match kind {
        DocKind::Id1 => [30.0, 45.0, 58.0, 51.0],
        DocKind::Td3 => [45.0, 60.5, 85.0, 67.0],
    };
    draw_signature(&mut canvas, sig_box, &mut Rng::derived(seed, 4));
    canvas
}

fn draw_security_background(
    canvas: &mut Canvas,
    rng: &mut Rng,
    paper: Rgb,
    paper2: Rgb,
    line_ink: Rgb,
    layout: &Layout,
    w_mm: f32,
) {
    let (slant_a, slant_b) = (rng.range(-0.08, 0.08), rng.range(0.25, 0.45));
    let waves = [Wave::random(rng, slant_a), Wave::random(rng, slant_b)];
    let line_w = rng.range(GUILLOCHE_LINE_MM.0, GUILLOCHE_LINE_MM.1);
    let opacity = rng.range(0.45, 0.7);
    let tint_phase = rng.range(0.0, std::f32::consts::TAU);
    let noise_seed = rng.next_u64();
    let ppmm = canvas.ppmm;
    let half_px = line_w * ppmm / 2.0;
    let rosette = layout.rosette;
    let mrz_top = layout.mrz_top;
    let coverage = move |d_mm: f32| {
        (half_px - d_mm * ppmm + 0.5)
            .clamp(0.0, 1.0)
            .min(2.0 * half_px + 0.05)
    };
    canvas.shade_all(|x, y, p| {
        // Rainbow print: the paper tint drifts smoothly across the page.
        let t = 0.5 + 0.5 * (x / w_mm * 3.0 + tint_phase + 0.05 * y).sin();
        let grain = value_noise(noise_seed, x * 0.8, y * 0.8) - 0.5;
        let mut c = mix_rgb(paper, paper2, t * 0.8);
        c = c.map(|v| v + grain * 4.0);
        let mut strength = opacity;
        if let Some(top) = mrz_top {
            // The MRZ band is kept clear for the reader: paler, almost no pattern.
            let s = smoothstep(top - 2.0, top + 1.0, y);
            c = mix_rgb(c, [246.0, 246.0, 243.0], 0.6 * s);
            strength *= 1.0 - 0.85 * s;
        }
        let mut cov = waves
            .iter()
            .map(|wv| coverage(wv.dist(x, y)))
            .fold(0.0, f32::max);
        for sign in [1.0, -1.0] {
            if let Some(d) = rosette.dist(x, y, sign) {
                let fade = 1.0
                    - smoothstep(
                        rosette.radius - 3.0,
                        rosette.radius,
                        (x - rosette.cx).hypot(y - rosette.cy),
                    );
                cov = cov.max(coverage(d) * fade * 1.2);
            }
        }
        *p = c;
        ink(p, line_ink, (cov * strength).min(1.0));
    });
}

/// Invented but plausible holder data, with a valid ICAO machine-readable zone.
struct Person {
    surname: String,
    given: String,
    country: String,
    code: String,
    number: String,
    birth: (u32, u32, u32),
    expiry: (u32, u32, u32),
    issue: (u32, u32, u32),
    sex: char,
    place: String,
}

const SYLLABLES: [&str; 28] = [
    "AN", "NA", "MAR", "KO", "LI", "SEN", "TA", "RO", "VI", "EL", "DA", "MI", "NOV", "SKI", "BER",
    "GEN", "LAU", "RA", "TE", "SON", "HAL", "IN", "OS", "KA", "PE", "DRO", "LUND", "WA",
];
const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];

fn word(rng: &mut Rng, syllables: usize) -> String {
    (0..syllables).map(|_| rng.pick(&SYLLABLES, "A")).collect()
}

fn letters(rng: &mut Rng, n: usize) -> String {
    (0..n)
        .map(|_| (b'A' + rng.below(26) as u8) as char)
        .collect()
}

impl Person {
    fn random(rng: &mut Rng) -> Self {
        let birth = (
            1 + rng.below(28) as u32,
            1 + rng.below(12) as u32,
            1950 + rng.below(55) as u32,
        );
        let issue = (
            1 + rng.below(28) as u32,
            1 + rng.below(12) as u32,
            2016 + rng.below(8) as u32,
        );
        let expiry = (issue.0, issue.1, issue.2 + 10);
        let syl = 2 + rng.below(2);
        let number = format!("{}{:07}", letters(rng, 2), rng.below(10_000_000));
        Self {
            surname: word(rng, syl),
            given: word(rng, 2),
            country: format!("REPUBLIC OF {}", word(rng, 3)),
            code: letters(rng, 3),
            number,
            birth,
            expiry,
            issue,
            sex: if rng.chance(0.5) { 'F' } else { 'M' },
            place: word(rng, 3),
        }
    }

    fn date_text((d, m, y): (u32, u32, u32)) -> String {
        let month = MONTHS
            .get((m as usize).saturating_sub(1))
            .copied()
            .unwrap_or("JAN");
        format!("{d:02} {month} {y}")
    }

    fn date_mrz((d, m, y): (u32, u32, u32)) -> String {
        format!("{:02}{m:02}{d:02}", y % 100)
    }

    fn mrz_td3(&self) -> [String; 2] {
        let name = format!("{}<<{}", self.surname, self.given);
        let mut l1 = format!("P<{}{}", self.code, name);
        l1.truncate(MRZ_CHARS);
        let l1 = format!("{l1:<<MRZ_CHARS$}");
        let num = format!("{:<<9}", self.number);
        let birth = Self::date_mrz(self.birth);
        let expiry = Self::date_mrz(self.expiry);
        let personal = "<".repeat(14);
        let parts = [
            format!("{num}{}", check_digit(&num)),
            format!("{birth}{}", check_digit(&birth)),
            format!("{expiry}{}", check_digit(&expiry)),
            format!("{personal}{}", check_digit(&personal)),
        ];
        let composite = check_digit(&parts.concat());
        let [a, b, c, d] = parts;
        let l2 = format!("{a}{}{b}{}{c}{d}{composite}", self.code, self.sex);
        [l1, l2]
    }
}

/// ICAO 9303 check digit: weights 7, 3, 1; digits as themselves, A-Z as 10-35, '<' as 0.
fn check_digit(s: &str) -> u32 {
    let value = |c: char| match c {
        '0'..='9' => c as u32 - '0' as u32,
        'A'..='Z' => c as u32 - 'A' as u32 + 10,
        _ => 0,
    };
    s.chars()
        .zip([7, 3, 1].into_iter().cycle())
        .map(|(c, w)| value(c) * w)
        .sum::<u32>()
        % 10
}

fn label_ink(title: Rgb) -> Rgb {
    mix_rgb(title, [255.0; 3], 0.25)
}

/// A small label above a bold value, the layout of every field on an identity document.
fn field(
    canvas: &mut Canvas,
    x: f32,
    baseline: f32,
    label: &str,
    value: &str,
    cap: f32,
    title: Rgb,
) {
    let label_cap = cap * 0.5;
    canvas.text(
        label,
        x,
        baseline - cap - 1.0,
        label_cap,
        label_cap * TEXT_ADVANCE,
        LABEL_STROKE_MM,
        label_ink(title),
    );
    canvas.text(
        value,
        x,
        baseline,
        cap,
        cap * TEXT_ADVANCE,
        VALUE_STROKE_MM,
        BLACK_INK,
    );
}

fn draw_id1_fields(canvas: &mut Canvas, p: &Person, title: Rgb) {
    let country = p.country.clone();
    canvas.text(&country, 4.0, 6.2, 2.6, 2.6 * 0.84, TITLE_STROKE_MM, title);
    canvas.text("IDENTITY CARD", 4.0, 9.8, 1.6, 1.6 * 0.84, 0.28, title);
    canvas.text(
        &p.number,
        60.0,
        6.2,
        2.2,
        2.2 * 0.8,
        0.36,
        [150.0, 30.0, 40.0],
    );
    let x = 30.0;
    let cap = 2.2;
    field(canvas, x, 17.5, "SURNAME", &p.surname, cap, title);
    field(canvas, x, 24.5, "GIVEN NAMES", &p.given, cap, title);
    field(
        canvas,
        x,
        31.5,
        "DATE OF BIRTH",
        &Person::date_text(p.birth),
        cap,
        title,
    );
    field(canvas, x, 38.5, "SEX", &p.sex.to_string(), cap, title);
    field(canvas, x + 10.0, 38.5, "NATIONALITY", &p.code, cap, title);
    field(
        canvas,
        x + 33.0,
        38.5,
        "EXPIRY",
        &Person::date_text(p.expiry),
        cap * 0.8,
        title,
    );
}

fn draw_td3_fields(canvas: &mut Canvas, p: &Person, title: Rgb) {
    canvas.text(
        "PASSPORT",
        6.0,
        9.5,
        3.2,
        3.2 * 0.84,
        TITLE_STROKE_MM,
        title,
    );
    canvas.text(
        &p.country,
        48.0,
        9.5,
        3.4,
        3.4 * 0.84,
        TITLE_STROKE_MM + 0.05,
        title,
    );
    let (x, x2, cap) = (45.0, 90.0, 2.6);
    field(canvas, x, 20.0, "TYPE", "P", cap, title);
    field(canvas, x + 14.0, 20.0, "CODE", &p.code, cap, title);
    field(canvas, x2, 20.0, "PASSPORT NO", &p.number, cap, title);
    field(canvas, x, 27.5, "SURNAME", &p.surname, cap, title);
    field(canvas, x, 35.0, "GIVEN NAMES", &p.given, cap, title);
    field(
        canvas,
        x,
        42.5,
        "DATE OF BIRTH",
        &Person::date_text(p.birth),
        cap,
        title,
    );
    field(canvas, x, 50.0, "PLACE OF BIRTH", &p.place, cap, title);
    field(
        canvas,
        x,
        57.5,
        "DATE OF ISSUE",
        &Person::date_text(p.issue),
        cap,
        title,
    );
    field(
        canvas,
        x + 36.0,
        57.5,
        "SEX",
        &p.sex.to_string(),
        cap,
        title,
    );
    field(
        canvas,
        x2 - 8.0,
        27.5,
        "DATE OF EXPIRY",
        &Person::date_text(p.expiry),
        cap * 0.9,
        title,
    );
    let [l1, l2] = p.mrz_td3();
    let h_mm = DocKind::Td3.size_mm().1;
    let x0 = 6.0;
    canvas.text(
        &l1,
        x0,
        h_mm - 10.5,
        MRZ_CAP_MM,
        MRZ_PITCH_MM,
        MRZ_STROKE_MM,
        BLACK_INK,
    );
    canvas.text(
        &l2,
        x0,
        h_mm - 4.5,
        MRZ_CAP_MM,
        MRZ_PITCH_MM,
        MRZ_STROKE_MM,
        BLACK_INK,
    );
}

/// A smooth hand-written-looking squiggle.
fn draw_signature(canvas: &mut Canvas, r: [f32; 4], rng: &mut Rng) {
    let [x0, y0, x1, y1] = r;
    let (cy, amp) = ((y0 + y1) / 2.0, (y1 - y0) / 2.0);
    let freqs = [
        rng.range(0.8, 1.4),
        rng.range(2.0, 3.5),
        rng.range(4.0, 6.0),
    ];
    let phases = [
        rng.range(0.0, TAU),
        rng.range(0.0, TAU),
        rng.range(0.0, TAU),
    ];
    let n = 160;
    let pts: Vec<(f32, f32)> = (0..=n)
        .map(|i| {
            let t = i as f32 / n as f32;
            let loop_x = 0.04 * (t * 40.0 + phases[0]).sin() * (x1 - x0);
            let x = x0 + t * (x1 - x0) + loop_x;
            let y = cy
                + amp
                    * (0.5 * (freqs[0] * TAU * t + phases[0]).sin()
                        + 0.35 * (freqs[1] * TAU * t + phases[1]).sin()
                        + 0.3 * (freqs[2] * TAU * t * 4.0 + phases[2]).cos());
            (x, y)
        })
        .collect();
    let segs: Vec<_> = pts
        .windows(2)
        .filter_map(|w| Some((*w.first()?, *w.get(1)?)))
        .collect();
    canvas.stroke(&segs, 0.3, SIGNATURE_INK, 0.9);
}

/// Signed distance (in units of the box height) outside an ellipse, approximately.
fn ellipse_sd(x: f32, y: f32, cx: f32, cy: f32, rx: f32, ry: f32) -> f32 {
    let e = ((x - cx) / rx).hypot((y - cy) / ry);
    (e - 1.0) * rx.min(ry)
}

/// A head-and-shoulders portrait in the box `r` (mm). `fade` < 1 gives the faint ghost image.
fn draw_portrait(canvas: &mut Canvas, r: [f32; 4], rng: &mut Rng, fade: f32) {
    let [x0, y0, x1, y1] = r;
    let (bw, bh) = (x1 - x0, y1 - y0);
    let px_per_unit = bh * canvas.ppmm;
    let cov = |sd: f32| (0.5 - sd * px_per_unit).clamp(0.0, 1.0);
    let skins: [Rgb; 5] = [
        [236.0, 200.0, 175.0],
        [220.0, 175.0, 140.0],
        [190.0, 140.0, 105.0],
        [150.0, 100.0, 70.0],
        [105.0, 70.0, 50.0],
    ];
    let hairs: [Rgb; 5] = [
        [25.0, 20.0, 18.0],
        [70.0, 45.0, 30.0],
        [150.0, 115.0, 70.0],
        [120.0, 120.0, 120.0],
        [45.0, 30.0, 25.0],
    ];
    let cloths: [Rgb; 4] = [
        [40.0, 45.0, 60.0],
        [70.0, 70.0, 75.0],
        [30.0, 30.0, 30.0],
        [90.0, 40.0, 40.0],
    ];
    let skin = rng.pick(&skins, skins[1]);
    let hair = rng.pick(&hairs, hairs[0]);
    let cloth = rng.pick(&cloths, cloths[0]);
    let backdrop: Rgb = rng.pick(
        &[
            [205.0, 212.0, 220.0],
            [225.0, 225.0, 222.0],
            [190.0, 205.0, 225.0],
        ],
        [210.0; 3],
    );
    let grey = rng.chance(0.5);
    let head_w = rng.range(0.18, 0.22);
    let hair_len = rng.range(0.5, 0.75);
    let seed = rng.next_u64();
    let aspect = bw / bh;
    canvas.shade_rect(r, |x, y, edge, p| {
        // Isotropic coordinates in units of the box height, x centred.
        let u = ((x - x0) / bh) - aspect / 2.0;
        let v = (y - y0) / bh;
        let mut c = mix_rgb(backdrop, backdrop.map(|b| b * 0.85), v);
        let shoulders = cov(ellipse_sd(u, v, 0.0, 1.1, 0.5, 0.36));
        c = mix_rgb(
            c,
            cloth.map(|k| k * (1.05 - 0.25 * (u + 0.5).clamp(0.0, 1.0))),
            shoulders,
        );
        let neck = cov((u.abs() - 0.075).max(v - 0.9).max(0.55 - v));
        c = mix_rgb(c, skin.map(|k| k * 0.8), neck);
        let hair_back = cov(ellipse_sd(u, v, 0.0, 0.4, head_w + 0.045, 0.3).max(v - hair_len));
        c = mix_rgb(c, hair, hair_back);
        // Face lit from the left: brighter on the left cheek, darker towards the right edge.
        let face_sd = ellipse_sd(u, v, 0.0, 0.45, head_w, 0.26);
        let shade = 1.0
            - 0.22 * (u / head_w).clamp(-1.0, 1.0)
            - 0.25 * ((face_sd + 0.05) / 0.05).clamp(0.0, 1.0);
        c = mix_rgb(c, skin.map(|k| k * shade), cov(face_sd));
        let fringe = cov(ellipse_sd(u, v, 0.0, 0.3, head_w + 0.02, 0.14)
            .max(v - 0.34 - 0.04 * (u * 30.0).sin().abs()));
        c = mix_rgb(c, hair, fringe);
        for side in [-1.0, 1.0] {
            let eye = cov(ellipse_sd(u, v, side * 0.075, 0.44, 0.028, 0.011));
            c = mix_rgb(c, [45.0, 35.0, 35.0], eye);
            let brow = cov(ellipse_sd(u, v, side * 0.075, 0.405, 0.04, 0.007));
            c = mix_rgb(c, hair.map(|k| k * 0.8), brow * 0.8);
        }
        let nose = cov(ellipse_sd(u, v, 0.012, 0.5, 0.012, 0.035));
        c = mix_rgb(c, skin.map(|k| k * 0.8), nose * 0.6);
        let mouth = cov(ellipse_sd(u, v, 0.0, 0.565, 0.055, 0.012));
        c = mix_rgb(
            c,
            [150.0, 70.0, 70.0].map(|k| k * skin[0] / 230.0),
            mouth * 0.85,
        );
        let grain = (fbm(seed, x * 3.0, y * 3.0, 2) - 0.5) * 10.0;
        c = c.map(|k| k + grain);
        if grey {
            let l = 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
            c = [l * 1.02, l, l * 0.96];
        }
        let a = edge * fade;
        *p = mix_rgb(*p, c, a);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icao_check_digits_match_the_specimen() {
        // ICAO 9303 part 4 example: L898902C3, 740812, 120415.
        assert_eq!(check_digit("L898902C3"), 6);
        assert_eq!(check_digit("740812"), 2);
        assert_eq!(check_digit("120415"), 9);
    }

    #[test]
    fn td3_mrz_lines_are_44_characters() {
        for seed in 0..20 {
            let p = Person::random(&mut Rng::new(seed));
            for line in p.mrz_td3() {
                assert_eq!(line.chars().count(), MRZ_CHARS, "{line}");
            }
        }
    }

    #[test]
    fn document_has_the_page_size_and_both_light_and_dark_print() {
        let img = procedural_document(DocKind::Id1, 5, 8.0);
        assert_eq!((img.width(), img.height()), (685, 432));
        let lumas: Vec<f32> = img
            .pixels()
            .map(|p| 0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32)
            .collect();
        let dark = lumas.iter().filter(|&&l| l < 80.0).count() as f32 / lumas.len() as f32;
        let light = lumas.iter().filter(|&&l| l > 180.0).count() as f32 / lumas.len() as f32;
        assert!(dark > 0.01 && light > 0.5, "dark {dark} light {light}");
    }

    #[test]
    fn same_seed_same_page_other_seed_other_page() {
        let a = procedural_document(DocKind::Td3, 9, 4.0);
        assert_eq!(a, procedural_document(DocKind::Td3, 9, 4.0));
        assert_ne!(a, procedural_document(DocKind::Td3, 10, 4.0));
    }
}
