//! Synthetic scenes with a known answer: a document warped into a frame, with blur, glare,
//! fingers and bad light. Shared by the tests, the benchmarks and the demo source.
//!
//! [`render`] builds a webcam-like frame from a [`SceneSpec`] and returns the exact [`Truth`]
//! (same meanings as the benchmark's ground truth in `formats.md`). It needs no files, and the same
//! spec always gives the same pixels.
//!
//! Pipeline, in linear light: background -> document (inverse-mapped through the homography,
//! bilinear from a supersampled texture, analytic anti-aliased outline with rounded ID-1 corners)
//! with shadow band and additive glare -> fingers and their shadows -> vignetting -> defocus and
//! motion blur over the whole frame -> sRGB encoding -> sensor noise.
//!
//! Frame coordinates are pixel edges: (0, 0) is the top-left corner of the top-left pixel.

mod background;
mod camera;
pub mod demo;
mod document;
mod effects;
mod finger;
mod font;
pub mod rng;

use std::sync::{Arc, Mutex};

use image::RgbImage;
use rayon::prelude::*;

pub use background::Background;
pub use document::procedural_document;
pub use finger::Finger;

use crate::analysis::{DocKind, Point, Quad};
use camera::Mat3;
use effects::Px;

/// Horizontal field of view of a typical laptop webcam (degrees).
pub const DEFAULT_HFOV_DEG: f32 = 65.0;
/// Corner radius of ISO/IEC 7810 ID-1 cards (mm).
pub const ID1_CORNER_RADIUS_MM: f32 = 3.18;
/// Passport data pages are cut with slightly rounded corners (mm).
pub const TD3_CORNER_RADIUS_MM: f32 = 2.0;
/// Linear light level of white paper at exposure 1.0: a webcam's auto-exposure keeps a light
/// card below clipping (white paper ~205 in sRGB, the whole card averaging ~170).
const LIGHT_LEVEL: f32 = 0.62;
/// Darkening of the frame corners relative to the centre (lens vignetting).
const VIGNETTE: f32 = 0.22;
/// Largest white-balance error of the light (fraction per channel, warm or cool).
const WHITE_BALANCE_SPREAD: f32 = 0.05;
/// Document texture resolution relative to the largest on-frame resolution of the page.
const TEXTURE_OVERSAMPLE: f32 = 1.3;
const TEXTURE_PPMM_RANGE: (f32, f32) = (3.0, 40.0);
/// Procedural textures kept for reuse (the demo and benchmarks render one page many times).
const TEXTURE_CACHE_LEN: usize = 4;
/// A pixel is "clipped by glare" when every channel reaches this level (formats.md) where the
/// highlight added at least this much linear light.
const GLARE_CLIP_LEVEL: u8 = 250;
const GLARE_MIN_ADDED: f32 = 0.01;
/// An open passport booklet: the cover shows this far beyond the pages (mm), the fold between
/// the pages darkens this much at its deepest, over about this distance (mm).
const BOOKLET_COVER_RIM_MM: f32 = 3.0;
const BOOKLET_COVER_RADIUS_MM: f32 = 4.0;
const BOOKLET_FOLD_SHADE: f32 = 0.3;
const BOOKLET_FOLD_MM: f32 = 2.5;
/// The facing (visa) page's paper, linear light, and the depth of its faint wave print.
const BOOKLET_PAGE: [f32; 3] = [0.80, 0.81, 0.74];
const BOOKLET_PRINT: f32 = 0.03;
/// Passport cover colours, linear light: burgundy, navy, dark green, black.
const BOOKLET_COVERS: [[f32; 3]; 4] = [
    [0.20, 0.02, 0.04],
    [0.02, 0.03, 0.12],
    [0.02, 0.09, 0.04],
    [0.015, 0.015, 0.015],
];
/// Headroom on the largest page-mm per pixel before a pixel's coverage is taken as exactly
/// 1 or 0 without its local scale (the exact test needs only half of it).
const AA_REACH_MARGIN: f32 = 1.5;
/// Corner occlusion is judged at the page point this far in from both edges (mm): inside the
/// rounded corner, where a reader would look for it.
const CORNER_PROBE_INSET_MM: f32 = 2.5;

/// Where the document is.
#[derive(Clone, Debug, PartialEq)]
pub enum Placement {
    /// A pinhole camera (principal point at the frame centre) looking at the page. `center` is
    /// where the page centre projects (fraction of the frame), `fill` the page width over the frame
    /// width when seen face-on. Positive pitch tips the top edge away, positive yaw turns the
    /// right edge away, positive roll turns the page clockwise on screen.
    Pose {
        center: (f32, f32),
        fill: f32,
        pitch_deg: f32,
        yaw_deg: f32,
        roll_deg: f32,
        hfov_deg: f32,
    },
    /// The page corners TL, TR, BR, BL in frame pixels (tilt and roll are then decomposed with
    /// [`DEFAULT_HFOV_DEG`]).
    Corners(Quad),
}

impl Default for Placement {
    fn default() -> Self {
        Placement::Pose {
            center: (0.5, 0.5),
            fill: 0.65,
            pitch_deg: 0.0,
            yaw_deg: 0.0,
            roll_deg: 0.0,
            hfov_deg: DEFAULT_HFOV_DEG,
        }
    }
}

/// A specular highlight on the laminate. Added in linear light, so a strong one clips to 255.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Glare {
    /// Centre on the page, fraction of its width and height.
    pub center: (f32, f32),
    /// Radii as fractions of the page width and height (the falloff scale; the clipped core is
    /// smaller, growing with `strength`).
    pub radii: (f32, f32),
    pub angle_deg: f32,
    /// Peak added light relative to white paper (about 1 just reaches clipping on a light card).
    pub strength: f32,
}

impl Default for Glare {
    fn default() -> Self {
        Self {
            center: (0.62, 0.4),
            radii: (0.15, 0.1),
            angle_deg: 20.0,
            strength: 2.5,
        }
    }
}

/// A soft shadow band across the page (an arm or a phone between the lamp and the document).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shadow {
    /// Direction across which the band varies (0 = a vertical band moving along x).
    pub angle_deg: f32,
    /// Band centre, as a fraction of the page width from the centre line (0.5 = page centre).
    pub position: f32,
    /// Band width and edge softness, fractions of the page width.
    pub width: f32,
    pub softness: f32,
    /// Light removed at the band core (0..1).
    pub strength: f32,
}

impl Default for Shadow {
    fn default() -> Self {
        Self {
            angle_deg: 25.0,
            position: 0.35,
            width: 0.35,
            softness: 0.12,
            strength: 0.55,
        }
    }
}

/// Everything about one synthetic frame. `Default` is a well-placed ID-1 card at 1280x720 that
/// passes every check.
#[derive(Clone, Debug)]
pub struct SceneSpec {
    pub width: u32,
    pub height: u32,
    pub kind: DocKind,
    /// Drives document content, background texture, finger looks and noise.
    pub seed: u64,
    pub background: Background,
    pub placement: Placement,
    /// Gaussian defocus sigma in frame pixels.
    pub blur_px: f32,
    /// Linear motion blur length in frame pixels, and its direction.
    pub motion_px: f32,
    pub motion_angle_deg: f32,
    pub glare: Option<Glare>,
    pub fingers: Vec<Finger>,
    /// Gain on linear light. The sRGB curve compresses it: the default card's mean luma is ~165
    /// at 1.0, ~90 at 0.3 (dim, still acceptable), ~40 at 0.06 (too dark), ~225 at 2.5 (washed
    /// out, most of the page clipped) and > 235 at 4.0.
    pub exposure: f32,
    pub shadow: Option<Shadow>,
    /// Sensor noise standard deviation in 8-bit levels.
    pub noise: f32,
    /// Use this page image instead of the procedural document (stretched onto the page outline).
    pub document_image: Option<Arc<RgbImage>>,
    /// A passport data page shown in its open booklet: the facing page above it (its sides run
    /// on along the page's sides) and the cover's rim around both. Ignored for ID-1 cards.
    pub booklet: bool,
}

impl Default for SceneSpec {
    fn default() -> Self {
        Self {
            width: 1280,
            height: 720,
            kind: DocKind::Id1,
            seed: 1,
            background: Background::Wood,
            placement: Placement::default(),
            blur_px: 0.5,
            motion_px: 0.0,
            motion_angle_deg: 0.0,
            glare: None,
            fingers: Vec::new(),
            exposure: 1.0,
            shadow: None,
            noise: 1.5,
            document_image: None,
            booklet: false,
        }
    }
}

/// A frame and its exact answer.
#[derive(Clone, Debug)]
pub struct Rendered {
    pub image: RgbImage,
    pub truth: Truth,
}

/// The true state of the scene, as in formats.md's ground truth.
#[derive(Clone, Debug, PartialEq)]
pub struct Truth {
    /// TL, TR, BR, BL of the page (virtual sharp corners), possibly outside the frame.
    pub corners: Quad,
    pub kind: DocKind,
    /// Pixels per mm at the page centre (geometric mean of the two directions).
    pub ppmm: f32,
    /// Visible page area inside the frame over the frame area (fingers not subtracted).
    pub fill: f32,
    pub blur_px: f32,
    pub motion_px: f32,
    /// Fraction of the in-frame page area with every channel >= 250 because of the highlight.
    pub glare_frac: f32,
    /// Corners (0..=3) covered by a finger.
    pub occluded_corners: Vec<usize>,
    /// Fraction of the in-frame page area covered by fingers.
    pub occluded_frac: f32,
    /// Angle between the page normal and the optical axis.
    pub tilt_deg: f32,
    /// In-plane rotation (clockwise on screen positive).
    pub roll_deg: f32,
    /// Mean luma (Rec. 601) of the visible page pixels in the final frame.
    pub luma_mean: f32,
}

/// The page as a linear-light texture.
struct Texture {
    w: usize,
    h: usize,
    px: Vec<Px>,
    /// Texels per mm along x and y.
    sx: f32,
    sy: f32,
}

impl Texture {
    fn from_image(img: &RgbImage, w_mm: f32, h_mm: f32) -> Self {
        let (w, h) = (img.width().max(1) as usize, img.height().max(1) as usize);
        let lut = effects::decode_lut();
        let mut px: Vec<Px> = img.pixels().map(|p| p.0.map(|c| lut[c as usize])).collect();
        px.resize(w * h, [0.0; 3]);
        Self {
            w,
            h,
            px,
            sx: w as f32 / w_mm,
            sy: h as f32 / h_mm,
        }
    }

    fn sample(&self, x_mm: f32, y_mm: f32) -> Px {
        let fx = (x_mm * self.sx - 0.5).clamp(0.0, (self.w - 1) as f32);
        let fy = (y_mm * self.sy - 0.5).clamp(0.0, (self.h - 1) as f32);
        let (x0, y0) = (fx as usize, fy as usize);
        let (x1, y1) = ((x0 + 1).min(self.w - 1), (y0 + 1).min(self.h - 1));
        let (tx, ty) = (fx - x0 as f32, fy - y0 as f32);
        let at = |x: usize, y: usize| self.px.get(y * self.w + x).copied().unwrap_or_default();
        let (a, b, c, d) = (at(x0, y0), at(x1, y0), at(x0, y1), at(x1, y1));
        [0, 1, 2].map(|k| {
            let top = a[k] + (b[k] - a[k]) * tx;
            let bottom = c[k] + (d[k] - c[k]) * tx;
            top + (bottom - top) * ty
        })
    }
}

type CacheKey = (DocKind, u64, u32);
static TEXTURE_CACHE: Mutex<Vec<(CacheKey, Arc<Texture>)>> = Mutex::new(Vec::new());

fn procedural_texture(kind: DocKind, seed: u64, ppmm: u32) -> Arc<Texture> {
    let key = (kind, seed, ppmm);
    let mut cache = TEXTURE_CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, t)) = cache.iter().find(|(k, _)| *k == key) {
        return t.clone();
    }
    drop(cache);
    let (w_mm, h_mm) = kind.size_mm();
    let tex = Arc::new(Texture::from_image(
        &procedural_document(kind, seed, ppmm as f32),
        w_mm,
        h_mm,
    ));
    cache = TEXTURE_CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if cache.len() >= TEXTURE_CACHE_LEN {
        cache.remove(0);
    }
    cache.push((key, tex.clone()));
    tex
}

fn image_texture(img: &RgbImage, kind: DocKind, ppmm: f32) -> Texture {
    let (w_mm, h_mm) = kind.size_mm();
    let (tw, th) = ((w_mm * ppmm).ceil() as u32, (h_mm * ppmm).ceil() as u32);
    if img.width() > tw * 3 / 2 && img.height() > th * 3 / 2 {
        // Pre-shrink so bilinear sampling does not alias a much finer scan.
        let small = image::imageops::resize(img, tw, th, image::imageops::FilterType::Triangle);
        Texture::from_image(&small, w_mm, h_mm)
    } else {
        Texture::from_image(img, w_mm, h_mm)
    }
}

/// Signed distance (mm) from (x, y) to the outline of a w x h page with corner radius r.
fn rounded_rect_sd(x: f32, y: f32, w: f32, h: f32, r: f32) -> f32 {
    let qx = (x - w / 2.0).abs() - (w / 2.0 - r);
    let qy = (y - h / 2.0).abs() - (h / 2.0 - r);
    (qx.max(0.0).powi(2) + qy.max(0.0).powi(2)).sqrt() + qx.max(qy).min(0.0) - r
}

fn corner_radius(kind: DocKind) -> f32 {
    match kind {
        DocKind::Id1 => ID1_CORNER_RADIUS_MM,
        DocKind::Td3 => TD3_CORNER_RADIUS_MM,
    }
}

struct Geometry {
    doc_to_frame: Mat3,
    frame_to_doc: Mat3,
    tilt_deg: f32,
    roll_deg: f32,
}

fn geometry(spec: &SceneSpec, w: u32, h: u32) -> (Quad, Option<Geometry>) {
    let solved = match &spec.placement {
        Placement::Pose {
            center,
            fill,
            pitch_deg,
            yaw_deg,
            roll_deg,
            hfov_deg,
        } => {
            let s = camera::solve_pose(
                spec.kind, w, h, *center, *fill, *pitch_deg, *yaw_deg, *roll_deg, *hfov_deg,
            );
            Some((s.doc_to_frame, s.tilt_deg, *roll_deg))
        }
        Placement::Corners(q) => camera::quad_homography(spec.kind, q).map(|m| {
            let (tilt, roll) = camera::decompose(&m, camera::focal_px(w, DEFAULT_HFOV_DEG), w, h);
            (m, tilt, roll)
        }),
    };
    let Some((doc_to_frame, tilt_deg, roll_deg)) = solved else {
        let q = match &spec.placement {
            Placement::Corners(q) => *q,
            Placement::Pose { .. } => Quad::default(),
        };
        return (q, None);
    };
    let corners = match &spec.placement {
        Placement::Corners(q) => *q,
        Placement::Pose { .. } => camera::corners(spec.kind, &doc_to_frame),
    };
    let geo = camera::mat_inverse(&doc_to_frame).map(|inv| {
        // Orient the inverse so frame points in front of the page map with positive weight.
        let (w_mm, h_mm) = spec.kind.size_mm();
        let c = camera::apply(&doc_to_frame, w_mm as f64 / 2.0, h_mm as f64 / 2.0)
            .unwrap_or((0.0, 0.0));
        let wt = inv[6] * c.0 + inv[7] * c.1 + inv[8];
        let frame_to_doc = if wt < 0.0 { inv.map(|v| -v) } else { inv };
        Geometry {
            doc_to_frame,
            frame_to_doc,
            tilt_deg,
            roll_deg,
        }
    });
    (corners, geo)
}

/// The largest page resolution (pixels per mm) anywhere on the visible page.
fn max_ppmm(kind: DocKind, m: &Mat3) -> f32 {
    let (w, h) = kind.size_mm();
    let mut best = 0.0f64;
    for i in 0..=4 {
        for j in 0..=4 {
            let (x, y) = (w as f64 * i as f64 / 4.0, h as f64 * j as f64 / 4.0);
            if camera::apply(m, x, y).is_some() {
                best = best.max(camera::jacobian_det(m, x, y).sqrt());
            }
        }
    }
    best as f32
}

/// Per-pixel state the truth needs after the pixels have been blurred.
struct Masks {
    doc_alpha: Vec<f32>,
    glare: Vec<f32>,
    cover: Vec<f32>,
}

/// Renders one frame and its exact truth.
pub fn render(spec: &SceneSpec) -> Rendered {
    SceneRenderer::default().render(spec)
}

/// Renders frame after frame of one scene, keeping what does not change between them: the
/// background (about half of a frame's time) is drawn once per background, size and seed.
#[derive(Default)]
pub struct SceneRenderer {
    background: Option<(BackgroundKey, Vec<Px>)>,
}

type BackgroundKey = (Background, usize, usize, u64);

impl std::fmt::Debug for SceneRenderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SceneRenderer")
            .field("background", &self.background.as_ref().map(|(k, _)| k))
            .finish()
    }
}

impl SceneRenderer {
    /// The same frame as [`render`] gives for `spec`.
    pub fn render(&mut self, spec: &SceneSpec) -> Rendered {
        let (w, h) = (spec.width.max(1) as usize, spec.height.max(1) as usize);
        let key = (spec.background.clone(), w, h, spec.seed);
        let background = match &mut self.background {
            Some((k, buf)) if *k == key => buf,
            slot => {
                let buf = background::render(&spec.background, w, h, spec.seed);
                &slot.insert((key, buf)).1
            }
        };
        render_over(spec, background)
    }
}

/// Renders the scene over its `background` (linear light, `spec`'s size, before the light's gain).
fn render_over(spec: &SceneSpec, background: &[Px]) -> Rendered {
    let (wu, hu) = (spec.width.max(1), spec.height.max(1));
    let (w, h) = (wu as usize, hu as usize);
    let kind = spec.kind;
    let exposure = if spec.exposure.is_finite() {
        spec.exposure.max(0.0)
    } else {
        1.0
    };
    let mut light_rng = rng::Rng::derived(spec.seed, 20);
    let wb = light_rng.range(-WHITE_BALANCE_SPREAD, WHITE_BALANCE_SPREAD);
    let gain: Px = [1.0 + wb, 1.0, 1.0 - wb].map(|c| c * LIGHT_LEVEL * exposure);

    let mut buf: Vec<Px> = background
        .par_iter()
        .map(|p| [p[0] * gain[0], p[1] * gain[1], p[2] * gain[2]])
        .collect();
    let mut masks = Masks {
        doc_alpha: vec![0.0; w * h],
        glare: vec![0.0; w * h],
        cover: vec![0.0; w * h],
    };

    let (corners, geo) = geometry(spec, wu, hu);
    let mut occluded_corners = Vec::new();
    if let Some(g) = &geo {
        let tex_ppmm = (max_ppmm(kind, &g.doc_to_frame) * TEXTURE_OVERSAMPLE)
            .clamp(TEXTURE_PPMM_RANGE.0, TEXTURE_PPMM_RANGE.1)
            .ceil();
        let texture = match &spec.document_image {
            Some(img) => Arc::new(image_texture(img, kind, tex_ppmm)),
            None => procedural_texture(kind, spec.seed, tex_ppmm as u32),
        };
        draw_document(&mut buf, &mut masks, w, h, spec, g, &texture, gain);
        let capsules: Vec<_> = spec
            .fingers
            .iter()
            .enumerate()
            .filter_map(|(i, f)| finger::place(f, i, spec.seed, kind, &g.doc_to_frame))
            .collect();
        for c in &capsules {
            finger::shade(&mut buf, w, h, c);
            finger::draw(&mut buf, &mut masks.cover, w, h, c, LIGHT_LEVEL * exposure);
        }
        occluded_corners = covered_corners(kind, &g.doc_to_frame, &capsules);
    }

    vignette(&mut buf, w, h);
    effects::gaussian_blur(&mut buf, w, h, spec.blur_px.max(0.0));
    effects::motion_blur(
        &mut buf,
        w,
        h,
        spec.motion_px.max(0.0),
        spec.motion_angle_deg,
    );
    let image = effects::encode_with_noise(
        &buf,
        w,
        h,
        spec.noise,
        rng::Rng::derived(spec.seed, 50).next_u64(),
    );

    let stats = measure(&image, &masks);
    let ppmm = geo
        .as_ref()
        .map(|g| {
            let (w_mm, h_mm) = kind.size_mm();
            camera::jacobian_det(&g.doc_to_frame, w_mm as f64 / 2.0, h_mm as f64 / 2.0).sqrt()
                as f32
        })
        .unwrap_or(0.0);
    let truth = Truth {
        corners,
        kind,
        ppmm,
        fill: stats.fill,
        blur_px: spec.blur_px.max(0.0),
        motion_px: spec.motion_px.max(0.0),
        glare_frac: if spec.glare.is_some() {
            stats.glare_frac
        } else {
            0.0
        },
        occluded_corners,
        occluded_frac: stats.occluded_frac,
        tilt_deg: geo.as_ref().map_or(0.0, |g| g.tilt_deg),
        roll_deg: geo.as_ref().map_or(0.0, |g| g.roll_deg),
        luma_mean: stats.luma_mean,
    };
    Rendered { image, truth }
}

#[allow(clippy::too_many_arguments)]
fn draw_document(
    buf: &mut [Px],
    masks: &mut Masks,
    w: usize,
    h: usize,
    spec: &SceneSpec,
    g: &Geometry,
    texture: &Texture,
    gain: Px,
) {
    let (w_mm, h_mm) = spec.kind.size_mm();
    let radius = corner_radius(spec.kind);
    let booklet = (spec.booklet && spec.kind == DocKind::Td3)
        .then(|| rng::Rng::derived(spec.seed, 60).pick(&BOOKLET_COVERS, BOOKLET_COVERS[0]));
    let (x0, x1, y0, y1) = match booklet {
        // The booklet can reach behind the camera's plane: draw wherever the frame may show it.
        Some(_) => (0, w, 0, h),
        None => {
            let (lo, hi) = camera::corners(spec.kind, &g.doc_to_frame).bounds();
            (
                (lo.x - 2.0).floor().clamp(0.0, w as f32) as usize,
                (hi.x + 2.0).ceil().clamp(0.0, w as f32) as usize,
                (lo.y - 2.0).floor().clamp(0.0, h as f32) as usize,
                (hi.y + 2.0).ceil().clamp(0.0, h as f32) as usize,
            )
        }
    };
    if x0 >= x1 || y0 >= y1 {
        return;
    }
    let glare = spec.glare.map(|gl| {
        let a = gl.angle_deg.to_radians();
        (
            gl,
            a.cos(),
            a.sin(),
            (gl.radii.0 * w_mm).max(0.1),
            (gl.radii.1 * h_mm).max(0.1),
        )
    });
    let shadow = spec.shadow.map(|s| {
        let a = s.angle_deg.to_radians();
        (s, a.cos(), a.sin())
    });
    let m = &g.frame_to_doc;
    // The largest page-mm per pixel over the drawn box (a homography's area scale peaks at a
    // corner of a box it maps without wrapping): farther than this inside or outside an
    // outline, its anti-aliased coverage is exactly 1 or 0 and the local scale is not needed.
    let aa_reach = [(x0, y0), (x1, y0), (x0, y1), (x1, y1)]
        .iter()
        .map(|&(x, y)| match camera::apply(m, x as f64, y as f64) {
            Some(_) => camera::jacobian_det(m, x as f64, y as f64).sqrt() as f32,
            None => f32::INFINITY,
        })
        .fold(0.0f32, f32::max)
        * AA_REACH_MARGIN;
    buf.par_chunks_mut(w)
        .zip(masks.doc_alpha.par_chunks_mut(w))
        .zip(masks.glare.par_chunks_mut(w))
        .enumerate()
        .skip(y0)
        .take(y1 - y0)
        .for_each(|(y, ((row, alpha_row), glare_row))| {
            let py = y as f64 + 0.5;
            for x in x0..x1 {
                let px = x as f64 + 0.5;
                let Some((xm, ym)) = camera::apply(m, px, py) else {
                    continue;
                };
                let mm_per_px = || camera::jacobian_det(m, px, py).sqrt() as f32;
                let (xm, ym) = (xm as f32, ym as f32);
                let coverage = |sd: f32| {
                    if sd <= -aa_reach {
                        1.0
                    } else if sd >= aa_reach {
                        0.0
                    } else {
                        (0.5 - sd / mm_per_px().max(1e-6)).clamp(0.0, 1.0)
                    }
                };
                let alpha = coverage(rounded_rect_sd(xm, ym, w_mm, h_mm, radius));
                // Both pages darken toward the fold between them (at ym = 0).
                let fold_shade = booklet.map_or(0.0, |_| {
                    BOOKLET_FOLD_SHADE * (-ym.abs() / BOOKLET_FOLD_MM).exp()
                });
                if let (Some(cover), Some(p)) = (booklet, row.get_mut(x)) {
                    let rim = BOOKLET_COVER_RIM_MM;
                    let (bx, by) = (xm + rim, ym + h_mm + rim);
                    let (bw, bh) = (w_mm + 2.0 * rim, 2.0 * h_mm + 2.0 * rim);
                    let cover_alpha =
                        coverage(rounded_rect_sd(bx, by, bw, bh, BOOKLET_COVER_RADIUS_MM));
                    let facing_alpha = coverage(rounded_rect_sd(xm, ym + h_mm, w_mm, h_mm, radius));
                    // A visa page: pale paper with a faint wave print.
                    let wave = 1.0 + BOOKLET_PRINT * (0.9 * xm + 3.0 * (0.25 * ym).sin()).sin();
                    let facing = BOOKLET_PAGE.map(|c| c * wave * (1.0 - fold_shade));
                    for (layer, a) in [(cover, cover_alpha), (facing, facing_alpha)] {
                        *p = [0, 1, 2].map(|k| p[k] + (layer[k] * gain[k] - p[k]) * a);
                    }
                }
                if alpha <= 0.0 {
                    continue;
                }
                let mut light = 1.0;
                light -= fold_shade;
                if let Some((s, c, sn)) = shadow {
                    let t = ((xm - w_mm / 2.0) * c + (ym - h_mm / 2.0) * sn) / w_mm + 0.5;
                    let d = (t - s.position).abs();
                    let core = 1.0
                        - rng::smoothstep(
                            s.width / 2.0 - s.softness / 2.0,
                            s.width / 2.0 + s.softness / 2.0,
                            d,
                        );
                    light -= s.strength.clamp(0.0, 1.0) * core;
                }
                let paper = texture.sample(xm, ym);
                let mut c = [0, 1, 2].map(|k| paper[k] * gain[k] * light);
                if let Some((gl, ca, sa, rx, ry)) = glare {
                    let (dx, dy) = (xm - gl.center.0 * w_mm, ym - gl.center.1 * h_mm);
                    let (u, v) = ((dx * ca + dy * sa) / rx, (-dx * sa + dy * ca) / ry);
                    // Peak relative to white paper under the same light.
                    let added = gl.strength.max(0.0) * (-(u * u + v * v) * 2.0).exp() * gain[1];
                    c = c.map(|v| v + added);
                    if let Some(gm) = glare_row.get_mut(x) {
                        *gm = added;
                    }
                }
                if let (Some(p), Some(a)) = (row.get_mut(x), alpha_row.get_mut(x)) {
                    *p = [0, 1, 2].map(|k| p[k] + (c[k] - p[k]) * alpha);
                    *a = alpha;
                }
            }
        });
}

fn covered_corners(kind: DocKind, m: &Mat3, capsules: &[finger::Capsule]) -> Vec<usize> {
    let (w, h) = kind.size_mm();
    let i = CORNER_PROBE_INSET_MM;
    let probes = [(i, i), (w - i, i), (w - i, h - i), (i, h - i)];
    probes
        .iter()
        .enumerate()
        .filter(|(_, (x, y))| {
            camera::apply(m, *x as f64, *y as f64).is_some_and(|(u, v)| {
                capsules
                    .iter()
                    .any(|c| c.coverage(u as f32, v as f32) >= 0.5)
            })
        })
        .map(|(k, _)| k)
        .collect()
}

fn vignette(buf: &mut [Px], w: usize, h: usize) {
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let r2max = cx * cx + cy * cy;
    buf.par_chunks_mut(w.max(1))
        .enumerate()
        .for_each(|(y, row)| {
            let dy = y as f32 + 0.5 - cy;
            for (x, p) in row.iter_mut().enumerate() {
                let dx = x as f32 + 0.5 - cx;
                let k = 1.0 - VIGNETTE * (dx * dx + dy * dy) / r2max;
                *p = p.map(|c| c * k);
            }
        });
}

struct Stats {
    fill: f32,
    glare_frac: f32,
    occluded_frac: f32,
    luma_mean: f32,
}

fn measure(image: &RgbImage, masks: &Masks) -> Stats {
    let (mut alpha_sum, mut covered, mut doc_px, mut clipped) = (0.0f64, 0.0f64, 0usize, 0usize);
    let (mut luma_sum, mut luma_n) = (0.0f64, 0usize);
    for (((p, &a), &g), &cv) in image
        .pixels()
        .zip(&masks.doc_alpha)
        .zip(&masks.glare)
        .zip(&masks.cover)
    {
        alpha_sum += a as f64;
        covered += (a * cv) as f64;
        if a < 0.5 {
            continue;
        }
        doc_px += 1;
        if cv >= 0.5 {
            continue;
        }
        let [r, gr, b] = p.0;
        luma_sum += 0.299 * r as f64 + 0.587 * gr as f64 + 0.114 * b as f64;
        luma_n += 1;
        if g >= GLARE_MIN_ADDED && r.min(gr).min(b) >= GLARE_CLIP_LEVEL {
            clipped += 1;
        }
    }
    let frame = (image.width() as f64 * image.height() as f64).max(1.0);
    Stats {
        fill: (alpha_sum / frame) as f32,
        glare_frac: if doc_px > 0 {
            clipped as f32 / doc_px as f32
        } else {
            0.0
        },
        occluded_frac: if alpha_sum > 0.0 {
            (covered / alpha_sum) as f32
        } else {
            0.0
        },
        luma_mean: if luma_n > 0 {
            (luma_sum / luma_n as f64) as f32
        } else {
            0.0
        },
    }
}

/// The visible page area inside a `width` x `height` frame for a sharp-cornered quad: the
/// geometric counterpart of [`Truth::fill`] (which also honours the rounded corners).
pub fn quad_fill(quad: &Quad, width: u32, height: u32) -> f32 {
    camera::clipped_area(quad, width as f32, height as f32)
        / (width as f32 * height as f32).max(1.0)
}

/// A point on the page (mm from its top-left corner) mapped into the frame of `truth`'s scene.
pub fn page_point(truth: &Truth, x_mm: f32, y_mm: f32) -> Option<Point> {
    let (w_mm, h_mm) = truth.kind.size_mm();
    let hmg = crate::analysis::geometry::Homography::unit_square_to(&truth.corners)?;
    Some(hmg.map_point(x_mm / w_mm, y_mm / h_mm))
}

/// An encoded JPEG with an EXIF APP1 segment holding only the orientation tag (1..=8), inserted
/// right after SOI, as a phone writes it: photos to test that orientation is applied. The TIFF
/// header is big-endian ("MM") or little-endian ("II"): cameras write both.
pub fn with_exif_orientation(jpeg: &[u8], orientation: u16, big_endian: bool) -> Vec<u8> {
    let u16_bytes = |v: u16| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let u32_bytes = |v: u32| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let mut tiff = if big_endian {
        b"MM".to_vec()
    } else {
        b"II".to_vec()
    };
    tiff.extend_from_slice(&u16_bytes(0x2A));
    tiff.extend_from_slice(&u32_bytes(8)); // first IFD right after the header
    tiff.extend_from_slice(&u16_bytes(1)); // one entry
    tiff.extend_from_slice(&u16_bytes(0x0112)); // Orientation
    tiff.extend_from_slice(&u16_bytes(3)); // SHORT
    tiff.extend_from_slice(&u32_bytes(1)); // one value
    tiff.extend_from_slice(&u16_bytes(orientation));
    tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]); // value padding, no next IFD
    let mut out = jpeg.get(..2).unwrap_or_default().to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((2 + 6 + tiff.len()) as u16).to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&tiff);
    out.extend_from_slice(jpeg.get(2..).unwrap_or_default());
    out
}
