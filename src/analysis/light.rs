//! Light on the document: specular glare (clipped highlights in patches) and exposure (too dark,
//! too bright, uneven), measured over the pixels inside the outline on the working copy.

use super::geometry::{Point, Quad};
use super::report::Region;
use super::stack::StackList;
use super::work::{WorkImage, luma_of};

/// Working pixels are box averages, so a clipped highlight reads a little under the full-resolution
/// clip level at its rim; this many levels of slack count the rim too: a pixel within the slack
/// right beside a clipped one. White paper a few levels under the clip level is not glare (f0087,
/// a passport page at 244-249 in a 640x480 frame, had 0.8% of its page counted).
const AVERAGING_SLACK: u8 = 6;
/// A document whose median luma is this bright is overexposed: its clipping is an exposure fault,
/// not a glare patch, and the person is told to find softer light rather than to tilt the card.
const OVEREXPOSED_MEDIAN: u8 = 228;
/// Glare patches smaller than this fraction of the document are not outlined in the overlay.
const MIN_REGION_FRAC: f32 = 0.001;
/// A pixel this dark (luma) counts as clipped to black.
const BLACK_LEVEL: u8 = 6;
/// Evenness grid over the document (cells across, down).
const EVEN_GRID: (usize, usize) = (4, 3);

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Light {
    pub glare_frac: f32,
    pub luma_mean: f32,
    pub luma_median: u8,
    pub clipped_frac: f32,
    pub evenness: f32,
    pub overexposed: bool,
    pub glare_regions: Vec<Region>,
}

#[derive(Debug, Default)]
pub struct LightProbe {
    inside: Vec<u32>,
    /// Where the last frame marked clipped pixels in `labels`, in order: the only entries that
    /// are not 0 between frames, so only they are cleared and only they start a patch.
    clipped_at: Vec<u32>,
    /// Per pixel of the outline's bounding box: 0, 1 for clipped, then patch numbers from 2.
    labels: Vec<u32>,
    stack: Vec<u32>,
}

impl LightProbe {
    /// Measures light over the document `quad` (working coordinates).
    pub fn measure(&mut self, work: &WorkImage, quad: &Quad, glare_level: u8) -> Option<Light> {
        let (w, h) = (work.width, work.height);
        let (lo, hi) = quad.bounds();
        let x0 = lo.x.floor().max(0.0) as usize;
        let y0 = lo.y.floor().max(0.0) as usize;
        let x1 = (hi.x.ceil() as usize).min(w.saturating_sub(1));
        let y1 = (hi.y.ceil() as usize).min(h.saturating_sub(1));
        if x1 <= x0 || y1 <= y0 {
            return None;
        }
        let level = glare_level.saturating_sub(AVERAGING_SLACK);
        let mut histograms = [[0u32; 256]; 4];
        let mut count = 0u32;
        let mut sum = 0u64;
        let mut clipped = 0u32;
        let mut black = 0u32;
        self.inside.clear();
        let bw = x1 - x0 + 1;
        let bh = y1 - y0 + 1;
        for &i in &self.clipped_at {
            if let Some(label) = self.labels.get_mut(i as usize) {
                *label = 0;
            }
        }
        self.clipped_at.clear();
        self.labels.resize(bw * bh, 0);
        for y in y0..=y1 {
            // The outline is convex: its pixels on a row are one run, found from both ends.
            let inside = |x: &usize| quad.contains(Point::new(*x as f32, y as f32));
            let Some(first) = (x0..=x1).find(inside) else {
                continue;
            };
            let last = (first..=x1).rev().find(inside).unwrap_or(first);
            let run = work.idx(first, y)..=work.idx(last, y);
            let marks_start = (y - y0) * bw + (first - x0);
            let marks = marks_start..=(y - y0) * bw + (last - x0);
            let (Some(pixels), Some(lumas), Some(marks)) = (
                work.rgb.get(run.clone()),
                work.luma.get(run),
                self.labels.get_mut(marks),
            ) else {
                continue;
            };
            count += lumas.len() as u32;
            sum += lumas.iter().map(|&l| l as u64).sum::<u64>();
            black += lumas.iter().filter(|&&l| l <= BLACK_LEVEL).count() as u32;
            // Four histograms taking turns: a run of equal levels (flat paper) no longer waits on
            // the previous count of the same bin.
            for levels in lumas.chunks(4) {
                for (histogram, &l) in histograms.iter_mut().zip(levels) {
                    if let Some(bin) = histogram.get_mut(l as usize) {
                        *bin += 1;
                    }
                }
            }
            for (k, (px, mark)) in pixels.iter().zip(marks.iter_mut()).enumerate() {
                if clips(*px, level) {
                    clipped += 1;
                    // Mark for connected components (1 = clipped, unlabelled).
                    *mark = 1;
                    self.clipped_at.push((marks_start + k) as u32);
                }
            }
        }
        let mut histogram = [0u32; 256];
        for part in &histograms {
            for (total, &c) in histogram.iter_mut().zip(part) {
                *total += c;
            }
        }
        if count == 0 {
            return None;
        }
        let median = percentile(&histogram, count, 0.5);
        let overexposed = median >= OVEREXPOSED_MEDIAN;
        let clipped_frac = if overexposed {
            (clipped + black) as f32
        } else {
            black as f32
        } / count as f32;
        let (glare_frac, glare_regions) = if overexposed {
            (0.0, Vec::new())
        } else {
            let (glare, regions) = self.patches(work, (x0, y0, bw, bh), count, glare_level);
            (glare as f32 / count as f32, regions)
        };
        Some(Light {
            glare_frac,
            luma_mean: sum as f32 / count as f32,
            luma_median: median,
            clipped_frac,
            evenness: evenness(work, quad, glare_level),
            overexposed,
            glare_regions,
        })
    }

    /// Glare in the connected patches of near-clipped pixels: the pixels that clip (reach
    /// `glare_level`) or lie right beside one, in all, and the bounding boxes (full-resolution)
    /// of each patch's glare where it is large enough to show.
    fn patches(
        &mut self,
        work: &WorkImage,
        (x0, y0, bw, bh): (usize, usize, usize, usize),
        count: u32,
        glare_level: u8,
    ) -> (u32, Vec<Region>) {
        let mut glare = 0;
        let mut out = Vec::new();
        let min_px = (MIN_REGION_FRAC * count as f32).max(2.0) as u32;
        let mut next = 2u32;
        let clipped_at = |(x, y): (usize, usize)| {
            work.rgb
                .get(work.idx(x0 + x, y0 + y))
                .is_some_and(|&px| clips(px, glare_level))
        };
        // The clipped pixels in order: the first of each patch not yet labelled starts it.
        for &start in &self.clipped_at {
            let Some(label) = self.labels.get_mut(start as usize) else {
                continue;
            };
            if *label != 1 {
                continue;
            }
            *label = next;
            self.stack.clear();
            self.stack.push(start);
            let (mut minx, mut miny, mut maxx, mut maxy, mut glare_here) =
                (usize::MAX, usize::MAX, 0, 0, 0u32);
            while let Some(i) = self.stack.pop() {
                let i = i as usize;
                let (x, y) = (i % bw, i / bw);
                // Clipped, or within the slack right beside a clipped pixel (its rim).
                let around = [
                    (x, y),
                    (x.wrapping_sub(1), y),
                    (x + 1, y),
                    (x, y.wrapping_sub(1)),
                    (x, y + 1),
                ];
                if around
                    .into_iter()
                    .any(|(ax, ay)| ax < bw && ay < bh && clipped_at((ax, ay)))
                {
                    glare_here += 1;
                    minx = minx.min(x);
                    miny = miny.min(y);
                    maxx = maxx.max(x);
                    maxy = maxy.max(y);
                }
                let neighbours = [
                    (x > 0).then(|| i - 1),
                    (x + 1 < bw).then(|| i + 1),
                    (y > 0).then(|| i - bw),
                    (y + 1 < bh).then(|| i + bw),
                ];
                for j in neighbours.into_iter().flatten() {
                    if let Some(label) = self.labels.get_mut(j)
                        && *label == 1
                    {
                        *label = next;
                        self.stack.push(j as u32);
                    }
                }
            }
            next += 1;
            glare += glare_here;
            if glare_here >= min_px {
                let (ax, ay) = work.to_full((x0 + minx) as f32 - 0.5, (y0 + miny) as f32 - 0.5);
                let (bx, by) = work.to_full((x0 + maxx) as f32 + 0.5, (y0 + maxy) as f32 + 0.5);
                out.push(Region {
                    min: Point::new(ax, ay),
                    max: Point::new(bx, by),
                });
            }
        }
        (glare, out)
    }
}

/// The darkest cell's mean luma over the brightest cell's, on a coarse grid over the document;
/// printed content varies too, so only a hard shadow drives this far down.
fn evenness(work: &WorkImage, quad: &Quad, glare_level: u8) -> f32 {
    const SAMPLES: usize = 8;
    let c = quad.0;
    let mut cell_means = StackList::<f32, { EVEN_GRID.0 * EVEN_GRID.1 }>::default();
    for gy in 0..EVEN_GRID.1 {
        for gx in 0..EVEN_GRID.0 {
            let (mut s, mut n) = (0u32, 0u32);
            for sy in 0..SAMPLES {
                for sx in 0..SAMPLES {
                    let u = 0.05
                        + 0.9 * (gx as f32 + (sx as f32 + 0.5) / SAMPLES as f32)
                            / EVEN_GRID.0 as f32;
                    let v = 0.05
                        + 0.9 * (gy as f32 + (sy as f32 + 0.5) / SAMPLES as f32)
                            / EVEN_GRID.1 as f32;
                    let p = c[0].lerp(c[1], u).lerp(c[3].lerp(c[2], u), v);
                    let Some(&px) = work.nearest_idx((p.x, p.y)).and_then(|i| work.rgb.get(i))
                    else {
                        continue;
                    };
                    if clips(px, glare_level) {
                        continue;
                    }
                    s += luma_of(px) as u32;
                    n += 1;
                }
            }
            if n > SAMPLES as u32 {
                cell_means.push(s as f32 / n as f32);
            }
        }
    }
    let means = cell_means.as_slice();
    let max = means.iter().copied().fold(0.0f32, f32::max);
    let min = means.iter().copied().fold(f32::MAX, f32::min);
    if means.is_empty() || max <= 0.0 {
        1.0
    } else {
        (min / max).clamp(0.0, 1.0)
    }
}

/// Whether a pixel is clipped at `level`: its darkest channel reaches it.
fn clips(px: [u8; 3], level: u8) -> bool {
    px.iter().all(|&c| c >= level)
}

fn percentile(histogram: &[u32; 256], count: u32, q: f32) -> u8 {
    let target = (q * count as f32) as u32;
    let mut seen = 0;
    for (v, &c) in histogram.iter().enumerate() {
        seen += c;
        if seen > target {
            return v as u8;
        }
    }
    255
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::RgbImage;

    const CLIP: u8 = 250;

    /// The glare measured on a page (x 60..260, y 40..200) on a dark 320x240 frame, at full
    /// resolution: its left 60% grey, the rest white of `white` level, with a clipped
    /// square of `spot` pixels in the white.
    fn glare_on(white: u8, spot: u32) -> f32 {
        let frame = RgbImage::from_fn(320, 240, |x, y| {
            let on_page = (60..260).contains(&x) && (40..200).contains(&y);
            let on_spot = spot > 0 && x.abs_diff(210) <= spot / 2 && y.abs_diff(120) <= spot / 2;
            let v = match (on_page, on_spot, x < 180) {
                (false, _, _) => 30,
                (true, true, _) => 255,
                (true, false, true) => 170,
                (true, false, false) => white,
            };
            image::Rgb([v, v, v])
        });
        let mut work = WorkImage::default();
        work.rebuild(&frame, 320);
        let page = Quad([
            Point::new(60.0, 40.0),
            Point::new(259.0, 40.0),
            Point::new(259.0, 199.0),
            Point::new(60.0, 199.0),
        ]);
        LightProbe::default()
            .measure(&work, &page, CLIP)
            .map_or(f32::NAN, |light| light.glare_frac)
    }

    #[test]
    fn paper_just_under_the_clip_level_is_not_glare_and_a_spot_counts_with_its_rim_only() {
        assert_eq!(glare_on(CLIP - 3, 0), 0.0);
        // A 21 px square and its one-pixel rim: 525 of the page's 32000 pixels, not the whole
        // white part around it.
        let spot = glare_on(CLIP - 3, 20);
        assert!((0.012..0.02).contains(&spot), "{spot}");
    }
}
