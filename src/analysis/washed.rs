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
/// A side of a document held at an angle to the camera slants against the print's lines: each
/// side is also fitted to the print's envelope, the outermost print in each of ENVELOPE_BANDS
/// bands along it (its ENVELOPE_QUANTILE, past stray specks). A slant, up to MAX_SLANT (run over
/// rise, ~39 degrees) in steps of SLANT_STEP, replaces the square side when its line passes within
/// SLANT_TOLERANCE_FRAC of the print's width of at least SLANT_MIN_GAIN more bands' envelope
/// points: ragged ends of text lines leave the side square. The line lies outside all but
/// SLANT_FIT_QUANTILE of those points, and a pair of opposite sides slants only when both do.
/// The dev frame f0014 (a card at 54 degrees) goes from overlap 0.63 to 0.90, its three washed-out
/// frames facing the camera keep their rectangles. 200 synthetic washed-out scenes at five times
/// the light: no outline changes at a gain of 5, one gets worse at 4; without the pairing rule
/// three tilted ones come closer and four facing the camera get slanted sides (corners 3% ->
/// 9-14% of the diagonal off).
const ENVELOPE_BANDS: usize = 24;
const ENVELOPE_QUANTILE: f32 = 0.02;
const MAX_SLANT: f32 = 0.8;
const SLANT_STEP: f32 = 0.01;
const SLANT_TOLERANCE_FRAC: f32 = 0.015;
const SLANT_MIN_GAIN: usize = 5;
const SLANT_FIT_QUANTILE: f32 = 0.1;
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

/// Reusable buffers: the clipped pixels' summed-area table, the print's pixels, its row profile,
/// its pixels' places along and across its lines, and the envelope fits' scratch space.
#[derive(Debug, Default)]
pub struct WashedOutFinder {
    clipped_sums: Vec<u32>,
    ink: Vec<(f32, f32)>,
    profile: Vec<u32>,
    along: Vec<f32>,
    across: Vec<f32>,
    scratch: Vec<f32>,
    banded: Vec<Vec<f32>>,
    envelope: Vec<(f32, f32)>,
}

/// A side of the print in its own axes: the line `along = offset + slant * across` for the left
/// and right sides, `across = offset + slant * along` for the top and bottom.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Side {
    offset: f32,
    slant: f32,
}

impl Side {
    fn square(offset: f32) -> Self {
        Self { offset, slant: 0.0 }
    }

    fn moved(self, by: f32) -> Self {
        Self {
            offset: self.offset + by,
            ..self
        }
    }
}

/// Where a left or right side `upright` meets a top or bottom side `level`, as (along, across).
fn meet(upright: Side, level: Side) -> Option<(f32, f32)> {
    let det = 1.0 - upright.slant * level.slant;
    if det.abs() < 0.1 {
        return None;
    }
    let along = (upright.offset + upright.slant * level.offset) / det;
    Some((along, level.offset + level.slant * along))
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
        let (u0, u1) = trimmed_range(&self.along, &mut self.scratch)?;
        let (v0, v1) = trimmed_range(&self.across, &mut self.scratch)?;
        let margin = MARGIN_FRAC * (u1 - u0);
        let tolerance = SLANT_TOLERANCE_FRAC * (u1 - u0);
        // A pair of opposite sides slants only when both do: a document seen at an angle
        // narrows towards one end, and one slanted side alone is the ragged end of text lines.
        let pair = |(a, b): (Side, Side), (square_a, square_b): (f32, f32)| {
            if a.slant == 0.0 || b.slant == 0.0 {
                (Side::square(square_a), Side::square(square_b))
            } else {
                (a, b)
            }
        };
        let (left, right) = pair(
            (
                self.fitted_side((Axis::Along, true), (v0, v1), u0, tolerance),
                self.fitted_side((Axis::Along, false), (v0, v1), u1, tolerance),
            ),
            (u0, u1),
        );
        let (top, bottom) = pair(
            (
                self.fitted_side((Axis::Across, true), (u0, u1), v0, tolerance),
                self.fitted_side((Axis::Across, false), (u0, u1), v1, tolerance),
            ),
            (v0, v1),
        );
        // Each side moved out by the margin: print stops short of the document's edge.
        let (mut left, mut right) = (left.moved(-margin), right.moved(margin));
        let (mut top, mut bottom) = (top.moved(-margin), bottom.moved(margin));
        let (width, height) = (u1 - u0 + 2.0 * margin, v1 - v0 + 2.0 * margin);
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
        // Facing the camera, the outline is grown, never shrunk, to the document's shape about
        // the print's middle: the print does not fill it. Seen at an angle (a slanted pair) the
        // document's shape in the frame depends on the angle, and the fitted sides stand.
        if [left, right, top, bottom]
            .iter()
            .all(|side| side.slant == 0.0)
        {
            if aspect < doc_kind.aspect() {
                let grow = 0.5 * (height * doc_kind.aspect() - width);
                (left, right) = (left.moved(-grow), right.moved(grow));
            } else {
                let grow = 0.5 * (width / doc_kind.aspect() - height);
                (top, bottom) = (top.moved(-grow), bottom.moved(grow));
            }
        }
        // Back from the print's axes to working coordinates.
        let to_work = |(u, v): (f32, f32)| {
            Point::new(centre.0 + u * cos - v * sin, centre.1 + u * sin + v * cos)
        };
        let quad = Quad([
            to_work(meet(left, top)?),
            to_work(meet(right, top)?),
            to_work(meet(right, bottom)?),
            to_work(meet(left, bottom)?),
        ]);
        plausible(&quad, work).then_some((quad, doc_kind))
    }

    /// The side of the print at `square_at` on `axis`, its least place there when `low` (the left
    /// or top side) and its greatest otherwise (from `trimmed_range`), slanted where the print's
    /// envelope shows it (see ENVELOPE_BANDS). `bands` is the print's range on the other axis.
    fn fitted_side(
        &mut self,
        (axis, low): (Axis, bool),
        bands: (f32, f32),
        square_at: f32,
        tolerance: f32,
    ) -> Side {
        let (places, band_places) = match axis {
            Axis::Along => (&self.along, &self.across),
            Axis::Across => (&self.across, &self.along),
        };
        self.envelope.clear();
        let band_width = (bands.1 - bands.0) / ENVELOPE_BANDS as f32;
        if band_width <= 0.0 {
            return Side::square(square_at);
        }
        // One pass sorts the print into its bands; each band's outermost place is then picked.
        self.banded.resize_with(ENVELOPE_BANDS, Vec::new);
        self.banded.iter_mut().for_each(Vec::clear);
        for (&p, &b) in places.iter().zip(band_places) {
            let band = ((b - bands.0) / band_width).floor();
            if band >= 0.0
                && let Some(places) = self.banded.get_mut(band as usize)
            {
                places.push(p);
            }
        }
        for (band, places) in self.banded.iter_mut().enumerate() {
            let n = places.len();
            if n < 3 {
                continue;
            }
            let k = (ENVELOPE_QUANTILE * n as f32) as usize;
            let at = if low { k } else { n - 1 - k };
            let (_, &mut outermost, _) = places.select_nth_unstable_by(at, f32::total_cmp);
            self.envelope
                .push((outermost, bands.0 + (band as f32 + 0.5) * band_width));
        }
        let near = |side: Side| {
            self.envelope
                .iter()
                .filter(|&&(p, b)| (p - side.offset - side.slant * b).abs() < tolerance)
                .count()
        };
        let square = Side::square(square_at);
        // A slant must line up with SLANT_MIN_GAIN more bands than the square side does.
        let mut best = (near(square) + SLANT_MIN_GAIN - 1, square);
        let steps = (MAX_SLANT / SLANT_STEP).round() as i32;
        for step in (-steps..=steps).filter(|&k| k != 0) {
            let slant = step as f32 * SLANT_STEP;
            self.scratch.clear();
            self.scratch
                .extend(self.envelope.iter().map(|&(p, b)| p - slant * b));
            self.scratch.sort_unstable_by(f32::total_cmp);
            let n = self.scratch.len();
            let quantile = if low {
                SLANT_FIT_QUANTILE
            } else {
                1.0 - SLANT_FIT_QUANTILE
            };
            let at = ((quantile * n as f32) as usize).min(n.saturating_sub(1));
            let Some(&offset) = self.scratch.get(at) else {
                return square;
            };
            let side = Side { offset, slant };
            let count = near(side);
            if count > best.0 {
                best = (count, side);
            }
        }
        best.1
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

/// Whether `quad` can be a document's outline on `work`: its size, and enough of it in view.
fn plausible(quad: &Quad, work: &WorkImage) -> bool {
    let (w, h) = (work.width as f32, work.height as f32);
    let area = quad.area();
    (MIN_AREA_FRAC * w * h..=MAX_AREA_FRAC * w * h).contains(&area)
        && quad.area_inside(w, h) >= MIN_IN_VIEW * area
}

/// The axes of the print: along its lines and across them.
#[derive(Clone, Copy, Debug)]
enum Axis {
    Along,
    Across,
}

/// The range of `values` without EXTENT_TRIM of them at either end (`sorted`: scratch space).
fn trimmed_range(values: &[f32], sorted: &mut Vec<f32>) -> Option<(f32, f32)> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    sorted.clear();
    sorted.extend_from_slice(values);
    sorted.sort_unstable_by(f32::total_cmp);
    let k = ((EXTENT_TRIM * n as f32) as usize).min(n - 1);
    Some((*sorted.get(k)?, *sorted.get(n - 1 - k)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::RgbImage;

    /// A white 1280 x 720 frame with dark "print" where `printed(x, y)`.
    fn print_in_white(printed: impl Fn(f32, f32) -> bool) -> RgbImage {
        RgbImage::from_fn(1280, 720, |x, y| {
            if printed(x as f32, y as f32) {
                image::Rgb([30, 30, 30])
            } else {
                image::Rgb([255, 255, 255])
            }
        })
    }

    /// Dashes 20 px long every 30 px at `along`, in lines 12 px thick every 40 px at `across`.
    fn on_dashed_line(along: f32, across: f32) -> bool {
        across.rem_euclid(40.0) < 12.0 && along.rem_euclid(30.0) < 20.0
    }

    /// The ID-1 outline the finder estimates on `frame`.
    fn card_outline(frame: &RgbImage) -> Quad {
        let mut work = WorkImage::default();
        work.rebuild(frame, 640);
        let (quad, kind) = WashedOutFinder::default()
            .find(&work, KindChoice::IdCard)
            .expect("outlined");
        assert_eq!(kind, DocKind::Id1);
        quad
    }

    /// Dashed lines of print turned by `skew_deg` about the frame's centre, over a block `block`
    /// (width, height) px.
    fn printed_in_white(skew_deg: f32, block: (f32, f32)) -> RgbImage {
        let (sin, cos) = skew_deg.to_radians().sin_cos();
        print_in_white(|x, y| {
            let (dx, dy) = (x - 640.0, y - 360.0);
            // Back into the print's own axes.
            let (u, v) = (dx * cos + dy * sin, -dx * sin + dy * cos);
            u.abs() < 0.5 * block.0 && v.abs() < 0.5 * block.1 && on_dashed_line(u, v)
        })
    }

    #[test]
    fn the_outline_follows_the_print_lines_skew_and_extent() {
        for skew in [-12.0f32, 0.0, 7.5] {
            let [tl, tr, _, bl] = card_outline(&printed_in_white(skew, (700.0, 420.0))).0;
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

    /// A page of print seen at an angle: its lines, 420 px of rows, narrow from 760 px at the
    /// bottom to 500 px at the top. The outline narrows with them: its sides follow the print's
    /// slanted ends, not a rectangle around them.
    #[test]
    fn the_outline_of_print_seen_at_an_angle_narrows_with_it() {
        let half_width = |y: f32| 250.0 + 130.0 * (y - 150.0) / 420.0;
        let quad = card_outline(&print_in_white(|x, y| {
            let across = (x - 640.0) / half_width(y);
            across.abs() < 1.0
                && (150.0..570.0).contains(&y)
                && on_dashed_line(across * 350.0, y - 150.0)
        }));
        let [tl, tr, br, bl] = quad.0;
        let narrowing = tl.dist(tr) / bl.dist(br);
        let expected = half_width(150.0) / half_width(570.0);
        assert!(
            (narrowing - expected).abs() < 0.08,
            "{narrowing} for {expected}: {quad:?}"
        );
        // Each side leans in by the print's 65 working pixels over its height.
        assert!(((tl.x - bl.x) - 65.0).abs() < 15.0, "{quad:?}");
        assert!(((bl.x + br.x) - (tl.x + tr.x)).abs() < 10.0, "{quad:?}");
    }

    /// Lines of text of all lengths, flush left: their ragged right ends are no slanted side (the
    /// first seven end along a slant), and a document facing the camera keeps its rectangle.
    #[test]
    fn ragged_ends_of_text_lines_leave_the_outline_square() {
        let lengths = [
            700.0, 670.0, 640.0, 610.0, 580.0, 550.0, 520.0, 300.0, 450.0, 690.0, 380.0,
        ];
        let quad = card_outline(&print_in_white(|x, y| {
            let row = ((y - 150.0) / 40.0).floor();
            let length = lengths.get(row as usize).copied().unwrap_or(0.0);
            y >= 150.0
                && (290.0..290.0 + length).contains(&x)
                && on_dashed_line(x - 290.0, y - 150.0)
        }));
        let [tl, tr, br, bl] = quad.0;
        assert!((tl.dist(tr) - bl.dist(br)).abs() < 2.0, "{quad:?}");
        assert!((tl.dist(bl) - tr.dist(br)).abs() < 2.0, "{quad:?}");
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
