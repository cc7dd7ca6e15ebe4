//! A document in a washed-out frame: under direct light its paper and a pale background behind
//! it both clip to white, and no edge is left between them, only the print. Print is laid out in
//! lines parallel to the document's sides and spans it but for narrow margins, so the document's
//! outline is estimated from the print: its skew from the text lines (the angle at which the
//! print's row profile is most peaked), its extent from the print's, grown by a margin to the
//! document's shape. An estimate, not a measurement: the frame is never ready (its exposure
//! fails), but the person is told what matters, to get out of the light, about the document they
//! hold, and the other checks see roughly where it is.

use super::geometry::{Point, Quad};
use super::spec::{DocKind, KindChoice};
use super::work::WorkImage;

/// Luma at which a pixel counts as clipped white.
const CLIPPED_LUMA: u8 = 245;
/// Print is darker than this and lies in clipped white: at least CLIPPED_AROUND of the pixels
/// in a window WINDOW_RADIUS around it are clipped. A finger, a background object or slats are
/// not surrounded by white.
const INK_LUMA: u8 = 200;
const WINDOW_RADIUS: usize = 7;
const CLIPPED_AROUND: f32 = 0.5;
/// Too few print pixels (share of the working image) to outline anything.
const MIN_INK_FRAC: f32 = 0.002;
/// Skew search: text lines within this many degrees of the frame's axes, in steps of this, the
/// profile binned this fine (working pixels).
const MAX_SKEW_DEG: f32 = 30.0;
const SKEW_STEP_DEG: f32 = 0.5;
const PROFILE_BIN_PX: f32 = 2.0;
/// The print's extent: these shares of its pixels fall outside it on each side (specks, a
/// stray mark beyond the document).
const EXTENT_TRIM: f32 = 0.005;
/// Print stops short of the document's edge by about this share of the print's width on every
/// side: the best of 0, 2, 4 and 6% on the washed-out cards and pages made here (overlap with
/// the truth 0.94-0.98 at 4%, 0.84-0.91 at 2% and 6%); the dev frames confirm it.
const MARGIN_FRAC: f32 = 0.04;
/// The estimate must be at least this share of the frame's area, and at most MAX_AREA_FRAC:
/// marks that span the frame from edge to edge (wood grain, slats in clipped light) make an
/// estimate bigger than the frame (1.2-1.3 of it on such empty frames; documents 0.4-0.75).
const MIN_AREA_FRAC: f32 = 0.03;
const MAX_AREA_FRAC: f32 = 0.95;
/// ...and at least this share of it in view, as for any document.
const MIN_IN_VIEW: f32 = 0.5;
/// In a washed-out frame, an outline found by its edges that holds less than this share of the
/// print is not the document (a background object's edges, where the document has none left).
pub const MIN_PRINT_INSIDE: f32 = 0.5;

/// The confidence reported for an estimated outline: the least an outline found by its edges
/// needs to count as a document (`Spec::min_confidence`'s default).
pub const ESTIMATE_CONFIDENCE: f32 = 0.4;

/// Reusable buffers: the clipped pixels' summed-area table, the print's pixels, its row profile
/// and its pixels' places along and across its lines.
#[derive(Debug, Default)]
pub struct WashedOutFinder {
    clipped_sums: Vec<u32>,
    ink: Vec<(f32, f32)>,
    profile: Vec<u32>,
    along: Vec<f32>,
    across: Vec<f32>,
}

impl WashedOutFinder {
    /// The print's pixels on `work` (working coordinates): dark pixels in clipped white.
    fn collect_ink(&mut self, work: &WorkImage) {
        let (w, h) = (work.width, work.height);
        // Summed-area table of the clipped mask, one row and column of zeros in front.
        self.clipped_sums.clear();
        self.clipped_sums.resize((w + 1) * (h + 1), 0);
        for y in 0..h {
            let mut row = 0u32;
            for x in 0..w {
                row += u32::from(work.luma.get(y * w + x).is_some_and(|&l| l >= CLIPPED_LUMA));
                let above = self
                    .clipped_sums
                    .get(y * (w + 1) + x + 1)
                    .copied()
                    .unwrap_or(0);
                if let Some(s) = self.clipped_sums.get_mut((y + 1) * (w + 1) + x + 1) {
                    *s = above + row;
                }
            }
        }
        let sum = |x0: usize, y0: usize, x1: usize, y1: usize| -> u32 {
            let at =
                |x: usize, y: usize| self.clipped_sums.get(y * (w + 1) + x).copied().unwrap_or(0);
            (at(x1, y1) + at(x0, y0)).saturating_sub(at(x0, y1) + at(x1, y0))
        };
        self.ink.clear();
        for y in 0..h {
            for x in 0..w {
                if work.luma.get(y * w + x).is_none_or(|&l| l >= INK_LUMA) {
                    continue;
                }
                let (x0, y0) = (
                    x.saturating_sub(WINDOW_RADIUS),
                    y.saturating_sub(WINDOW_RADIUS),
                );
                let (x1, y1) = (
                    (x + WINDOW_RADIUS + 1).min(w),
                    (y + WINDOW_RADIUS + 1).min(h),
                );
                let area = ((x1 - x0) * (y1 - y0)) as f32;
                if sum(x0, y0, x1, y1) as f32 >= CLIPPED_AROUND * area {
                    self.ink.push((x as f32, y as f32));
                }
            }
        }
    }

    /// The skew of the print's lines (radians): where its row profile is most peaked.
    fn skew(&mut self, centre: (f32, f32)) -> f32 {
        let steps = (2.0 * MAX_SKEW_DEG / SKEW_STEP_DEG).round() as i32;
        let mut best = (0u64, 0.0f32);
        for k in 0..=steps {
            let angle = (-MAX_SKEW_DEG + k as f32 * SKEW_STEP_DEG).to_radians();
            let (sin, cos) = angle.sin_cos();
            let across = |&(x, y): &(f32, f32)| -(x - centre.0) * sin + (y - centre.1) * cos;
            let (lo, hi) = self
                .ink
                .iter()
                .map(across)
                .fold((f32::MAX, f32::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
            let bins = ((hi - lo) / PROFILE_BIN_PX) as usize + 1;
            self.profile.clear();
            self.profile.resize(bins, 0);
            for p in &self.ink {
                let bin = ((across(p) - lo) / PROFILE_BIN_PX) as usize;
                if let Some(count) = self.profile.get_mut(bin) {
                    *count += 1;
                }
            }
            let peakedness: u64 = self
                .profile
                .iter()
                .map(|&c| u64::from(c) * u64::from(c))
                .sum();
            if peakedness > best.0 {
                best = (peakedness, angle);
            }
        }
        best.1
    }

    /// The document's estimated outline on `work` (working coordinates, clockwise from the top
    /// left) and its kind, or None where too little print shows.
    pub fn find(&mut self, work: &WorkImage, kind: KindChoice) -> Option<(Quad, DocKind)> {
        self.collect_ink(work);
        let pixels = (work.width * work.height) as f32;
        if (self.ink.len() as f32) < MIN_INK_FRAC * pixels {
            return None;
        }
        let n = self.ink.len() as f32;
        let centre = self
            .ink
            .iter()
            .fold((0.0, 0.0), |s, p| (s.0 + p.0 / n, s.1 + p.1 / n));
        let angle = self.skew(centre);
        let (sin, cos) = angle.sin_cos();
        // Extent along and across the lines, trimmed.
        self.along.clear();
        self.across.clear();
        for &(x, y) in &self.ink {
            let (dx, dy) = (x - centre.0, y - centre.1);
            self.along.push(dx * cos + dy * sin);
            self.across.push(-dx * sin + dy * cos);
        }
        let (u0, u1) = trimmed_range(&mut self.along)?;
        let (v0, v1) = trimmed_range(&mut self.across)?;
        let margin = MARGIN_FRAC * (u1 - u0);
        let (mut width, mut height) = (u1 - u0 + 2.0 * margin, v1 - v0 + 2.0 * margin);
        let aspect = width / height.max(1.0);
        let doc_kind = match kind {
            KindChoice::IdCard => DocKind::Id1,
            KindChoice::Passport => DocKind::Td3,
            KindChoice::Auto => {
                let off = |k: DocKind| (aspect / k.aspect()).ln().abs();
                if off(DocKind::Id1) <= off(DocKind::Td3) {
                    DocKind::Id1
                } else {
                    DocKind::Td3
                }
            }
        };
        // Grown, never shrunk, to the document's shape: the print does not fill it.
        if aspect < doc_kind.aspect() {
            width = height * doc_kind.aspect();
        } else {
            height = width / doc_kind.aspect();
        }
        let area = width * height;
        if area < MIN_AREA_FRAC * pixels || area > MAX_AREA_FRAC * pixels {
            return None;
        }
        // The middle of the extent, back in working coordinates.
        let (u, v) = (0.5 * (u0 + u1), 0.5 * (v0 + v1));
        let middle = Point::new(centre.0 + u * cos - v * sin, centre.1 + u * sin + v * cos);
        let quad = Quad::turned_rect(middle, (width, height), angle);
        let in_view = quad.area_inside(work.width as f32, work.height as f32);
        (in_view >= MIN_IN_VIEW * area).then_some((quad, doc_kind))
    }

    /// The share of the print found by the last `find` that lies inside `quad` (working
    /// coordinates).
    pub fn print_inside(&self, quad: &Quad) -> f32 {
        let inside = self
            .ink
            .iter()
            .filter(|&&(x, y)| quad.contains(Point::new(x, y)))
            .count();
        inside as f32 / self.ink.len().max(1) as f32
    }
}

/// The range of `values` without EXTENT_TRIM of them at either end.
fn trimmed_range(values: &mut [f32]) -> Option<(f32, f32)> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    values.sort_unstable_by(f32::total_cmp);
    let k = ((EXTENT_TRIM * n as f32) as usize).min(n - 1);
    Some((*values.get(k)?, *values.get(n - 1 - k)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::RgbImage;

    /// White frame, "print" of dark dashes in lines turned by `skew_deg` about the frame's centre,
    /// over a block `block` (width, height) px.
    fn printed_in_white(skew_deg: f32, block: (f32, f32)) -> RgbImage {
        let (sin, cos) = skew_deg.to_radians().sin_cos();
        RgbImage::from_fn(1280, 720, |x, y| {
            let (dx, dy) = (x as f32 - 640.0, y as f32 - 360.0);
            // Back into the print's own axes.
            let (u, v) = (dx * cos + dy * sin, -dx * sin + dy * cos);
            let inside = u.abs() < 0.5 * block.0 && v.abs() < 0.5 * block.1;
            let on_line = v.rem_euclid(40.0) < 12.0 && u.rem_euclid(30.0) < 20.0;
            if inside && on_line {
                image::Rgb([30, 30, 30])
            } else {
                image::Rgb([255, 255, 255])
            }
        })
    }

    #[test]
    fn the_outline_follows_the_print_lines_skew_and_extent() {
        for skew in [-12.0f32, 0.0, 7.5] {
            let mut work = WorkImage::default();
            work.rebuild(&printed_in_white(skew, (700.0, 420.0)), 640);
            let (quad, kind) = WashedOutFinder::default()
                .find(&work, KindChoice::IdCard)
                .expect("outlined");
            assert_eq!(kind, DocKind::Id1);
            let [tl, tr, _, bl] = quad.0;
            let angle = (tr.y - tl.y).atan2(tr.x - tl.x).to_degrees();
            assert!(
                (angle - skew).abs() < 1.0,
                "skew {skew}: top side at {angle}"
            );
            // The print's width, 700 px (350 working), grown by the margin on both sides.
            let width = tl.dist(tr);
            let expected = 350.0 * (1.0 + 2.0 * MARGIN_FRAC);
            assert!(
                (width - expected).abs() < 10.0,
                "skew {skew}: width {width}"
            );
            // Grown to the card's shape.
            let aspect = width / tl.dist(bl);
            assert!(
                (aspect - DocKind::Id1.aspect()).abs() < 0.02,
                "aspect {aspect}"
            );
        }
    }

    /// Marks from one frame edge to the other (grain, slats) would make an outline as big as the
    /// frame or bigger: no document.
    #[test]
    fn marks_across_the_whole_frame_are_no_print() {
        let mut work = WorkImage::default();
        work.rebuild(&printed_in_white(3.0, (1600.0, 1000.0)), 640);
        assert_eq!(
            WashedOutFinder::default().find(&work, KindChoice::Auto),
            None
        );
    }
}
