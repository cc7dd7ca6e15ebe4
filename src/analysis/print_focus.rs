//! A second witness of sharpness: the steepest edges of the print inside the document.
//!
//! The slanted-edge reading ([`super::focus`]) uses the document's own outline, which is the right
//! edge to read when the background beside it is level. Texture right outside a side (the slats
//! of blinds parallel to it, blades of grass) widens that reading, and a card held still in front
//! of blinds is then told to hold still, frame after frame. Print is inside the document and
//! knows nothing of the background: blur cannot make an edge steeper than it is, so print whose
//! steepest edges rise over a pixel or two is sharp whatever the outline read.
//!
//! The reading: across the inner part of the outline, the step between dark ink and paper (the
//! luma's 1st to 99th percentile) over the steepest gradients (their 99.5th percentile), along
//! x and along y; a Gaussian edge of sigma s with step S rises at most S / (sqrt(2 pi) s). A
//! perfectly sharp edge reads about 0.8 px (central differences), so the reading errs towards
//! blur. But a stroke narrower than the blur cannot show all of it (a box blur of length L over a
//! stroke of width W < L ramps over W): print alone misses blur beyond its strokes' width, and
//! the caller trusts it only where the directions agree and the outline's sharper sides are sharp.

use image::RgbImage;

use super::geometry::{Point, Quad};
use super::work::luma_of;

/// The print is read inside the outline shrunk by this factor about its centre: clear of the
/// sides, their shadows and the background beyond a slightly wrong side.
const REGION_SCALE: f32 = 0.8;
/// Pixels sampled at most, on a regular grid (caps the cost on 4K frames).
const MAX_SAMPLES: usize = 40_000;
/// Fewer samples than this, or a step between ink and paper under this many grey levels, tell
/// nothing.
const MIN_SAMPLES: u32 = 2_000;
const MIN_STEP: f32 = 40.0;
/// Percentiles: the ink and the paper, and the steepest edges (a fraction of the pixels near
/// print edges, which every document has).
const INK_PERCENTILE: f32 = 0.01;
const PAPER_PERCENTILE: f32 = 0.99;
const STEEPEST_PERCENTILE: f32 = 0.995;
/// sqrt(2 pi): the peak slope of a unit Gaussian edge of sigma 1 is 1 / sqrt(2 pi).
const SQRT_TAU: f32 = 2.506_628_3;

/// Reusable histograms of luma and of the gradient along x and y (in grey levels per 2 px).
#[derive(Debug)]
pub struct PrintProbe {
    luma: [u32; 256],
    grad_x: [u32; 256],
    grad_y: [u32; 256],
}

impl Default for PrintProbe {
    fn default() -> Self {
        Self {
            luma: [0; 256],
            grad_x: [0; 256],
            grad_y: [0; 256],
        }
    }
}

/// The print's blur along each axis of the frame, as Gaussian sigmas in frame pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PrintBlur {
    pub along_x: f32,
    pub along_y: f32,
}

impl PrintBlur {
    /// The blurrier direction's sigma.
    pub fn sigma_px(&self) -> f32 {
        self.along_x.max(self.along_y)
    }

    /// How much blurrier one direction reads than the other (1 for defocus, more for motion).
    pub fn anisotropy(&self) -> f32 {
        self.sigma_px() / self.along_x.min(self.along_y).max(1e-3)
    }
}

impl PrintProbe {
    /// The blur of the print inside `quad`, or None where too little of it shows or it has too
    /// little contrast to read.
    pub fn blur(&mut self, frame: &RgbImage, quad: &Quad) -> Option<PrintBlur> {
        self.luma.fill(0);
        self.grad_x.fill(0);
        self.grad_y.fill(0);
        let centre = quad.centroid();
        let region = Quad(quad.0.map(|p| centre.lerp(p, REGION_SCALE)));
        let (lo, hi) = region.bounds();
        let (w, h) = (frame.width() as i64, frame.height() as i64);
        // One pixel in from the frame's edges: every sample has its four neighbours.
        let (x0, y0) = ((lo.x.floor() as i64).max(1), (lo.y.floor() as i64).max(1));
        let (x1, y1) = (
            (hi.x.ceil() as i64).min(w - 2),
            (hi.y.ceil() as i64).min(h - 2),
        );
        if x1 <= x0 || y1 <= y0 {
            return None;
        }
        let area = ((x1 - x0) * (y1 - y0)) as f32;
        let stride = (area / MAX_SAMPLES as f32).sqrt().ceil().max(1.0) as usize;
        let raw = frame.as_raw();
        let luma_at = |x: i64, y: i64| -> Option<u8> {
            let i = ((y * w + x) * 3) as usize;
            Some(luma_of(raw.get(i..i + 3)?.try_into().ok()?))
        };
        let mut samples = 0u32;
        for y in (y0..=y1).step_by(stride) {
            for x in (x0..=x1).step_by(stride) {
                if !region.contains(Point::new(x as f32, y as f32)) {
                    continue;
                }
                let (Some(c), Some(l), Some(r), Some(u), Some(d)) = (
                    luma_at(x, y),
                    luma_at(x - 1, y),
                    luma_at(x + 1, y),
                    luma_at(x, y - 1),
                    luma_at(x, y + 1),
                ) else {
                    continue;
                };
                self.luma[c as usize] += 1;
                self.grad_x[r.abs_diff(l) as usize] += 1;
                self.grad_y[d.abs_diff(u) as usize] += 1;
                samples += 1;
            }
        }
        if samples < MIN_SAMPLES {
            return None;
        }
        let step =
            percentile(&self.luma, PAPER_PERCENTILE) - percentile(&self.luma, INK_PERCENTILE);
        if step < MIN_STEP {
            return None;
        }
        // The histograms hold |right - left|, twice the central difference per pixel.
        let steepest = |hist: &[u32; 256]| 0.5 * percentile(hist, STEEPEST_PERCENTILE).max(1.0);
        let sigma = |slope: f32| step / (SQRT_TAU * slope);
        Some(PrintBlur {
            along_x: sigma(steepest(&self.grad_x)),
            along_y: sigma(steepest(&self.grad_y)),
        })
    }
}

/// The value below which `q` of a histogram's counts lie (bin index).
fn percentile(hist: &[u32; 256], q: f32) -> f32 {
    let total: u32 = hist.iter().sum();
    let target = (q * total as f32).ceil() as u32;
    let mut seen = 0;
    for (value, &count) in hist.iter().enumerate() {
        seen += count;
        if seen >= target.max(1) {
            return value as f32;
        }
    }
    255.0
}

#[cfg(test)]
mod tests {
    use super::super::focus::erf;
    use super::*;

    const PAPER: f32 = 215.0;
    const INK: f32 = 35.0;

    /// A page of "print" (strokes 5 px wide and 14 tall, 12 px apart, in rows 30 px apart, at
    /// sub-pixel offsets) on paper, blurred by a Gaussian of `sigma` computed exactly per pixel,
    /// then smeared over `motion` px along x. The page fills the quad returned.
    fn printed_page(sigma: f32, motion: usize) -> (RgbImage, Quad) {
        let (w, h) = (640u32, 400u32);
        let cdf = |t: f32| 0.5 * (1.0 + erf(t / (sigma * std::f32::consts::SQRT_2)));
        let ink_at = |x: f32, y: f32| {
            let (row, col) = ((y - 60.0) / 30.0, (x - 80.0) / 12.0);
            let mut ink = 0.0;
            // The strokes near (x, y): their blurred coverage adds up.
            for r in (row.floor() as i32 - 1)..=(row.floor() as i32 + 1) {
                for c in (col.floor() as i32 - 1)..=(col.floor() as i32 + 1) {
                    if !(0..=15).contains(&r) || !(0..=39).contains(&c) {
                        continue;
                    }
                    let x0 = 80.0 + 12.0 * c as f32 + 0.37 * (r % 3) as f32;
                    let y0 = 60.0 + 30.0 * r as f32 + 0.21 * (c % 4) as f32;
                    ink += (cdf(x - x0) - cdf(x - x0 - 5.0)) * (cdf(y - y0) - cdf(y - y0 - 14.0));
                }
            }
            f32::min(ink, 1.0)
        };
        let sharp: Vec<f32> = (0..w * h)
            .map(|i| {
                let (x, y) = ((i % w) as f32, (i / w) as f32);
                PAPER - (PAPER - INK) * ink_at(x, y)
            })
            .collect();
        let img = RgbImage::from_fn(w, h, |x, y| {
            let taps = motion.max(1) as u32;
            let sum: f32 = (0..taps)
                .map(|k| {
                    let xs = (x + k).saturating_sub(taps / 2).min(w - 1);
                    sharp[(y * w + xs) as usize]
                })
                .sum();
            let v = (sum / taps as f32).round() as u8;
            image::Rgb([v, v, v])
        });
        let quad = Quad([
            Point::new(60.0, 40.0),
            Point::new(580.0, 40.0),
            Point::new(580.0, 560.0 - 200.0),
            Point::new(60.0, 360.0),
        ]);
        (img, quad)
    }

    #[test]
    fn sharp_print_reads_sharp_both_ways() {
        let (img, quad) = printed_page(0.5, 0);
        let read = PrintProbe::default().blur(&img, &quad).expect("readable");
        assert!(read.sigma_px() < 1.2 && read.anisotropy() < 1.2, "{read:?}");
    }

    /// Within a quarter plus half a pixel: the strokes, 5 px wide, cap the reading across them
    /// near their width, and neighbours 12 px apart merge under the widest blur.
    #[test]
    fn reads_the_blur_of_defocused_print() {
        for sigma in [1.5f32, 2.5, 4.0] {
            let (img, quad) = printed_page(sigma, 0);
            let read = PrintProbe::default().blur(&img, &quad).expect("readable");
            assert!(
                (read.sigma_px() - sigma).abs() < 0.25 * sigma + 0.5,
                "sigma {sigma}: {read:?}"
            );
        }
    }

    /// Motion along one axis leaves the other sharp. Strokes 5 px wide under a 9 px smear (the
    /// variance of a Gaussian of 2.6 px) ramp over only 5 px: the reading falls short of the
    /// blur, but the two directions differ by far more than for defocus.
    #[test]
    fn motion_along_x_reads_blurrier_across_than_along() {
        let (img, quad) = printed_page(0.5, 9);
        let read = PrintProbe::default().blur(&img, &quad).expect("readable");
        assert!(read.along_x > 1.5 && read.anisotropy() > 1.8, "{read:?}");
    }

    #[test]
    fn print_without_contrast_reads_nothing() {
        let (img, quad) = printed_page(0.5, 0);
        let faint = RgbImage::from_fn(img.width(), img.height(), |x, y| {
            let v = img.get_pixel(x, y)[0] as f32;
            let v = (150.0 + (v - PAPER) * 0.15).round() as u8;
            image::Rgb([v, v, v])
        });
        assert_eq!(PrintProbe::default().blur(&faint, &quad), None);
    }
}
