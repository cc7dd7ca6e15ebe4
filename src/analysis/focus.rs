//! Sharpness in millimetres on the document, by the slanted-edge method (as ISO 12233 measures
//! lenses): pixels near each side of the outline are binned by their exact distance to the fitted
//! edge line, which gives an edge-spread function sampled finer than a pixel; its width is the blur.
//!
//! The width is measured in frame pixels and divided by the pixels per mm on the document, so it is
//! independent of resolution, of contrast (the spread is normalised between the two sides' levels)
//! and of what is printed (only the document's own straight edge is used).
//! The spread is read in luma, which JPEG keeps at full resolution, not in a colour channel,
//! whose differences it halves.

use image::RgbImage;

use super::geometry::{Point, Quad};
use super::work::LUMA_WEIGHTS;
/// The slot of the luma sums beside the three colour channels.
const LUMA: usize = 3;

/// Which signal an edge's spread is read from.
#[derive(Clone, Copy, Debug)]
enum Signal {
    /// Luma: JPEG and YUV 4:2:0 / 4:2:2 (every webcam's MJPEG) keep it at full resolution, while
    /// colour differences are stored at half: an edge between two colours of similar brightness
    /// (a grey card on green) reads about twice as blurred in a colour channel as it is.
    Luma,
    /// The colour channel with the largest step: for a frame whose edges have too little luma
    /// contrast to measure.
    Colour,
}

/// Outside the edge, no pixel-wide stretch of the band's outer quarter passes the background's
/// level, or falls back from the highest before it, by more than this share of the step.
const LEVEL_FLATNESS: f32 = 0.25;
/// ESF bins per pixel.
const BINS_PER_PX: f32 = 4.0;
/// Segments per side: each gives its own estimate, so a finger or glare spoils only one.
const SEGMENTS: usize = 3;
/// The edge's 0.5 crossing is looked for this far either side of the outline, in pixels. The
/// outline can sit a few pixels off the edge whose blur is read: on a small passport page the
/// refined side may follow the booklet cover's edge just outside the page (f0034: 4-5 px off on
/// two sides at 4.5 px/mm). Further out, print near the edge would be taken for it.
const CROSSING_REACH_PX: f32 = 3.0;
/// The least step between the two sides of an edge, in grey levels, for a segment to count.
const MIN_EDGE_CONTRAST: f32 = 14.0;
/// The most positions sampled along one segment (caps the cost on 4K frames).
const MAX_POSITIONS: usize = 160;
/// The probit fit uses the core of the transition: halos, cast shadows and print near the edge
/// bend its tails.
const FIT_LO: f32 = 0.2;
const FIT_HI: f32 = 0.8;
/// A Gaussian's full width at half maximum is this many sigmas.
const FWHM_PER_SIGMA: f32 = 2.354_82;
/// The line-spread function is smoothed by a Gaussian of this sigma (pixels) before its width is read.
const LSF_SMOOTHING_PX: f32 = 0.25;
/// Its peak must span at least this share of the normalised step.
const LSF_MIN_RISE: f32 = 0.5;
/// Inverse of the standard normal CDF at 0.9: the 10-90 % rise of a Gaussian edge is 2 * 1.2816 sigma.
const Z90: f32 = 1.281_551_6;

/// Blur of the outline's edges, as a Gaussian-equivalent sigma in frame pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EdgeBlur {
    /// Combined blur: defocus plus the motion component, like `sqrt(sigma^2 + (motion/2)^2)`.
    pub sigma_px: f32,
    /// Per direction: the sharper and the blurrier pair of opposite sides (the sharper 0 when only
    /// one pair could be measured).
    pub sigma_min_px: f32,
    pub sigma_max_px: f32,
}

/// Reusable buffers for the edge-spread functions.
#[derive(Debug, Default)]
pub struct FocusProbe {
    sums: Vec<[f32; 4]>,
    counts: Vec<u32>,
    estimates: Vec<f32>,
    /// Per pair of opposite sides, its segments' blurs read in luma, and in colour.
    pair_luma: [Vec<f32>; 2],
    pair_colour: [Vec<f32>; 2],
    /// The line-spread function's smoothing kernel.
    kernel: Vec<f32>,
}

impl FocusProbe {
    /// Measures the blur along the quad's sides that lie inside the frame. `radius` is the half-width
    /// of the band around each edge in pixels (wide enough for the blur to be measured).
    pub fn measure(
        &mut self,
        frame: &RgbImage,
        quad: &Quad,
        skip_sides: [bool; 4],
        radius: f32,
    ) -> Option<EdgeBlur> {
        let centre = quad.centroid();
        let mut per_pair = std::mem::take(&mut self.pair_luma);
        let mut per_pair_colour = std::mem::take(&mut self.pair_colour);
        for sigmas in per_pair.iter_mut().chain(per_pair_colour.iter_mut()) {
            sigmas.clear();
        }
        for side in 0..4 {
            if skip_sides[side] {
                continue;
            }
            let a = quad.0[side];
            let b = quad.0[(side + 1) % 4];
            for seg in 0..SEGMENTS {
                let t0 = 0.12 + 0.76 * seg as f32 / SEGMENTS as f32;
                let t1 = 0.12 + 0.76 * (seg + 1) as f32 / SEGMENTS as f32;
                // Colour is read only while no luma estimate exists: after one, it goes unused.
                let colour_wanted = per_pair.iter().all(Vec::is_empty);
                let [luma, colour] =
                    self.segment_sigma(frame, (a, b), centre, (t0, t1), radius, colour_wanted);
                per_pair[side % 2].extend(luma);
                per_pair_colour[side % 2].extend(colour);
            }
        }
        // One signal for the whole frame: a pair of sides read in luma and the other in colour
        // would differ by the colour's extra blur and read as motion.
        if per_pair.iter().all(Vec::is_empty) {
            std::mem::swap(&mut per_pair, &mut per_pair_colour);
        }
        let [p0, p1] = &mut per_pair;
        let (m0, m1) = (median(p0), median(p1));
        // The buffers go back for the next frame (swapped or not, both are cleared on entry).
        self.pair_luma = per_pair;
        self.pair_colour = per_pair_colour;
        let (lo, hi) = match (m0, m1) {
            (Some(x), Some(y)) => (x.min(y), x.max(y)),
            // One pair alone cannot tell motion along it from defocus: it is read as motion
            // (the unmeasured pair as sharp), so a streaked frame whose sharp pair could not be
            // measured is not passed.
            (Some(x), None) | (None, Some(x)) => (0.0, x),
            (None, None) => return None,
        };
        // A blur along one direction only is motion: a box of length L has variance L^2/12, and
        // counts as L/2 of defocus, so its extra variance weighs three times.
        let extra = (hi * hi - lo * lo).max(0.0);
        let sigma = (lo * lo + 3.0 * extra).sqrt();
        Some(EdgeBlur {
            sigma_px: sigma,
            sigma_min_px: lo,
            sigma_max_px: hi,
        })
    }

    /// The blur of the stretch `t0..t1` of side `a`-`b`, in luma and, when wanted, in colour.
    fn segment_sigma(
        &mut self,
        frame: &RgbImage,
        (a, b): (Point, Point),
        centre: Point,
        (t0, t1): (f32, f32),
        radius: f32,
        colour_wanted: bool,
    ) -> [Option<f32>; 2] {
        let (w, h) = (frame.width() as i64, frame.height() as i64);
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        let len = dx.hypot(dy);
        if len < 8.0 {
            return [None, None];
        }
        let d = (dx / len, dy / len);
        // Normal pointing out of the document.
        let mut n = (-d.1, d.0);
        if (centre.x - a.x) * n.0 + (centre.y - a.y) * n.1 > 0.0 {
            n = (-n.0, -n.1);
        }
        let nbins = (2.0 * radius * BINS_PER_PX).ceil() as usize + 1;
        self.sums.clear();
        self.sums.resize(nbins, [0.0; 4]);
        self.counts.clear();
        self.counts.resize(nbins, 0);
        let raw = frame.as_raw();
        let horizontal = d.0.abs() >= d.1.abs();
        let (p0, p1) = (a.lerp(b, t0), a.lerp(b, t1));
        let span = if horizontal {
            (p1.x - p0.x).abs()
        } else {
            (p1.y - p0.y).abs()
        };
        let positions = (span as usize).clamp(1, MAX_POSITIONS);
        // Pixels are visited column by column (row by row for steep sides) across the band.
        let reach =
            (radius / if horizontal { n.1.abs() } else { n.0.abs() }.max(0.5)).ceil() as i64;
        for k in 0..positions {
            let p = p0.lerp(p1, (k as f32 + 0.5) / positions as f32);
            let (cx, cy) = (p.x.round() as i64, p.y.round() as i64);
            for j in -reach..=reach {
                let (x, y) = if horizontal {
                    (cx, cy + j)
                } else {
                    (cx + j, cy)
                };
                if x < 0 || y < 0 || x >= w || y >= h {
                    continue;
                }
                let off = (x as f32 - a.x) * n.0 + (y as f32 - a.y) * n.1;
                if off.abs() > radius {
                    continue;
                }
                // Through i32: one conversion instruction; the value lies in 0..2 * radius * BINS_PER_PX.
                let bin = (((off + radius) * BINS_PER_PX) as i32).max(0) as usize;
                let Some(px) = raw.get(((y * w + x) * 3) as usize..((y * w + x) * 3 + 3) as usize)
                else {
                    continue;
                };
                if let (Some(s), Some(c)) = (self.sums.get_mut(bin), self.counts.get_mut(bin)) {
                    s[0] += px[0] as f32;
                    s[1] += px[1] as f32;
                    s[2] += px[2] as f32;
                    s[LUMA] += LUMA_WEIGHTS[0] * px[0] as f32
                        + LUMA_WEIGHTS[1] * px[1] as f32
                        + LUMA_WEIGHTS[2] * px[2] as f32;
                    *c += 1;
                }
            }
        }
        let luma = self.edge_width(radius, Signal::Luma);
        let colour = if colour_wanted {
            self.edge_width(radius, Signal::Colour)
        } else {
            None
        };
        [luma, colour]
    }

    /// Whether the normalised profile settles into the background's level across the band's outer
    /// quarter, pixel by pixel outward: it may still be rising there (a wide blur, motion), but
    /// neither passes the level by more than LEVEL_FLATNESS nor falls back by as much. A second
    /// edge there (the next slat of blinds, a stripe, a shadow's edge along the side) does one or
    /// the other, and turns the profile into two steps whose spread is not this edge's. Only the
    /// outside is tested: print near the document's own edge is common and is kept out of the fit
    /// by its core (FIT_LO..FIT_HI) and the line-spread peak.
    fn background_is_level(&self, radius: f32) -> bool {
        let group = BINS_PER_PX as usize;
        let mut highest = f32::MIN;
        for (g, values) in self.estimates.chunks(group).enumerate() {
            let middle = (g * group + group / 2) as f32 + 0.5;
            if middle / BINS_PER_PX - radius <= 0.5 * radius {
                continue;
            }
            let mean = values.iter().sum::<f32>() / values.len().max(1) as f32;
            if mean > 1.0 + LEVEL_FLATNESS || mean < highest - LEVEL_FLATNESS {
                return false;
            }
            highest = highest.max(mean);
        }
        true
    }

    /// Sigma of the binned edge: levels from the outer quarters of the band, then a least-squares
    /// fit of the probit of the normalised profile against distance (slope = 1/sigma).
    fn edge_width(&mut self, radius: f32, signal: Signal) -> Option<f32> {
        let nbins = self.counts.len();
        let bin_pos = |i: usize| (i as f32 + 0.5) / BINS_PER_PX - radius;
        // The signal's channel with the largest step.
        let mut best: Option<(usize, f32, f32, f32)> = None;
        let channels = match signal {
            Signal::Luma => LUMA..LUMA + 1,
            Signal::Colour => 0..3,
        };
        for ch in channels {
            let (mut lo_s, mut lo_n, mut hi_s, mut hi_n) = (0.0, 0u32, 0.0, 0u32);
            for (i, (sum, &count)) in self.sums.iter().zip(&self.counts).enumerate() {
                let x = bin_pos(i);
                if count == 0 {
                    continue;
                }
                if x < -0.5 * radius {
                    lo_s += sum[ch];
                    lo_n += count;
                } else if x > 0.5 * radius {
                    hi_s += sum[ch];
                    hi_n += count;
                }
            }
            if lo_n == 0 || hi_n == 0 {
                continue;
            }
            let (inside, outside) = (lo_s / lo_n as f32, hi_s / hi_n as f32);
            let step = (outside - inside).abs();
            if best.is_none_or(|b| step > b.1) {
                best = Some((ch, step, inside, outside));
            }
        }
        let (ch, step, inside, outside) = best?;
        if step < MIN_EDGE_CONTRAST {
            return None;
        }
        // Normalised profile, 0 inside .. 1 outside. An edge aligned with the pixel grid fills only
        // some bins; the empty ones are interpolated between their filled neighbours.
        self.estimates.clear();
        let mut prev: Option<(usize, f32)> = None;
        for (i, (sum, &count)) in self.sums.iter().zip(&self.counts).enumerate() {
            if count == 0 {
                continue;
            }
            let v = (sum[ch] / count as f32 - inside) / (outside - inside);
            match prev {
                Some((j, pv)) => {
                    for k in j + 1..i {
                        let t = (k - j) as f32 / (i - j) as f32;
                        self.estimates.push(pv + (v - pv) * t);
                    }
                }
                None => self.estimates.extend(std::iter::repeat_n(v, i)),
            }
            self.estimates.push(v);
            prev = Some((i, v));
        }
        let last = prev.map_or(0.0, |p| p.1);
        self.estimates.resize(nbins, last);
        if !self.background_is_level(radius) {
            return None;
        }
        let at = |i: usize| self.estimates.get(i).copied();
        // The transition: the 0.5 crossing nearest the fitted edge, extended while the profile
        // stays inside 0.1..0.9. Printed detail or background texture further out is not edge.
        let centre = (radius * BINS_PER_PX) as usize;
        let reach = (CROSSING_REACH_PX * BINS_PER_PX) as usize;
        let crossing = (0..=reach)
            .flat_map(|d| [centre.saturating_sub(d), centre + d])
            .find(|&i| matches!((at(i), at(i + 1)), (Some(a), Some(b)) if a <= 0.5 && b > 0.5))?;
        let mut lo = crossing;
        while lo > 0
            && matches!((at(lo - 1), at(lo)), (Some(p), Some(q)) if p > 0.1 && p <= q + 0.05)
        {
            lo -= 1;
        }
        let mut hi = crossing + 1;
        while hi + 1 < nbins
            && matches!((at(hi + 1), at(hi)), (Some(n), Some(q)) if n < 0.9 && n + 0.05 >= q)
        {
            hi += 1;
        }
        let (mut sx, mut sy, mut sxx, mut sxy, mut sw) = (0.0f32, 0.0f32, 0.0f32, 0.0f32, 0.0f32);
        let transition = self.estimates.iter().zip(&self.counts).enumerate();
        for (i, (&v, &count)) in transition.take(hi + 1).skip(lo) {
            if count == 0 || !(FIT_LO..=FIT_HI).contains(&v) {
                continue;
            }
            let z = probit(v);
            let x = bin_pos(i);
            let wt = count as f32;
            sx += wt * x;
            sy += wt * z;
            sxx += wt * x * x;
            sxy += wt * x * z;
            sw += wt;
        }
        // Too few transition samples means the edge is sharper than the bins resolve.
        if sw <= 0.0 {
            return Some(0.25);
        }
        let var = sxx / sw - (sx / sw).powi(2);
        if var < 1e-3 {
            // All transition samples within one bin: under a quarter pixel of blur.
            return Some(0.3);
        }
        let slope = (sxy / sw - sx * sy / (sw * sw)) / var;
        if slope <= 0.0 {
            return None;
        }
        let probit_sigma = (1.0 / slope).clamp(0.2, radius);
        // The probit fit reads the whole transition, so structure next to the edge (a cast shadow,
        // a bright stripe behind the card) widens it. The line-spread peak's own width does not,
        // once smoothed in proportion to the edge so that noise cannot make a narrow false peak.
        // The peak must carry most of the step: a narrow noise spike on a wide, soft edge does not.
        match Self::lsf_fwhm(
            &self.estimates,
            &mut self.kernel,
            crossing,
            LSF_SMOOTHING_PX,
        ) {
            Some((width, rise)) if rise >= LSF_MIN_RISE => {
                let sigma = ((width / FWHM_PER_SIGMA).powi(2) - LSF_SMOOTHING_PX.powi(2))
                    .max(0.0)
                    .sqrt();
                Some(sigma.clamp(0.2, probit_sigma))
            }
            _ => Some(probit_sigma),
        }
    }
}

impl FocusProbe {
    /// Full width at half maximum, in pixels, of the line-spread function's peak at the edge: the
    /// derivative of the normalised profile `v` (the probe's `estimates`), lightly smoothed by a
    /// Gaussian built in `kernel` (reused from call to call). Only the peak's own neighbourhood
    /// counts, so background stripes or print a few pixels away do not widen it.
    fn lsf_fwhm(
        v: &[f32],
        kernel: &mut Vec<f32>,
        crossing: usize,
        smoothing_px: f32,
    ) -> Option<(f32, f32)> {
        let n = v.len();
        if n < 8 {
            return None;
        }
        // Gaussian-smoothed derivative (kernel sigma in bins).
        let ks = smoothing_px * BINS_PER_PX;
        let reach = (3.0 * ks).ceil() as i64;
        kernel.clear();
        kernel.extend((-reach..=reach).map(|k| (-0.5 * (k as f32 / ks).powi(2)).exp()));
        let kernel = &*kernel;
        let norm: f32 = kernel.iter().sum();
        let raw = |j: i64| -> f32 {
            if j <= 0 || j + 1 >= n as i64 {
                return 0.0;
            }
            match (v.get((j + 1) as usize), v.get((j - 1) as usize)) {
                (Some(after), Some(before)) => (after - before) * 0.5,
                _ => 0.0,
            }
        };
        let d = |i: usize| -> f32 {
            kernel
                .iter()
                .enumerate()
                .map(|(k, w)| w * raw(i as i64 + k as i64 - reach))
                .sum::<f32>()
                / norm
        };
        // Peak of the derivative near the crossing.
        let span = BINS_PER_PX as usize;
        let lo = crossing.saturating_sub(span);
        let hi = (crossing + span + 1).min(n - 1);
        let (peak_i, peak) = (lo..=hi)
            .map(|i| (i, d(i)))
            .max_by(|a, b| a.1.total_cmp(&b.1))?;
        if peak <= 0.0 {
            return None;
        }
        let half = 0.5 * peak;
        let mut left = peak_i as f32;
        let mut i = peak_i;
        while i > 1 {
            let (a, b) = (d(i - 1), d(i));
            if a <= half {
                left = (i - 1) as f32 + (half - a) / (b - a).max(1e-6);
                break;
            }
            i -= 1;
        }
        if i <= 1 {
            return None;
        }
        let mut right = peak_i as f32;
        let mut i = peak_i;
        while i + 2 < n {
            let (a, b) = (d(i), d(i + 1));
            if b <= half {
                right = i as f32 + (a - half) / (a - b).max(1e-6);
                break;
            }
            i += 1;
        }
        if i + 2 >= n {
            return None;
        }
        // The profile's rise across the peak, one width beyond each half-maximum point.
        let w = right - left;
        let at = |x: f32| {
            v.get(x.round().clamp(0.0, (n - 1) as f32) as usize)
                .copied()
                .unwrap_or(0.0)
        };
        let rise = at(right + w) - at(left - w);
        Some((w / BINS_PER_PX, rise))
    }
}

fn median(v: &mut [f32]) -> Option<f32> {
    v.sort_unstable_by(f32::total_cmp);
    let n = v.len();
    let upper = *v.get(n / 2)?;
    Some(if n % 2 == 1 {
        upper
    } else {
        0.5 * (*v.get(n / 2 - 1)? + upper)
    })
}

/// Inverse standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9 after one step;
/// here used without refinement on 0.1..0.9 where it is far more accurate than needed).
#[allow(clippy::excessive_precision)] // the published coefficients, kept as printed
fn probit(p: f32) -> f32 {
    let p = p.clamp(1e-6, 1.0 - 1e-6) as f64;
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.383577518672690e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    let q;
    let r;
    let x = if p < 0.02425 {
        q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p > 1.0 - 0.02425 {
        q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else {
        q = p - 0.5;
        r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    };
    x as f32
}

/// The 10-90 % rise of a Gaussian edge of the given sigma (for hints and docs).
pub fn rise_10_90(sigma: f32) -> f32 {
    2.0 * Z90 * sigma
}

/// The error function (Abramowitz-Stegun 7.1.26, within 1.5e-7): the tests' exact Gaussian edges.
#[cfg(test)]
pub(crate) fn erf(x: f32) -> f32 {
    let t = 1.0 / (1.0 + 0.327_591_1 * x.abs());
    let y = 1.0
        - (((((1.061_405_4 * t - 1.453_152_1) * t) + 1.421_413_7) * t - 0.284_496_72) * t
            + 0.254_829_6)
            * t
            * (-x * x).exp();
    y.copysign(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bright rectangle on a dark frame, blurred by a Gaussian of `sigma` (computed analytically
    /// per pixel with the error function, so the answer is exact).
    fn blurred_rect(sigma: f32) -> (RgbImage, Quad) {
        let (x0, y0, x1, y1) = (200.3f32, 150.7f32, 1000.6f32, 600.2f32);
        let cdf = |t: f32| 0.5 * (1.0 + erf(t / (sigma * std::f32::consts::SQRT_2)));
        let img = RgbImage::from_fn(1280, 720, |x, y| {
            let (x, y) = (x as f32, y as f32);
            let fx = cdf(x - x0) - cdf(x - x1);
            let fy = cdf(y - y0) - cdf(y - y1);
            let v = (40.0 + 180.0 * fx * fy) as u8;
            image::Rgb([v, v, v])
        });
        let quad = Quad([
            Point::new(x0, y0),
            Point::new(x1, y0),
            Point::new(x1, y1),
            Point::new(x0, y1),
        ]);
        (img, quad)
    }

    /// The blur the probe reads on `img` around `quad`, `skip` sides left out.
    fn read_blur(img: &RgbImage, quad: &Quad, skip: [bool; 4]) -> EdgeBlur {
        FocusProbe::default()
            .measure(img, quad, skip, 12.0)
            .expect("measurable")
    }

    /// Within the tolerance every test here allows: 15% of the truth plus a tenth of a pixel.
    fn near(read: f32, truth: f32) -> bool {
        (read - truth).abs() < 0.15 * truth + 0.1
    }

    #[test]
    fn recovers_gaussian_blur_of_an_edge() {
        for sigma in [0.8f32, 1.5, 3.0] {
            let (img, quad) = blurred_rect(sigma);
            let blur = read_blur(&img, &quad, [false; 4]);
            assert!(near(blur.sigma_px, sigma), "sigma {sigma}: {blur:?}");
        }
    }

    /// An outline a few pixels outside the edges it follows (a passport page refined onto its
    /// cover's edge) still reads their blur; one well beyond CROSSING_REACH_PX reads nothing.
    #[test]
    fn an_outline_a_little_off_its_edges_still_reads_their_blur() {
        const SIGMA: f32 = 1.2;
        let (img, quad) = blurred_rect(SIGMA);
        let grown = |by: f32| {
            let [a, b, c, d] = quad.0;
            Quad([
                Point::new(a.x - by, a.y - by),
                Point::new(b.x + by, b.y - by),
                Point::new(c.x + by, c.y + by),
                Point::new(d.x - by, d.y + by),
            ])
        };
        let blur = read_blur(&img, &grown(2.6), [false; 4]);
        assert!(near(blur.sigma_px, SIGMA), "{blur:?}");
        let far_off = FocusProbe::default().measure(&img, &grown(6.0), [false; 4], 12.0);
        assert_eq!(far_off, None);
    }

    /// A light card on green, as JPEG stores it: luma blurred by 0.8 px, the colour difference by
    /// 2 px (stored at half resolution). The blur read is the luma's, the camera's focus.
    #[test]
    fn an_edge_between_colours_reads_the_blur_of_its_luma() {
        const SHARP: f32 = 0.8;
        const CHROMA_BLUR: f32 = 2.0;
        let (card, background) = ([210.0f32, 190.0, 200.0], [40.0f32, 160.0, 40.0]);
        let luma = |c: [f32; 3]| c.iter().zip(LUMA_WEIGHTS).map(|(v, w)| v * w).sum::<f32>();
        let (sharp, _) = blurred_rect(SHARP);
        let (soft, quad) = blurred_rect(CHROMA_BLUR);
        // blurred_rect's grey runs 40..220: its share of the way from background to card.
        let share = |img: &RgbImage, x: u32, y: u32| (img.get_pixel(x, y)[0] as f32 - 40.0) / 180.0;
        let img = RgbImage::from_fn(1280, 720, |x, y| {
            let (f, g) = (share(&sharp, x, y), share(&soft, x, y));
            let y_level = luma(background) + f * (luma(card) - luma(background));
            let px: [f32; 3] = std::array::from_fn(|k| {
                let chroma = |c: [f32; 3]| c[k] - luma(c);
                y_level + chroma(background) + g * (chroma(card) - chroma(background))
            });
            image::Rgb(px.map(|v| v.round().clamp(0.0, 255.0) as u8))
        });
        let blur = read_blur(&img, &quad, [false; 4]);
        assert!(near(blur.sigma_px, SHARP), "{blur:?}");
    }

    /// A bright card turned by 3 degrees (a slanted edge, as the method needs) on a dark frame,
    /// blurred by `sigma`; with `slats`, a grey slat 5-9 px outside its left and right sides, inside
    /// the measured band, as blinds behind the card.
    fn slanted_card(sigma: f32, slats: bool) -> (RgbImage, Quad) {
        let (half_w, half_h, turn) = (400.0f32, 225.0f32, 3.0f32.to_radians());
        let (centre, (sin, cos)) = ((640.3f32, 360.7f32), turn.sin_cos());
        let cdf = |t: f32| 0.5 * (1.0 + erf(t / (sigma * std::f32::consts::SQRT_2)));
        let img = RgbImage::from_fn(1280, 720, |x, y| {
            let (dx, dy) = (x as f32 - centre.0, y as f32 - centre.1);
            // Card coordinates: u along its width, v along its height.
            let (u, v) = (dx * cos + dy * sin, -dx * sin + dy * cos);
            let inside = (cdf(u + half_w) - cdf(u - half_w)) * (cdf(v + half_h) - cdf(v - half_h));
            let beyond = u.abs() - half_w;
            let slat = slats && (5.0..9.0).contains(&beyond);
            let background = if slat { 120.0 } else { 40.0 };
            let level = background + (220.0 - background) * inside;
            image::Rgb([level as u8; 3])
        });
        let quad = Quad::turned_rect(
            Point::new(centre.0, centre.1),
            (2.0 * half_w, 2.0 * half_h),
            turn,
        );
        (img, quad)
    }

    /// A slat beside a side makes its profile two steps, not an edge's spread: that side is not
    /// read (read, it gave 0.99 px for 1.2), while the top, clear of slats, reads the blur.
    #[test]
    fn a_side_with_a_slat_beside_it_is_not_read() {
        const SIGMA: f32 = 1.2;
        let (img, quad) = slanted_card(SIGMA, true);
        let mut probe = FocusProbe::default();
        let centre = quad.centroid();
        let (top, right) = ((quad.0[0], quad.0[1]), (quad.0[1], quad.0[2]));
        for segment in [(0.12, 0.37), (0.37, 0.63), (0.63, 0.88)] {
            let [beside_slat, _] = probe.segment_sigma(&img, right, centre, segment, 12.0, false);
            assert_eq!(beside_slat, None, "{segment:?}");
            let [clear, _] = probe.segment_sigma(&img, top, centre, segment, 12.0, false);
            let clear = clear.expect("the top is measurable");
            assert!(near(clear, SIGMA), "{segment:?}: {clear}");
        }
    }

    /// One pair of sides alone cannot tell motion along it from defocus: it is read as motion
    /// (the other pair as sharp), sqrt(3) times its own blur.
    #[test]
    fn one_pair_of_sides_alone_reads_as_motion() {
        const SIGMA: f32 = 1.2;
        let (img, quad) = slanted_card(SIGMA, false);
        let both = read_blur(&img, &quad, [false; 4]);
        assert!(near(both.sigma_px, SIGMA), "{both:?}");
        let one = read_blur(&img, &quad, [false, true, false, true]);
        let expected = 3.0f32.sqrt() * one.sigma_max_px;
        assert!((one.sigma_px - expected).abs() < 1e-3, "{one:?}");
        assert!(near(one.sigma_max_px, SIGMA), "{one:?}");
    }

    #[test]
    fn probit_matches_known_quantiles() {
        assert!((probit(0.5)).abs() < 1e-6);
        assert!((probit(0.9) - Z90).abs() < 1e-4);
        assert!((probit(0.1) + Z90).abs() < 1e-4);
    }
}
