//! Sides seen where a striped background stops: a card held over blinds or slats hides them, and
//! the slats' edges end along the card's side even where the card's own edge has no contrast
//! (the card as light as one slat, as dark as the next). Those ends line up: a straight line
//! through the ends of many parallel background lines is an occluding side.
//!
//! The ends are found on the lines the finder already walked (a family of near-parallel lines,
//! each a slat's edge cut by the document), and voted into a small Hough transform of their own.

use super::lines::{ANGLE_BINS, Line, LineFinder, angle_between, normals_per_degree};
use super::work::WorkImage;

/// Lines within this angle of each other (degrees) belong to one family of stripes.
const FAMILY_ANGLE_DEG: u32 = 4;
/// A family has at least this many lines: stripes, not a document's two parallel sides.
const FAMILY_MIN_LINES: usize = 8;
/// A stretch of a stripe's edge counts from this many pixels, with gaps of up to RUN_GAP_PX.
const RUN_MIN_PX: u32 = 10;
const RUN_GAP_PX: u32 = 4;
/// A stretch ends where the stripe is hidden: none resumes within this share of the frame's short
/// side (the least width of a document worth locating), which print on the document seldom spans.
const OCCLUDED_MIN_FRAC: f32 = 0.06;
/// Past an end, the stripe's edge is looked for at these distances along it (pixels), this far
/// either side: found at all but one, the line drifted off the edge and it goes on.
const DRIFT_PROBES_PX: [f32; 3] = [4.0, 8.0, 12.0];
const DRIFT_REACH_PX: f32 = 3.0;
/// An end is followed along the edge map this many pixels at most.
const END_FOLLOW_PX: usize = 4;
/// A stripe's edge starting within this many steps of the frame's edge runs in from it (the
/// outermost pixels have no gradient).
const FRAME_REACH_PX: u32 = 6;
/// An end within this many pixels of the frame's edge is where the frame cuts the stripe.
const FRAME_SLACK_PX: f32 = 3.0;
/// An occluding side crosses the stripes at this angle at least (degrees): a document side along
/// the stripes is an edge the line finder sees.
const MIN_CROSSING_DEG: f32 = 40.0;
/// Stripe ends on one line needed for an occluding side.
const MIN_ENDS: u16 = 5;
/// At least this share of a side's ends, net, have their stripe going on from the same side.
const ONE_SIDE_SHARE: f32 = 0.8;
/// The end-point Hough's resolution: 1 degree, this many pixels of rho.
const RHO_BIN_PX: f32 = 4.0;
/// An end within this distance of a fitted side (pixels) is one of its ends.
const END_ON_SIDE_PX: f32 = 2.5;
/// Occluding sides added at most.
pub const MAX_OCCLUDING_SIDES: usize = 4;
/// Each end stands for this share of the spacing between ends as edge support: where a side cuts
/// stripes every few pixels it is as well evidenced as an edge seen over half its length.
const END_CREDIT_SHARE: f32 = 0.5;
const MAX_END_CREDIT_PX: f32 = 12.0;
/// A line the finder found within this angle (degrees) and distance (pixels, at the ends' centre)
/// of an occluding side is that side: the stripes' ends stop a few pixels short of the
/// document's edge where it shows.
const SAME_SIDE_DEG: f32 = 3.0;
const SAME_SIDE_PX: f32 = 6.0;
/// Peaks of the end-point Hough looked at, at most.
const PEAKS_TRIED: usize = 12;
/// A peak that is no side clears the cells this many bins around it (angle and rho).
const SUPPRESS_BINS: i32 = 3;

/// An end of a stripe's edge: where it is, and the orientation of its stripe (radians).
#[derive(Clone, Copy, Debug)]
struct End {
    at: (f32, f32),
    stripe_theta: f32,
    /// The direction along the stripe in which its edge goes on from the end.
    onward: (f32, f32),
}

/// Finds occluding sides; owns its buffers.
#[derive(Debug, Default)]
pub struct OcclusionFinder {
    ends: Vec<End>,
    /// One line's long stretches of edge (first and last step).
    runs: Vec<(u32, u32)>,
    acc: Vec<u16>,
    /// Cells of `acc` that reached MIN_ENDS votes: (votes, cell).
    peaks: Vec<(u16, usize)>,
    /// cos and sin of each angle bin.
    trig: Vec<(f32, f32)>,
    /// Parameters along a side of the ends on it, and their indices into `ends`.
    along: Vec<f32>,
    on_side: Vec<usize>,
    used: Vec<bool>,
}

impl OcclusionFinder {
    /// Appends to `out` up to `max_sides` occluding sides found among the stripes in `lines`
    /// (frame borders ignored), each a [`Line`] whose support profile counts the stripes' ends.
    pub fn find(
        &mut self,
        work: &WorkImage,
        finder: &mut LineFinder,
        lines: &[Line],
        max_sides: usize,
        out: &mut Vec<Line>,
    ) {
        self.collect_ends(work, lines);
        if self.ends.len() < MIN_ENDS as usize || max_sides == 0 {
            return;
        }
        let (w, h) = (work.width as f32, work.height as f32);
        let diag = w.hypot(h);
        let rho_bins = (2.0 * diag / RHO_BIN_PX) as usize + 2;
        if self.trig.len() != ANGLE_BINS {
            self.trig = normals_per_degree();
        }
        self.acc.clear();
        self.acc.resize(ANGLE_BINS * rho_bins, 0);
        self.peaks.clear();
        for k in 0..self.ends.len() {
            self.vote(k, rho_bins, diag, 1);
        }
        self.used.clear();
        self.used.resize(self.ends.len(), false);
        // The cells with enough ends, most first: each is looked at with the ends left to it.
        for (votes, cell) in self.peaks.iter_mut() {
            *votes = self.acc.get(*cell).copied().unwrap_or(0);
        }
        self.peaks
            .sort_unstable_by_key(|&(votes, cell)| (std::cmp::Reverse(votes), cell));
        let mut found = 0;
        let mut tried = 0;
        for p in 0..self.peaks.len() {
            if found >= max_sides || tried >= PEAKS_TRIED {
                return;
            }
            let Some(&(_, cell)) = self.peaks.get(p) else {
                return;
            };
            if self.acc.get(cell).is_none_or(|&v| v < MIN_ENDS) {
                continue;
            }
            tried += 1;
            let theta = ((cell / rho_bins) as f32).to_radians();
            let rho = (cell % rho_bins) as f32 * RHO_BIN_PX - diag;
            let Some((theta, rho, stripes_beyond, centre)) = self.fit(theta, rho) else {
                // Not a side: its cell and those next to it are passed over.
                self.suppress(cell, rho_bins);
                continue;
            };
            // Its ends vote no more: the next side is another one.
            for i in 0..self.on_side.len() {
                let Some(&k) = self.on_side.get(i) else {
                    continue;
                };
                self.vote(k, rho_bins, diag, -1);
                if let Some(u) = self.used.get_mut(k) {
                    *u = true;
                }
            }
            // Where the document's own edge shows along the side too, the finder has the side.
            let seen = lines.iter().any(|l| {
                !l.border
                    && angle_between(l.theta, theta) <= SAME_SIDE_DEG
                    && (l.normal.0 * centre.0 + l.normal.1 * centre.1 - l.rho).abs() <= SAME_SIDE_PX
            });
            if seen {
                continue;
            }
            let mut side = finder.walk(work, theta, rho, self.on_side.len() as u32);
            self.along.clear();
            for &k in &self.on_side {
                if let Some(end) = self.ends.get(k) {
                    self.along.push(side.param_of(end.at));
                }
            }
            credit_ends(&mut side, &mut self.along);
            side.stripes_beyond = stripes_beyond;
            out.push(side);
            found += 1;
        }
    }

    /// Clears the end-point Hough's cells within SUPPRESS_BINS of `cell`.
    fn suppress(&mut self, cell: usize, rho_bins: usize) {
        let (b, r) = ((cell / rho_bins) as i32, (cell % rho_bins) as i32);
        // Not wrapped past 0 or 180 degrees, where rho changes sign: a cell there is only tried.
        for db in -SUPPRESS_BINS..=SUPPRESS_BINS {
            let Some(angle) = usize::try_from(b + db).ok().filter(|&a| a < ANGLE_BINS) else {
                continue;
            };
            for dr in -SUPPRESS_BINS..=SUPPRESS_BINS {
                let Ok(rho) = usize::try_from(r + dr) else {
                    continue;
                };
                if rho < rho_bins
                    && let Some(v) = self.acc.get_mut(angle * rho_bins + rho)
                {
                    *v = 0;
                }
            }
        }
    }

    /// The ends of the stretches of edge of every line in a family of stripes.
    fn collect_ends(&mut self, work: &WorkImage, lines: &[Line]) {
        self.ends.clear();
        let (w, h) = (work.width as f32, work.height as f32);
        let short = w.min(h);
        let inside = |(x, y): (f32, f32)| {
            x > FRAME_SLACK_PX
                && y > FRAME_SLACK_PX
                && x < w - 1.0 - FRAME_SLACK_PX
                && y < h - 1.0 - FRAME_SLACK_PX
        };
        // Lines per degree of orientation (the finder's lines lie on whole degrees): a family is
        // counted from the degrees within FAMILY_ANGLE_DEG.
        let degree_of = |l: &Line| (l.theta.to_degrees().round() as usize) % ANGLE_BINS;
        let mut per_degree = [0usize; ANGLE_BINS];
        for line in lines.iter().filter(|l| !l.border) {
            if let Some(count) = per_degree.get_mut(degree_of(line)) {
                *count += 1;
            }
        }
        let reach = FAMILY_ANGLE_DEG as usize;
        for line in lines.iter().filter(|l| !l.border) {
            let degree = degree_of(line) + ANGLE_BINS;
            let family: usize = (degree - reach..=degree + reach)
                .filter_map(|d| per_degree.get(d % ANGLE_BINS))
                .sum();
            if family < FAMILY_MIN_LINES {
                continue;
            }
            // The line's long stretches of edge, in order.
            self.runs.clear();
            let mut run: Option<(u32, u32)> = None;
            let steps = line.pos.len().min(line.neg.len()).saturating_sub(1) as u32;
            // A step is a hit where either prefix sum grows; one more step past the end, a miss,
            // closes the last run.
            let hits = line
                .pos
                .windows(2)
                .zip(line.neg.windows(2))
                .map(|pair| match pair {
                    ([p0, p1], [n0, n1]) => p1 + n1 > p0 + n0,
                    _ => false,
                })
                .chain(std::iter::once(false));
            for (k, hit) in (0..=steps).zip(hits) {
                match (run, hit) {
                    (None, true) => run = Some((k, k)),
                    (Some((start, _)), true) => run = Some((start, k)),
                    (Some((start, last)), false) if k >= last + RUN_GAP_PX || k == steps => {
                        if last + 1 - start >= RUN_MIN_PX {
                            self.runs.push((start, last));
                        }
                        run = None;
                    }
                    _ => {}
                }
            }
            // A stripe hidden by a document runs in from the frame's edge (gaps shorter than a
            // document's width are print or noise along it) and stops where the document begins:
            // the first stretch of the line that is followed by a hidden gap, when the line's
            // edge runs from the frame's edge to it, and likewise from the other end.
            let hidden = OCCLUDED_MIN_FRAC * short;
            let gap_after = |i: usize| {
                let (Some(&(_, last)), Some(&(next, _))) = (self.runs.get(i), self.runs.get(i + 1))
                else {
                    return false;
                };
                (next - last) as f32 >= hidden
            };
            let (Some(&(first, _)), Some(&(_, final_last))) = (self.runs.first(), self.runs.last())
            else {
                continue;
            };
            let count = self.runs.len();
            let head = (0..count).find(|&i| gap_after(i));
            let tail = (0..count).rev().find(|&i| i > 0 && gap_after(i - 1));
            let mut push = |t: u32, onward: (f32, f32)| {
                let mut at = line.point_at(line.t_min + t as f32);
                // The stripe's edge bends as it meets the document and stops counting a few
                // pixels short of it: follow the edge map on to where it ends.
                for _ in 0..END_FOLLOW_PX {
                    let next = (at.0 - onward.0, at.1 - onward.1);
                    let on_edge = work
                        .nearest_idx(next)
                        .and_then(|i| work.edge.get(i))
                        .is_some_and(|&e| e != 0);
                    if !on_edge {
                        break;
                    }
                    at = next;
                }
                if inside(at) && !drifts_on(work, at, onward, line.normal) {
                    self.ends.push(End {
                        at,
                        stripe_theta: line.theta,
                        onward,
                    });
                }
            };
            if first <= FRAME_REACH_PX
                && let Some(&(_, last)) = head.and_then(|i| self.runs.get(i))
            {
                push(last, (-line.dir.0, -line.dir.1));
            }
            if steps - final_last <= FRAME_REACH_PX
                && let Some(&(start, _)) = tail.and_then(|i| self.runs.get(i))
            {
                push(start, line.dir);
            }
        }
    }

    /// Adds `sign` to the cells of every line through end `k` crossing its stripe steeply enough.
    fn vote(&mut self, k: usize, rho_bins: usize, diag: f32, sign: i32) {
        let Some(&end) = self.ends.get(k) else {
            return;
        };
        let stripe_bin = end.stripe_theta.to_degrees().round() as i32;
        for (b, &(cos, sin)) in self.trig.iter().enumerate() {
            let apart = (b as i32 - stripe_bin).rem_euclid(ANGLE_BINS as i32);
            if (apart.min(ANGLE_BINS as i32 - apart) as f32) < MIN_CROSSING_DEG {
                continue;
            }
            let rho = end.at.0 * cos + end.at.1 * sin;
            let bin = ((rho + diag) / RHO_BIN_PX + 0.5) as usize;
            let at = b * rho_bins + bin;
            if let Some(cell) = self.acc.get_mut(at) {
                if sign > 0 {
                    *cell = cell.saturating_add(1);
                    // A cell is listed once, as it reaches MIN_ENDS: no scan of the whole array.
                    if *cell == MIN_ENDS {
                        self.peaks.push((0, at));
                    }
                } else {
                    *cell = cell.saturating_sub(1);
                }
            }
        }
    }

    /// The line through the unused ends near `(theta, rho)`, fitted by total least squares, and
    /// the side its stripes lie on ([`Line::stripes_beyond`]); its ends are left in `on_side`.
    fn fit(&mut self, theta: f32, rho: f32) -> Option<(f32, f32, f32, (f32, f32))> {
        let normal = (theta.cos(), theta.sin());
        self.on_side.clear();
        let reach = END_ON_SIDE_PX + RHO_BIN_PX;
        for (k, end) in self.ends.iter().enumerate() {
            let off = end.at.0 * normal.0 + end.at.1 * normal.1 - rho;
            let steep = angle_between(theta, end.stripe_theta) >= MIN_CROSSING_DEG;
            if off.abs() <= reach && steep && !self.used.get(k).copied().unwrap_or(true) {
                self.on_side.push(k);
            }
        }
        let n = self.on_side.len() as f32;
        if n < 2.0 {
            return None;
        }
        let ends = &self.ends;
        let points = || {
            self.on_side
                .iter()
                .filter_map(|&k| ends.get(k))
                .map(|e| e.at)
        };
        let (sx, sy) = points().fold((0.0, 0.0), |s, p| (s.0 + p.0, s.1 + p.1));
        let (mx, my) = (sx / n, sy / n);
        let (mut xx, mut xy, mut yy) = (0.0f32, 0.0f32, 0.0f32);
        for (x, y) in points() {
            let (dx, dy) = (x - mx, y - my);
            xx += dx * dx;
            xy += dx * dy;
            yy += dy * dy;
        }
        // The normal is the scatter's minor axis.
        let direction = 0.5 * (2.0 * xy).atan2(xx - yy);
        let mut fitted = direction + std::f32::consts::FRAC_PI_2;
        if fitted >= std::f32::consts::PI {
            fitted -= std::f32::consts::PI;
        }
        let fitted_rho = mx * fitted.cos() + my * fitted.sin();
        // Keep only the ends on the fitted line.
        let normal = (fitted.cos(), fitted.sin());
        self.on_side.retain(|&k| {
            ends.get(k).is_some_and(|e| {
                (e.at.0 * normal.0 + e.at.1 * normal.1 - fitted_rho).abs() <= END_ON_SIDE_PX
            })
        });
        // Stripes hidden by a document all go on from its side on the same side, the background's;
        // ends from both sides are a texture's (tiles, left-aligned print seen from outside it).
        let beyond = |k: &usize| {
            ends.get(*k).map_or(0.0, |e| {
                (e.onward.0 * normal.0 + e.onward.1 * normal.1).signum()
            })
        };
        let balance: f32 = self.on_side.iter().map(beyond).sum();
        let count = self.on_side.len() as f32;
        if count < MIN_ENDS as f32 || balance.abs() < ONE_SIDE_SHARE * count {
            return None;
        }
        Some((fitted, fitted_rho, balance.signum(), (mx, my)))
    }
}

/// Whether the stripe's edge goes on past `at` (against `onward`) a few pixels off the line: the
/// line only drifted off an edge at a slightly different angle, nothing hides it. Probed at
/// DRIFT_PROBES_PX along, within DRIFT_REACH_PX either side.
fn drifts_on(work: &WorkImage, at: (f32, f32), onward: (f32, f32), normal: (f32, f32)) -> bool {
    let reach = DRIFT_REACH_PX as i32;
    let probes_on_edge = DRIFT_PROBES_PX
        .iter()
        .filter(|&&d| {
            (-reach..=reach).any(|o| {
                let p = (
                    at.0 - d * onward.0 + o as f32 * normal.0,
                    at.1 - d * onward.1 + o as f32 * normal.1,
                );
                work.nearest_idx(p)
                    .and_then(|i| work.edge.get(i))
                    .is_some_and(|&e| e != 0)
            })
        })
        .count();
    probes_on_edge >= DRIFT_PROBES_PX.len() - 1
}

/// Adds each end at parameter `along` (sorted here) to the side's support in its stronger
/// polarity, END_CREDIT_SHARE of the spacing between ends each.
fn credit_ends(side: &mut Line, along: &mut [f32]) {
    along.sort_unstable_by(f32::total_cmp);
    let count = along.len();
    if count < 2 {
        return;
    }
    let (first, last) = (
        along.first().copied().unwrap_or(0.0),
        along.last().copied().unwrap_or(0.0),
    );
    let spacing = (last - first) / (count - 1) as f32;
    let credit = (END_CREDIT_SHARE * spacing).min(MAX_END_CREDIT_PX).round() as u32;
    let (pos_total, neg_total) = (
        side.pos.last().copied().unwrap_or(0),
        side.neg.last().copied().unwrap_or(0),
    );
    let t_min = side.t_min;
    let profile = if pos_total >= neg_total {
        &mut side.pos
    } else {
        &mut side.neg
    };
    let mut added = 0;
    let mut next = along.iter().peekable();
    for (i, sum) in profile.iter_mut().enumerate() {
        let t = t_min + i as f32;
        while next.next_if(|&&a| a <= t).is_some() {
            added += credit;
        }
        *sum += added;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    /// Horizontal stripes, 10 px dark and 10 px light, behind a plain panel as light as the light
    /// ones over x in `panel.0..panel.1`, y in 80..280: the panel's sides show only where a dark
    /// stripe meets them.
    fn panel_over_stripes(panel: (u32, u32)) -> RgbImage {
        RgbImage::from_fn(640, 360, |x, y| {
            let on_panel = (panel.0..panel.1).contains(&x) && (80..280).contains(&y);
            let level = if on_panel || (y / 10) % 2 == 0 {
                190
            } else {
                70
            };
            Rgb([level, level, level])
        })
    }

    fn occluding_sides(frame: &RgbImage) -> Vec<Line> {
        let mut work = WorkImage::default();
        work.rebuild(frame, 640);
        let mut finder = LineFinder::default();
        let mut lines = Vec::new();
        finder.find(&work, 25, 50, 6, 2, &mut lines);
        let mut sides = Vec::new();
        OcclusionFinder::default().find(
            &work,
            &mut finder,
            &lines,
            MAX_OCCLUDING_SIDES,
            &mut sides,
        );
        sides
    }

    /// Where the line crosses the row at `y`.
    fn x_at(line: &Line, y: f32) -> f32 {
        (line.rho - y * line.normal.1) / line.normal.0
    }

    #[test]
    fn a_panel_over_stripes_shows_its_sides_where_the_stripes_stop() {
        let sides = occluding_sides(&panel_over_stripes((200, 440)));
        for (edge, outside) in [(200.0f32, 180.0f32), (440.0, 460.0)] {
            let side = sides
                .iter()
                .find(|l| (x_at(l, 180.0) - edge).abs() <= 3.0)
                .unwrap_or_else(|| {
                    panic!(
                        "no side at x = {edge}: {:?}",
                        sides.iter().map(|l| x_at(l, 180.0)).collect::<Vec<_>>()
                    )
                });
            assert!(
                (x_at(side, 90.0) - x_at(side, 270.0)).abs() <= 3.0,
                "not upright"
            );
            // The stripes are outside the panel, the panel inside.
            let offset = |x: f32| side.normal.0 * x + side.normal.1 * 180.0 - side.rho;
            assert!(side.stripes_beyond * offset(outside) > 0.0);
            assert!(side.stripes_beyond * offset(320.0) < 0.0);
            // The ends count as support along the panel's height, not beyond it.
            let along = |y: f32| side.param_of((x_at(side, y), y));
            let (pos, neg, seen) = side.support(along(85.0), along(275.0));
            assert!((pos.max(neg) as f32) >= 0.3 * seen, "{pos} {neg} of {seen}");
        }
    }

    #[test]
    fn stripes_that_do_not_stop_or_do_not_run_in_from_the_frame_show_no_side() {
        // The stripes alone run from edge to edge; the lines found across them at a degree or
        // two off drift from one stripe's edge to the next, which is no end.
        assert!(occluding_sides(&panel_over_stripes((0, 0))).is_empty());
        // A striped band printed on a page, starting and stopping on it, with the panel as before
        // in its middle: no stripe runs in from the frame's edge, nothing is seen in front.
        let mut page = panel_over_stripes((200, 440));
        for (x, _, pixel) in page.enumerate_pixels_mut() {
            if !(50..590).contains(&x) {
                *pixel = Rgb([190, 190, 190]);
            }
        }
        assert!(occluding_sides(&page).is_empty());
    }
}
