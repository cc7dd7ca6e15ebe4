//! Finding the document: quads built from pairs of line pairs, scored by edge support, shape and
//! content, then refined to sub-pixel accuracy on the full-resolution frame.

use image::RgbImage;

use super::geometry::{Point, Quad};
use super::lines::{Line, LineFinder, angle_between};
use super::occlusion::{MAX_OCCLUDING_SIDES, OcclusionFinder};
use super::pose;
use super::spec::{DocKind, KindChoice};
use super::stack::StackList;
use super::work::{LUMA_WEIGHTS, WorkImage, luma_of, upper_quartile};

/// Lines kept from the Hough transform: ending ones, lines across the whole frame, ending lines
/// the caps passed over with the most votes (a side broken by fingers on wood grain; see
/// `LineFinder::find`), plus the four frame borders.
const MAX_LINES: usize = 50;
const MAX_THROUGH_LINES: usize = 6;
const RESERVE_LINES: usize = 2;
/// A line needs this fraction of the working image's short side in votes.
const MIN_VOTES_FRAC: f32 = 0.07;
/// Opposite sides of a document in perspective stay within this angle of each other (degrees).
/// The widest on the dev frames is 55 degrees: a card tilted 50 degrees near the frame's edge
/// (f0096, whose half past a glare band was outlined alone while this was 48).
const MAX_OPPOSITE_ANGLE_DEG: f32 = 60.0;
/// Adjacent sides meet at no sharper angle than this in the image (degrees).
const MIN_ADJACENT_ANGLE_DEG: f32 = 40.0;
/// The smallest document worth locating, as a fraction of the frame's area.
const MIN_AREA_FRAC: f32 = 0.012;
/// Corners may lie this far outside the frame (fraction of its size) for a cut-off document.
const OUTSIDE_SLACK: f32 = 0.6;
/// Assumed edge support along a frame border, where the document runs off the frame.
const BORDER_SUPPORT: f32 = 0.35;
/// Every real side must be supported along at least this fraction of its visible length.
const MIN_SIDE_SUPPORT: f32 = 0.22;
/// ...and at least this fraction of its length, and this many pixels, must lie inside the image.
const MIN_SIDE_VISIBLE_FRAC: f32 = 0.3;
const MIN_SIDE_VISIBLE_PX: f32 = 4.0;
/// Width of the log-aspect prior around each document format's true aspect.
const ASPECT_SIGMA: f32 = 0.10;
/// A portrait outline (a card held sideways, or an open booklet) is less likely than a landscape one.
const PORTRAIT_PRIOR: f32 = 0.55;
/// An outline cut by the frame cannot show its shape, so it gets this prior instead: below a good
/// landscape fit (1), above a portrait one. A document held too close runs off the frame as often
/// as not, and with the portrait prior a printed box inside it (a photo, a text column) won
/// over its real, cut-off outline.
const CUT_OFF_PRIOR: f32 = 0.8;
/// Candidates within this fraction of the best score compete on size: the outermost consistent
/// outline is the document, inner printed frames and photo boxes are not.
const NEAR_BEST: f32 = 0.93;
/// Near-best outlines whose areas are within this ratio are the same document, not an inner
/// printed frame: a frame printed 2 mm inside an ID-1 card's edge encloses about 0.85 of its area.
const SAME_SIZE_AREA_RATIO: f32 = 0.9;
/// ...but of two near-best outlines of different sizes, the inner one wins when it scores at
/// least this much more: a document's own outline and a bigger one closed by background lines
/// beyond it (a sheet of paper under the card) score nearly alike, and there the document's own
/// fits a little better (2.9-4.1% over a card on a sheet in the dev sequence seq02). A document's
/// outline scored up to 2.2% below an inner one along a printed box or band (1.1% on the dev
/// frames, 2.2% for a pale card on a pale desk in the synthetic audit).
const INNER_CLEARLY_BETTER: f32 = 1.025;
/// A document is at most this elongated: an ID-1 card (1.59:1) pitched 50 degrees away from the
/// camera. An outline from one frame border to the opposite one that is more elongated than this
/// (a glare band across a dark card, a stripe of the background between two frame edges) is no
/// document.
const MAX_SPANNING_ASPECT: f32 = 2.5;
/// Content factor: the floor for a blank outline and the edge density that counts as printed.
const CONTENT_FLOOR: f32 = 0.35;
const CONTENT_FULL_INK: f32 = 0.06;
/// Ink is darker than this fraction of the paper's luma (its upper quartile), less a margin for
/// noise: at most INK_MARGIN grey levels, and in a dark frame, where print keeps only a few levels of
/// contrast, a share of the paper's level instead.
const INK_RATIO: f32 = 0.7;
const INK_MARGIN: f32 = 6.0;
const INK_MARGIN_OF_PAPER: f32 = 0.1;
/// Size term of the score: outlines below this fraction of the frame lose score by the power below.
const SIZE_FULL_FRAC: f32 = 0.3;
const SIZE_EXPONENT: f32 = 0.25;
/// A document's side ends at its corners. When the edge under a side runs on past both of them
/// (past one where the other is off the frame) for this fraction of the side's length, the side is
/// most likely a line of the background (wood grain, a stripe, a table edge) that happens to
/// line up with the document: among near-best outlines, the one with fewer such sides wins.
const RUN_ON_FRAC: f32 = 0.12;
const RUN_ON_MIN_PX: f32 = 6.0;
/// The edge runs on when this fraction of the stretch past the corner carries support.
const RUN_ON_SUPPORT: f32 = 0.6;
/// The rim test looks this fraction of the outline's longest side inside each side (a passport
/// cover's rim of ~3 mm is 2.4% of the page's width), at RIM_SAMPLES points along its middle;
/// a side is on a rim when RIM_DARK_SHARE of them are darker than RIM_DARK_RATIO of the paper.
const RIM_PROBE_FRAC: f32 = 0.012;
const RIM_PROBE_MIN_PX: f32 = 2.0;
const RIM_SAMPLES: usize = 16;
const RIM_DARK_RATIO: f32 = 0.55;
const RIM_DARK_SHARE: f32 = 0.75;
/// A frame border closes a cut-off document's outline only where the document runs on past it: the
/// strip just inside the border (BORDER_STRIP_SAMPLES points, BORDER_STRIP_INSET_PX in) looks like
/// the outline's paper, its upper quartile within BORDER_PAPER_LUMA of the paper's level and the
/// colour of its paper-bright samples (at least BORDER_PAPER_BRIGHT of that level) within
/// BORDER_CHROMA of the inside's. A border drawn around a whole document runs over the background.
const BORDER_STRIP_SAMPLES: usize = 32;
const BORDER_STRIP_INSET_PX: f32 = 2.0;
const BORDER_PAPER_LUMA: f32 = 0.2;
const BORDER_PAPER_BRIGHT: f32 = 0.85;
const BORDER_CHROMA: f32 = 0.03;
/// A side with the outline's own paper just beyond it is no edge of the document but a line
/// printed on it (a photo's edge, a panel's rule): the document runs on past the side, and its
/// real corners are elsewhere, often out of the frame. At PAPER_BEYOND_PROBE_PX either side of the
/// side (BORDER_STRIP_SAMPLES points), the outside's upper quartile is within PAPER_BEYOND_LUMA of
/// the paper's level, its paper-bright colour within PAPER_BEYOND_CHROMA of the inside's, and the
/// median step from inside to outside, over pairs both paper-bright, within PAPER_BEYOND_STEP of
/// the paper's level. A pale card on a pale desk keeps a step of 2-8% the whole way along; paper
/// continuing has none (cut-off audit scenes: steps of 0-1%).
const PAPER_BEYOND_PROBE_PX: f32 = 3.0;
const PAPER_BEYOND_LUMA: f32 = 0.05;
const PAPER_BEYOND_CHROMA: f32 = 0.01;
const PAPER_BEYOND_STEP: f32 = 0.015;
/// Fewer samples than this (a side mostly off the frame, ink all along it) decide nothing.
const PAPER_BEYOND_MIN_SAMPLES: usize = 8;
/// Paper this bright is clipped white: the desk beside it clips too, and neither colour nor step
/// is left to compare.
const PAPER_BEYOND_MAX_LEVEL: f32 = 235.0;
/// The inside's paper colour is sampled on this grid, inset by this share of each side.
const PAPER_COLOUR_GRID: usize = 12;
const PAPER_COLOUR_INSET: f32 = 0.1;
/// How many of the best candidates get the content test.
const SHORTLIST: usize = 8;
/// Printed detail is sampled on this grid inside the outline, inset by this share of each side.
const DETAIL_GRID: (usize, usize) = (96, 60);
const DETAIL_INSET: f32 = 0.08;
/// Candidates scoring below this are not worth a look.
const MIN_CANDIDATE_SCORE: f32 = 0.1;

/// A located document in full-resolution pixels, before the checks.
#[derive(Clone, Copy, Debug)]
pub struct Located {
    pub quad: Quad,
    /// Corner for corner with `quad`: the quad itself, or for a passport page found inside its
    /// booklet cover the cover's outline around it, whose edge focus reads when the page's cannot
    /// be (the page's edge is followed by the cover's band, a second step within a few pixels
    /// that the blur reading rightly refuses).
    pub edge_quad: Quad,
    pub kind: DocKind,
    pub confidence: f32,
    /// The confidence weighted by size, as outlines are ranked: comparable across looks, which
    /// see the same frame at different scales.
    pub score: f32,
    pub pose: pose::Pose,
    /// Which sides (top, right, bottom, left) lie on a frame border.
    pub border_sides: [bool; 4],
    /// Printed detail inside the outline: the share of edge pixels ([`interior_detail`]).
    pub detail: f32,
    /// Sides with the document's own paper just beyond them ([`paper_beyond_sides`]): the outline
    /// is of something printed on a larger document, whose corners are not these.
    pub paper_beyond_sides: u8,
}

#[derive(Clone, Copy, Debug)]
struct Candidate {
    lines: [usize; 4],
    corners: [(f32, f32); 4],
    /// Ranking score: confidence weighted by size.
    score: f32,
    /// How sure the outline is a document: edge support, shape and content.
    confidence: f32,
    area: f32,
    /// Sides whose edge runs on past the corners, sides lined inside by a dark rim, and frame
    /// borders the document does not run on past (all filled in for the shortlist only).
    run_on_sides: u8,
    rim_sides: u8,
    unlikely_borders: u8,
    /// The paper's luma from the content test (shortlist only).
    paper: f32,
}

/// The locator's reusable state.
#[derive(Debug, Default)]
pub struct Locator {
    finder: LineFinder,
    lines: Vec<Line>,
    occlusion: OcclusionFinder,
    /// The occluding sides found, before they join `lines`, and how many joined this frame.
    occluding: Vec<Line>,
    occluding_sides: usize,
    /// Near-parallel pairs `(i, j)`, `i < j`: candidate opposite sides.
    pairs: Vec<(usize, usize)>,
    /// Per line, the set of lines at least MIN_ADJACENT_ANGLE_DEG away from it (bit k: line k).
    adjacent: Vec<LineSet>,
    /// Per line `i`, the lines `j > i` that pair with it as opposite sides.
    opposite_after: Vec<LineSet>,
    /// The frame-border lines.
    border_lines: LineSet,
    /// Where every two lines cross (None when parallel), row-major: each crossing is a corner of
    /// many candidate outlines, so it is computed once.
    crossings: Vec<Option<(f32, f32)>>,
    /// Per line, the lines it crosses at a possible corner (not parallel, not too far outside).
    corners_with: Vec<LineSet>,
    /// At `i * n + j` for each near-parallel pair `(i, j)`: the lines whose stretch between their
    /// crossings with `i` and `j` can be a side of an outline (possible corners, enough support).
    /// Each such side is shared by many candidate outlines; testing it once per pair lets the
    /// enumeration pass over every outline with a failing side without looking at it.
    sides_between: Vec<LineSet>,
    /// The evidence behind each side in `sides_between`: for the pair `(i, j)`, at
    /// `evidence_slot[i * n + j] * LineSet::BITS + k` for line `k` (set only where its bit is).
    /// Each outline's score reads its four sides here instead of measuring them again.
    evidence: Vec<SideEvidence>,
    evidence_slot: Vec<usize>,
    candidates: Vec<Candidate>,
    /// The content test's luma samples, reused.
    lumas: Vec<u8>,
}

impl Locator {
    pub fn locate(
        &mut self,
        frame: &RgbImage,
        work: &WorkImage,
        kind: KindChoice,
    ) -> Option<Located> {
        self.find_lines(work);
        self.collect_pairs(work);
        self.collect_sides();
        self.collect_candidates(work, kind);
        let best = self.pick(work)?;
        let refined = refine(frame, work, &self.lines, &best);
        let detail = interior_detail(work, &best.corners);
        let border = |k: usize| self.lines.get(k).is_some_and(|l| l.border);
        let paper_beyond =
            paper_beyond_sides(work, &best.corners, best.lines.map(border), best.paper);
        let located = finish(
            frame,
            &self.lines,
            &best,
            (refined, refined),
            kind,
            detail,
            paper_beyond,
        )?;
        if located.kind != DocKind::Td3 {
            return Some(located);
        }
        // A passport page's outline can close on its booklet cover's outer edge, a few pixels
        // outside the page: at a distance the two edges are one Hough peak.
        let Some(page) = page_inside_cover(frame, refined, best.lines.map(border)) else {
            return Some(located);
        };
        finish(
            frame,
            &self.lines,
            &best,
            (page, refined),
            kind,
            detail,
            paper_beyond,
        )
        .or(Some(located))
    }

    /// The lines outlines are built from on `work`: the Hough lines, the sides seen where stripes
    /// stop, then the four frame borders (also what `examples/lines_debug` draws).
    pub fn find_lines(&mut self, work: &WorkImage) -> &[Line] {
        let short = work.width.min(work.height) as f32;
        let min_votes = (MIN_VOTES_FRAC * short).max(8.0) as u32;
        self.finder.find(
            work,
            min_votes,
            MAX_LINES,
            MAX_THROUGH_LINES,
            RESERVE_LINES,
            &mut self.lines,
        );
        self.add_occluding_sides(work);
        &self.lines
    }

    /// Sides seen where stripes behind the document stop ([`super::occlusion`]), placed before
    /// the frame borders, which the finder puts last, as far as a LineSet has room.
    fn add_occluding_sides(&mut self, work: &WorkImage) {
        let room = (LineSet::BITS as usize)
            .saturating_sub(self.lines.len())
            .min(MAX_OCCLUDING_SIDES);
        let borders_at = self.lines.iter().take_while(|l| !l.border).count();
        self.occluding.clear();
        self.occlusion.find(
            work,
            &mut self.finder,
            &self.lines,
            room,
            &mut self.occluding,
        );
        self.occluding_sides = self.occluding.len();
        for (k, side) in self.occluding.drain(..).enumerate() {
            self.lines.insert(borders_at + k, side);
        }
    }

    fn collect_pairs(&mut self, work: &WorkImage) {
        self.pairs.clear();
        let n = self.lines.len();
        self.corners_with.clear();
        self.corners_with.resize(n, 0);
        self.adjacent.clear();
        self.adjacent.resize(n, 0);
        self.opposite_after.clear();
        self.opposite_after.resize(n, 0);
        self.border_lines = 0;
        self.crossings.clear();
        self.crossings.resize(n * n, None);
        for i in 0..n {
            if self.lines[i].border {
                self.border_lines |= line_bit(i);
            }
            for j in i + 1..n {
                let crossing = self.lines[i].intersect(&self.lines[j]);
                self.crossings[i * n + j] = crossing;
                self.crossings[j * n + i] = crossing;
                if crossing.is_some_and(|p| !far_outside(p, work)) {
                    self.corners_with[i] |= line_bit(j);
                    self.corners_with[j] |= line_bit(i);
                }
                let angle = angle_between(self.lines[i].theta, self.lines[j].theta);
                if angle >= MIN_ADJACENT_ANGLE_DEG {
                    self.adjacent[i] |= line_bit(j);
                    self.adjacent[j] |= line_bit(i);
                }
                if angle <= MAX_OPPOSITE_ANGLE_DEG {
                    self.pairs.push((i, j));
                    self.opposite_after[i] |= line_bit(j);
                }
            }
        }
    }

    /// For each near-parallel pair, the lines that can be a side between its two lines: a line
    /// that meets only one of the pair at a real angle can still close an outline with it.
    fn collect_sides(&mut self) {
        let n = self.lines.len();
        self.sides_between.clear();
        self.sides_between.resize(n * n, 0);
        self.evidence_slot.resize(n * n, 0);
        // Only the slots marked in `sides_between` are read: the rest need no clearing.
        let slots = LineSet::BITS as usize;
        self.evidence
            .resize(self.pairs.len() * slots, SideEvidence::default());
        for (slot, &(i, j)) in self.pairs.iter().enumerate() {
            let (Some(&corners_i), Some(&corners_j), Some(&adjacent_i), Some(&adjacent_j)) = (
                self.corners_with.get(i),
                self.corners_with.get(j),
                self.adjacent.get(i),
                self.adjacent.get(j),
            ) else {
                continue;
            };
            let mut sides = 0;
            for k in set_bits(corners_i & corners_j & (adjacent_i | adjacent_j)) {
                let crossing = |other: usize| self.crossings.get(k * n + other).copied().flatten();
                let (Some(line), Some(p), Some(q)) = (self.lines.get(k), crossing(i), crossing(j))
                else {
                    continue;
                };
                if let Some(evidence) = side_evidence(line, p, q)
                    && let Some(stored) = self.evidence.get_mut(slot * slots + k)
                {
                    *stored = evidence;
                    sides |= line_bit(k);
                }
            }
            if let (Some(between), Some(at)) = (
                self.sides_between.get_mut(i * n + j),
                self.evidence_slot.get_mut(i * n + j),
            ) {
                *between = sides & !(line_bit(i) | line_bit(j));
                *at = slot;
            }
        }
    }

    /// Every outline of two near-parallel pairs whose adjacent sides meet at a real angle. Pair
    /// (a, b) meets each later pair (c, d), `c > a`, once, as the cycle a, c, b, d; the sets
    /// visit only the pairs that pass the angle tests (a few in ten of all pairs of pairs) and
    /// whose four sides pass [`side_evidence`] (a few in a hundred of those).
    fn collect_candidates(&mut self, work: &WorkImage, kind: KindChoice) {
        self.candidates.clear();
        // Only the SHORTLIST best scores reach the content test: a candidate whose score cannot
        // beat the current SHORTLIST-th best is dropped before its pose is estimated.
        let mut top_scores = [0.0f32; SHORTLIST];
        let n = self.lines.len();
        let sides_between = |i: usize, j: usize| self.sides_between.get(i * n + j).copied();
        for &(a, b) in &self.pairs {
            let (Some(&adjacent_a), Some(&adjacent_b), Some(sides_ab)) = (
                self.adjacent.get(a),
                self.adjacent.get(b),
                sides_between(a, b),
            ) else {
                continue;
            };
            let pair = line_bit(a) | line_bit(b);
            let after_a = LineSet::MAX.checked_shl(a as u32 + 1).unwrap_or(0);
            for c in set_bits(adjacent_a & after_a & sides_ab) {
                let opposite_c = self.opposite_after.get(c).copied().unwrap_or(0);
                for d in set_bits(opposite_c & adjacent_b & sides_ab) {
                    // Sides c and d lie between a and b; sides a and b between c and d.
                    if sides_between(c, d).is_none_or(|sides_cd| sides_cd & pair != pair) {
                        continue;
                    }
                    let bar = top_scores[SHORTLIST - 1].max(MIN_CANDIDATE_SCORE);
                    if let Some(cand) = self.outline([a, c, b, d], work, kind, bar) {
                        insert_score(&mut top_scores, cand.score);
                        self.candidates.push(cand);
                    }
                }
            }
        }
    }

    /// The outline closed by `sides` (in cyclic order), when it is a plausible document scoring
    /// above `bar`.
    fn outline(
        &self,
        sides: [usize; 4],
        work: &WorkImage,
        kind: KindChoice,
        bar: f32,
    ) -> Option<Candidate> {
        let [a, c, b, d] = sides;
        let sides_set = sides.iter().fold(0, |set, &k| set | line_bit(k));
        let borders = (sides_set & self.border_lines).count_ones();
        if borders > 2 {
            return None;
        }
        let (w, h) = (work.width as f32, work.height as f32);
        let n = self.lines.len();
        let cross = |i: usize, j: usize| self.crossings.get(i * n + j).copied().flatten();
        let corners = [cross(a, c)?, cross(c, b)?, cross(b, d)?, cross(d, a)?];
        if corners.iter().any(|&p| far_outside(p, work)) || !is_convex(&corners) {
            return None;
        }
        let area = polygon_area(&corners);
        if area < MIN_AREA_FRAC * w * h {
            return None;
        }
        if borders == 2 {
            let border_sides = sides.map(|k| self.border_lines & line_bit(k) != 0);
            if least_spanning_aspect(&corners, border_sides) > MAX_SPANNING_ASPECT {
                return None;
            }
        }
        // A side seen where stripes stop has the stripes outside the outline.
        let stripes_inside = self.occluding_sides > 0 && {
            let centre = centre_of(&corners);
            sides.iter().any(|&k| {
                self.lines.get(k).is_some_and(|l| {
                    let offset = l.normal.0 * centre.0 + l.normal.1 * centre.1 - l.rho;
                    l.stripes_beyond * offset > 0.0
                })
            })
        };
        if stripes_inside {
            return None;
        }
        // Sides c and d lie between a and b, sides a and b between c and d: each was measured
        // for its pair, (a, b) and (c, d) in increasing order as collect_candidates gives them,
        // in the order a, c, b, d of the sides (side_evidence is the same either way round).
        let measured = |pair: (usize, usize), k: usize| {
            let slot = self.evidence_slot.get(pair.0 * n + pair.1)?;
            self.evidence.get(slot * LineSet::BITS as usize + k)
        };
        let support = side_support([
            measured((c, d), a)?,
            measured((a, b), c)?,
            measured((c, d), b)?,
            measured((a, b), d)?,
        ])?;
        // Printed boxes inside a document (photo, chip, barcode, title band) are outlined as
        // crisply as the document itself: the document is the big one.
        let size = (area / (SIZE_FULL_FRAC * w * h))
            .min(1.0)
            .powf(SIZE_EXPONENT);
        if support * size <= bar {
            return None;
        }
        let prior = if borders > 0 {
            CUT_OFF_PRIOR
        } else {
            shape_prior(&corners, work, kind)
        };
        let confidence = support * (0.35 + 0.65 * prior);
        let score = confidence * size;
        (score > bar).then_some(Candidate {
            lines: sides,
            corners,
            score,
            confidence,
            area,
            run_on_sides: 0,
            rim_sides: 0,
            unlikely_borders: 0,
            paper: 0.0,
        })
    }

    fn pick(&mut self, work: &WorkImage) -> Option<Candidate> {
        if self.candidates.is_empty() {
            return None;
        }
        self.candidates
            .sort_unstable_by(|x, y| y.score.total_cmp(&x.score));
        self.candidates.truncate(SHORTLIST.max(1) * 4);
        let mut best: Option<Candidate> = None;
        for cand in self.candidates.iter_mut().take(SHORTLIST) {
            let (content, paper) = content_factor(work, &cand.corners, &mut self.lumas);
            cand.run_on_sides = run_on_sides(&self.lines, cand);
            cand.rim_sides = rim_sides(work, &cand.corners, paper);
            cand.unlikely_borders = unlikely_borders(work, &self.lines, cand, paper);
            cand.paper = paper;
            cand.score *= content;
            cand.confidence *= content;
        }
        let top = self
            .candidates
            .iter()
            .take(SHORTLIST)
            .map(|c| c.score)
            .fold(0.0f32, f32::max);
        let border = |k: usize| self.lines.get(k).is_some_and(|l| l.border);
        for cand in self.candidates.iter().take(SHORTLIST) {
            if cand.score >= NEAR_BEST * top && best.is_none_or(|b| preferred(cand, &b, border)) {
                best = Some(*cand);
            }
        }
        best
    }
}

/// Whether the near-best outline `cand` is preferred to `best` (`border`: whether a line is a frame
/// border). The outline with the fewest doubtful sides wins: an edge that runs on past the corners
/// (a background line), a dark rim just inside (the shadow a card casts, a passport cover's rim
/// around the page), a frame border the document does not run on past (a border-made outline
/// around a whole document).
fn preferred(cand: &Candidate, best: &Candidate, border: impl Fn(usize) -> bool) -> bool {
    let doubts = |c: &Candidate| c.run_on_sides + c.rim_sides + c.unlikely_borders;
    match doubts(cand).cmp(&doubts(best)) {
        std::cmp::Ordering::Less => true,
        std::cmp::Ordering::Greater => false,
        // As many doubts of different kinds: the outline not closed by a frame border it has no
        // paper along wins. A card's side on a background stripe runs on past its corner; an
        // outline closed by the frame over the background is no document at all (a far card
        // over slats, joined to the frame's edge by two slat lines, scored 1% over the card).
        std::cmp::Ordering::Equal if cand.unlikely_borders != best.unlikely_borders => {
            cand.unlikely_borders < best.unlikely_borders
        }
        // Outlines of nearly the same size are one document with a side in doubt (a grain line,
        // a shadow next to the edge, a passport cover's rim around the page): the one with fewer
        // sides on a dark rim, then the better-supported one, wins.
        std::cmp::Ordering::Equal
            if cand.area.min(best.area) >= SAME_SIZE_AREA_RATIO * cand.area.max(best.area) =>
        {
            (cand.rim_sides, -cand.score) < (best.rim_sides, -best.score)
        }
        // Otherwise the outermost consistent outline is the document, unless the inner one
        // scores clearly better. Not against an outer outline closed by the frame: a cut-off
        // document's border side has only BORDER_SUPPORT.
        std::cmp::Ordering::Equal => {
            let (outer, inner) = if cand.area > best.area {
                (cand, best)
            } else {
                (best, cand)
            };
            let cut_off = outer.lines.iter().any(|&k| border(k));
            let inner_wins = !cut_off && inner.score > INNER_CLEARLY_BETTER * outer.score;
            (cand.area > best.area) != inner_wins
        }
    }
}

/// A set of lines by index, one bit each: every line the finder returns fits.
type LineSet = u64;
const _: () = assert!(
    MAX_LINES + MAX_THROUGH_LINES + RESERVE_LINES + 4 <= LineSet::BITS as usize,
    "lines must fit a LineSet"
);

fn line_bit(i: usize) -> LineSet {
    1u64.checked_shl(i as u32).unwrap_or(0)
}

/// The indices in `set`, lowest first.
fn set_bits(mut set: LineSet) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        let i = set.trailing_zeros();
        (set != 0).then(|| {
            set &= set - 1;
            i as usize
        })
    })
}

/// Keeps `top` sorted best first with `score` in its place (the last one drops out).
fn insert_score(top: &mut [f32; SHORTLIST], score: f32) {
    let at = top.iter().position(|&t| score > t).unwrap_or(SHORTLIST);
    if at < SHORTLIST {
        top.copy_within(at..SHORTLIST - 1, at + 1);
        top[at] = score;
    }
}

/// Length-weighted edge support of the four sides (each passed [`side_evidence`]).
fn side_support(sides: [&SideEvidence; 4]) -> Option<f32> {
    let mut supported = 0.0;
    let mut visible = 0.0;
    let mut total = 0.0;
    for side in sides {
        total += side.length;
        supported += side.supported;
        visible += side.visible;
    }
    if visible <= 0.0 {
        return None;
    }
    let hidden = 1.0 - visible / total.max(1e-6);
    Some((supported / visible).min(1.0) * (1.0 - 0.5 * hidden))
}

/// What a line shows of a side between two corners (working pixels).
#[derive(Clone, Copy, Debug, Default)]
struct SideEvidence {
    length: f32,
    /// Supporting edge pixels of the line's stronger polarity (assumed along a frame border).
    supported: f32,
    /// The length inside the image.
    visible: f32,
}

/// The evidence for a side of `line` from `p` to `q` (the same either way round), or None when
/// too little of it is visible or supported to be a document's side.
fn side_evidence(line: &Line, p: (f32, f32), q: (f32, f32)) -> Option<SideEvidence> {
    let length = distance(p, q);
    if line.border {
        return Some(SideEvidence {
            length,
            supported: BORDER_SUPPORT * length,
            visible: length,
        });
    }
    let (pos, neg, visible) = line.support(line.param_of(p), line.param_of(q));
    if visible < MIN_SIDE_VISIBLE_FRAC * length || visible < MIN_SIDE_VISIBLE_PX {
        return None;
    }
    let supported = pos.max(neg) as f32;
    if supported < MIN_SIDE_SUPPORT * visible {
        return None;
    }
    Some(SideEvidence {
        length,
        supported,
        visible,
    })
}

/// Whether a crossing lies too far outside the working image to be a corner of a document cut off
/// by the frame's edge.
fn far_outside(p: (f32, f32), work: &WorkImage) -> bool {
    let (w, h) = (work.width as f32, work.height as f32);
    p.0 < -OUTSIDE_SLACK * w
        || p.1 < -OUTSIDE_SLACK * h
        || p.0 > (1.0 + OUTSIDE_SLACK) * w
        || p.1 > (1.0 + OUTSIDE_SLACK) * h
}

/// How many sides have an edge that runs on past their corners.
///
/// A passport's data page is the exception: its booklet's facing page has the same width, so the
/// two sides that meet the fold both run on past the fold's corners, and only there. Such a pair
/// is the page in its booklet, not two background lines, and does not count.
fn run_on_sides(lines: &[Line], cand: &Candidate) -> u8 {
    let c = cand.corners;
    let ends = side_ends(&c);
    // Per side, whether its edge runs on past its start and its end corner (None: not seen).
    let mut past: [[Option<bool>; 2]; 4] = [[None; 2]; 4];
    for ((&k, (p, q)), verdict) in cand.lines.iter().zip(ends).zip(past.iter_mut()) {
        let Some(line) = lines.get(k) else {
            continue;
        };
        if line.border {
            continue;
        }
        let (tp, tq) = (line.param_of(p), line.param_of(q));
        let len = (tq - tp).abs();
        let ext = (RUN_ON_FRAC * len).max(RUN_ON_MIN_PX);
        let (lo, hi) = if tp <= tq { (tp, tq) } else { (tq, tp) };
        // Only an edge of the side's own polarity runs on: past the corner the background is on
        // both sides of the line, so a document edge's light-to-dark step does not continue.
        let (side_pos, side_neg, _) = line.support(lo, hi);
        let runs_on = |a: f32, b: f32| {
            let (pos, neg, vis) = line.support(a, b);
            let same = if side_pos >= side_neg { pos } else { neg };
            (vis >= 0.5 * ext).then_some(same as f32 >= RUN_ON_SUPPORT * vis)
        };
        let (before, after) = (runs_on(lo - ext, lo), runs_on(hi, hi + ext));
        *verdict = if tp <= tq {
            [before, after]
        } else {
            [after, before]
        };
    }
    // Ends that can be seen must all run on; a side with no end in view says nothing.
    let runs_on =
        |v: &[Option<bool>; 2]| v.iter().flatten().count() > 0 && v.iter().flatten().all(|&r| r);
    let mut counted = past.map(|v| runs_on(&v));
    for fold in 0..4 {
        // The sides before and after side `fold` meet it at its start and end corners.
        let (before, after) = ((fold + 3) % 4, (fold + 1) % 4);
        let (Some(b), Some(a)) = (past.get(before), past.get(after)) else {
            continue;
        };
        let past_fold = b[1] == Some(true) && a[0] == Some(true);
        let past_far_end = b[0] == Some(true) || a[1] == Some(true);
        if past_fold && !past_far_end {
            counted[before] = false;
            counted[after] = false;
        }
    }
    counted.iter().filter(|&&c| c).count() as u8
}

/// How well the outline's rectified aspect matches a document format (1 = exactly).
fn shape_prior(corners: &[(f32, f32); 4], work: &WorkImage, kind: KindChoice) -> f32 {
    let quad = Quad(corners.map(|p| Point::new(p.0, p.1)));
    let Some(p) = pose::estimate(&quad, work.width as u32, work.height as u32) else {
        return 0.0;
    };
    let aspect = p.aspect as f32;
    // The rectified long axis runs along side 0->1 when aspect >= 1, else along side 1->2; the
    // outline is portrait when that axis is closer to the image's vertical.
    let (from, to) = if aspect >= 1.0 {
        (corners[0], corners[1])
    } else {
        (corners[1], corners[2])
    };
    let portrait = (to.1 - from.1).abs() > (to.0 - from.0).abs();
    let a = if aspect >= 1.0 {
        aspect
    } else {
        1.0 / aspect.max(1e-6)
    };
    let kinds: &[DocKind] = match kind {
        KindChoice::Auto => &DocKind::ALL,
        KindChoice::IdCard => &[DocKind::Id1],
        KindChoice::Passport => &[DocKind::Td3],
    };
    let best = kinds
        .iter()
        .map(|k| {
            let z = (a / k.aspect()).ln() / ASPECT_SIGMA;
            (-0.5 * z * z).exp()
        })
        .fold(0.0f32, f32::max);
    if portrait {
        best * PORTRAIT_PRIOR
    } else {
        best
    }
}

/// Documents carry print: text, a photo, lines of ink clearly darker than the paper around them.
/// Plain objects of the same shape (a book cover, a phone) carry none. Returns a factor in
/// CONTENT_FLOOR..=1 from the share of sample points that are ink, and the paper's luma.
fn content_factor(work: &WorkImage, c: &[(f32, f32); 4], lumas: &mut Vec<u8>) -> (f32, f32) {
    const GRID: (usize, usize) = (48, 30);
    lumas.clear();
    for j in 0..GRID.1 {
        for i in 0..GRID.0 {
            let u = 0.06 + 0.88 * (i as f32 + 0.5) / GRID.0 as f32;
            let v = 0.06 + 0.88 * (j as f32 + 0.5) / GRID.1 as f32;
            let p = lerp(lerp(c[0], c[1], u), lerp(c[3], c[2], u), v);
            lumas.extend(work.luma_at(p));
        }
    }
    if lumas.len() < 16 {
        return (CONTENT_FLOOR, 0.0);
    }
    // The paper is the upper quartile; the ink count below does not depend on the order.
    let paper = upper_quartile(lumas);
    let ink_level = INK_RATIO * paper - INK_MARGIN.min(INK_MARGIN_OF_PAPER * paper);
    let ink = lumas.iter().filter(|&&l| (l as f32) < ink_level).count() as f32 / lumas.len() as f32;
    (
        CONTENT_FLOOR + (1.0 - CONTENT_FLOOR) * (ink / CONTENT_FULL_INK).min(1.0),
        paper,
    )
}

/// Share of edge pixels at DETAIL_GRID points inside the outline `c` (working pixels), inset by
/// DETAIL_INSET so the outline's own edges do not count: printed detail.
fn interior_detail(work: &WorkImage, c: &[(f32, f32); 4]) -> f32 {
    let (mut edges, mut samples) = (0u32, 0u32);
    let span = 1.0 - 2.0 * DETAIL_INSET;
    for j in 0..DETAIL_GRID.1 {
        let v = DETAIL_INSET + span * (j as f32 + 0.5) / DETAIL_GRID.1 as f32;
        for i in 0..DETAIL_GRID.0 {
            let u = DETAIL_INSET + span * (i as f32 + 0.5) / DETAIL_GRID.0 as f32;
            let Some(at) = work.nearest_idx(lerp(lerp(c[0], c[1], u), lerp(c[3], c[2], u), v))
            else {
                continue;
            };
            samples += 1;
            edges += u32::from(work.edge.get(at).is_some_and(|&e| e != 0));
        }
    }
    edges as f32 / samples.max(1) as f32
}

/// [`interior_detail`] of the full-resolution outline `quad`, read on `work`.
pub fn detail_inside(work: &WorkImage, quad: &Quad) -> f32 {
    interior_detail(work, &quad.0.map(|p| work.to_work(p.x, p.y)))
}

/// How many sides are lined inside by a dark band: sample points just inside the side, along its
/// middle, mostly much darker than the outline's paper. An open passport's cover shows a few
/// millimetres around the page; an outline that closes on the cover's outer edge instead of the
/// page's has such a side, the page's own outline does not (a document's print keeps a light
/// margin at its edge).
fn rim_sides(work: &WorkImage, c: &[(f32, f32); 4], paper: f32) -> u8 {
    let longest = (0..4)
        .map(|i| distance(c[i], c[(i + 1) % 4]))
        .fold(0.0f32, f32::max);
    let inset = (RIM_PROBE_FRAC * longest).max(RIM_PROBE_MIN_PX);
    let centre = centre_of(c);
    let dark_level = RIM_DARK_RATIO * paper;
    let mut count = 0;
    for i in 0..4 {
        let (a, b) = (c[i], c[(i + 1) % 4]);
        let normal = inward_normal(a, b, centre);
        let (mut dark, mut seen) = (0, 0);
        for k in 0..RIM_SAMPLES {
            let t = 0.15 + 0.7 * (k as f32 + 0.5) / RIM_SAMPLES as f32;
            let p = lerp(a, b, t);
            let Some(luma) = work.luma_at((p.0 + inset * normal.0, p.1 + inset * normal.1)) else {
                continue;
            };
            seen += 1;
            if (luma as f32) < dark_level {
                dark += 1;
            }
        }
        if seen >= RIM_SAMPLES / 2 && dark as f32 >= RIM_DARK_SHARE * seen as f32 {
            count += 1;
        }
    }
    count
}

/// How many of the outline's frame-border sides the document does not run on past: the strip just
/// inside the border is not the outline's paper, by level or by colour (see BORDER_STRIP_SAMPLES).
fn unlikely_borders(work: &WorkImage, lines: &[Line], cand: &Candidate, paper: f32) -> u8 {
    let c = &cand.corners;
    let inside = paper_colour(work, c, BORDER_PAPER_BRIGHT * paper);
    let centre = centre_of(c);
    let ends = side_ends(c);
    let mut lumas = [0u8; BORDER_STRIP_SAMPLES];
    let mut count = 0;
    for (&k, (a, b)) in cand.lines.iter().zip(ends) {
        if !lines.get(k).is_some_and(|l| l.border) {
            continue;
        }
        let normal = inward_normal(a, b, centre);
        let strip = |i: usize| strip_point((a, b), normal, BORDER_STRIP_INSET_PX, i);
        // Each strip pixel is read once: its luma for the level, its colour if paper-bright.
        let mut pixels = [[0u8; 3]; BORDER_STRIP_SAMPLES];
        let mut seen = 0;
        for i in 0..BORDER_STRIP_SAMPLES {
            let pixel = work.nearest_idx(strip(i)).and_then(|at| work.rgb.get(at));
            if let (Some(&px), Some(slot), Some(luma)) =
                (pixel, pixels.get_mut(seen), lumas.get_mut(seen))
            {
                *slot = px;
                *luma = luma_of(px);
                seen += 1;
            }
        }
        let Some(seen_lumas) = lumas.get_mut(..seen).filter(|l| l.len() >= 8) else {
            count += 1;
            continue;
        };
        let level = upper_quartile(seen_lumas);
        let bright = BORDER_PAPER_BRIGHT * level;
        let mut sum = [0f32; 3];
        for &px in pixels.iter().take(seen) {
            if luma_of(px) as f32 >= bright {
                add_colour(&mut sum, px);
            }
        }
        let like_paper = (level - paper).abs() <= BORDER_PAPER_LUMA * paper
            && chroma_distance(sum, inside) <= BORDER_CHROMA;
        count += u8::from(!like_paper);
    }
    count
}

/// How many sides of the outline `c` (each flagged in `border` when a frame border, in the order of
/// [`side_ends`]) have the outline's paper, of luma `paper`, just beyond them (see
/// PAPER_BEYOND_PROBE_PX).
fn paper_beyond_sides(work: &WorkImage, c: &[(f32, f32); 4], border: [bool; 4], paper: f32) -> u8 {
    if paper >= PAPER_BEYOND_MAX_LEVEL || paper <= 0.0 {
        return 0;
    }
    let bright = BORDER_PAPER_BRIGHT * paper;
    let inside_colour = paper_colour(work, c, bright);
    let centre = centre_of(c);
    let mut count = 0;
    for (is_border, (a, b)) in border.into_iter().zip(side_ends(c)) {
        if is_border {
            continue;
        }
        let normal = inward_normal(a, b, centre);
        let (mut outside, mut steps) = ([0u8; BORDER_STRIP_SAMPLES], [0f32; BORDER_STRIP_SAMPLES]);
        let (mut seen, mut paired) = (0, 0);
        let mut colour = [0f32; 3];
        for i in 0..BORDER_STRIP_SAMPLES {
            let probe = |inset: f32| {
                let at = strip_point((a, b), normal, inset, i);
                work.nearest_idx(at).and_then(|k| work.rgb.get(k)).copied()
            };
            let (Some(out), inner) = (probe(-PAPER_BEYOND_PROBE_PX), probe(PAPER_BEYOND_PROBE_PX))
            else {
                continue;
            };
            let out_luma = luma_of(out);
            if let Some(slot) = outside.get_mut(seen) {
                *slot = out_luma;
                seen += 1;
            }
            if out_luma as f32 >= bright {
                add_colour(&mut colour, out);
                if let Some(in_luma) = inner.map(luma_of).filter(|&l| l as f32 >= bright)
                    && let Some(slot) = steps.get_mut(paired)
                {
                    *slot = (out_luma as f32 - in_luma as f32) / paper;
                    paired += 1;
                }
            }
        }
        let (Some(outside), Some(steps)) = (
            outside
                .get_mut(..seen)
                .filter(|o| o.len() >= PAPER_BEYOND_MIN_SAMPLES),
            steps
                .get_mut(..paired)
                .filter(|s| s.len() >= PAPER_BEYOND_MIN_SAMPLES),
        ) else {
            continue;
        };
        let level = upper_quartile(outside);
        let half = steps.len() / 2;
        let step = *steps.select_nth_unstable_by(half, f32::total_cmp).1;
        let paper_beyond = (level / paper - 1.0).abs() <= PAPER_BEYOND_LUMA
            && chroma_distance(colour, inside_colour) <= PAPER_BEYOND_CHROMA
            && step.abs() <= PAPER_BEYOND_STEP;
        count += u8::from(paper_beyond);
    }
    count
}

/// The `i`-th of BORDER_STRIP_SAMPLES points along the middle 80% of the side from `a` to `b`,
/// moved `inset` along `normal` (negative: outward).
fn strip_point(
    (a, b): ((f32, f32), (f32, f32)),
    normal: (f32, f32),
    inset: f32,
    i: usize,
) -> (f32, f32) {
    let p = lerp(
        a,
        b,
        0.1 + 0.8 * (i as f32 + 0.5) / BORDER_STRIP_SAMPLES as f32,
    );
    (p.0 + inset * normal.0, p.1 + inset * normal.1)
}

/// Summed colour of the samples at least `bright` in luma, on a grid inside the outline `c`.
fn paper_colour(work: &WorkImage, c: &[(f32, f32); 4], bright: f32) -> [f32; 3] {
    let mut sum = [0f32; 3];
    let span = 1.0 - 2.0 * PAPER_COLOUR_INSET;
    for j in 0..PAPER_COLOUR_GRID {
        let v = PAPER_COLOUR_INSET + span * (j as f32 + 0.5) / PAPER_COLOUR_GRID as f32;
        for i in 0..PAPER_COLOUR_GRID {
            let u = PAPER_COLOUR_INSET + span * (i as f32 + 0.5) / PAPER_COLOUR_GRID as f32;
            let p = lerp(lerp(c[0], c[1], u), lerp(c[3], c[2], u), v);
            if let Some(px) = work.nearest_idx(p).and_then(|at| work.rgb.get(at))
                && luma_of(*px) as f32 >= bright
            {
                add_colour(&mut sum, *px);
            }
        }
    }
    sum
}

fn add_colour(sum: &mut [f32; 3], px: [u8; 3]) {
    for (s, v) in sum.iter_mut().zip(px) {
        *s += v as f32;
    }
}

/// The larger difference in red and green shares of two summed colours (brightness left out).
fn chroma_distance(a: [f32; 3], b: [f32; 3]) -> f32 {
    let share = |m: [f32; 3]| {
        let total = (m[0] + m[1] + m[2]).max(1.0);
        (m[0] / total, m[1] / total)
    };
    let ((ar, ag), (br, bg)) = (share(a), share(b));
    (ar - br).abs().max((ag - bg).abs())
}

/// The least aspect (long over short side) of a document whose outline runs from one frame border
/// to the opposite one (`border`: which sides are frame borders): across the borders it is as long
/// as its two other sides at least, along them as wide as the borders show it. 1 for any other
/// outline.
fn least_spanning_aspect(c: &[(f32, f32); 4], border: [bool; 4]) -> f32 {
    let [l0, l1, l2, l3] = side_ends(c).map(|(p, q)| distance(p, q));
    let aspect = |along: f32, across: f32| along / across.max(1e-3);
    match border {
        [true, false, true, false] => aspect(0.5 * (l1 + l3), l0.max(l2)),
        [false, true, false, true] => aspect(0.5 * (l0 + l2), l1.max(l3)),
        _ => 1.0,
    }
}

/// The end points of a candidate's sides in the order of its lines (collect_candidates' cyclic
/// order): side k runs from corner k - 1 to corner k, a (p3->p0), c (p0->p1), b (p1->p2), d (p2->p3).
fn side_ends(c: &[(f32, f32); 4]) -> [((f32, f32), (f32, f32)); 4] {
    [(c[3], c[0]), (c[0], c[1]), (c[1], c[2]), (c[2], c[3])]
}

/// The mean of an outline's corners.
fn centre_of(c: &[(f32, f32); 4]) -> (f32, f32) {
    (
        c.iter().map(|p| p.0).sum::<f32>() / 4.0,
        c.iter().map(|p| p.1).sum::<f32>() / 4.0,
    )
}

/// The unit normal of the side from `a` to `b`, turned toward `centre`.
fn inward_normal(a: (f32, f32), b: (f32, f32), centre: (f32, f32)) -> (f32, f32) {
    let len = distance(a, b).max(1e-3);
    let normal = (-(b.1 - a.1) / len, (b.0 - a.0) / len);
    let mid = lerp(a, b, 0.5);
    if (centre.0 - mid.0) * normal.0 + (centre.1 - mid.1) * normal.1 < 0.0 {
        (-normal.0, -normal.1)
    } else {
        normal
    }
}

fn distance(a: (f32, f32), b: (f32, f32)) -> f32 {
    ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
}

fn lerp(a: (f32, f32), b: (f32, f32), t: f32) -> (f32, f32) {
    (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t)
}

fn polygon_area(c: &[(f32, f32); 4]) -> f32 {
    let mut s = 0.0;
    for i in 0..4 {
        let (a, b) = (c[i], c[(i + 1) % 4]);
        s += a.0 * b.1 - b.0 * a.1;
    }
    (0.5 * s).abs()
}

fn is_convex(c: &[(f32, f32); 4]) -> bool {
    let mut sign = 0.0f32;
    for i in 0..4 {
        let (a, b, d) = (c[i], c[(i + 1) % 4], c[(i + 2) % 4]);
        let cr = (b.0 - a.0) * (d.1 - b.1) - (b.1 - a.1) * (d.0 - b.0);
        if cr.abs() < 1e-6 {
            return false;
        }
        if sign == 0.0 {
            sign = cr.signum();
        } else if cr.signum() != sign {
            return false;
        }
    }
    true
}

/// A side's line in full-resolution pixels: a point on it and its unit direction.
#[derive(Clone, Copy, Debug)]
struct FullLine {
    p: (f64, f64),
    d: (f64, f64),
}

impl FullLine {
    fn intersect(&self, o: &FullLine) -> Option<(f64, f64)> {
        let det = self.d.0 * o.d.1 - self.d.1 * o.d.0;
        if det.abs() < 1e-9 {
            return None;
        }
        let (dx, dy) = (o.p.0 - self.p.0, o.p.1 - self.p.1);
        let t = (dx * o.d.1 - dy * o.d.0) / det;
        Some((self.p.0 + t * self.d.0, self.p.1 + t * self.d.1))
    }
}

/// A booklet's cover shows at most this share of the page's shorter side beyond the page (a few
/// millimetres on a page 88 mm high), and at least this many pixels are searched.
const COVER_RIM_FRAC: f64 = 0.07;
const COVER_RIM_MIN_PX: f64 = 3.0;
/// The cover just inside the outline is darker than this share of the page's luma...
const COVER_DARK_RATIO: f64 = 0.6;
/// ...and the page beyond it at least this share.
const COVER_PAGE_RATIO: f64 = 0.85;
/// Samples along each side, and the share of them that must show the cover's band for the side
/// to move onto the page's edge.
const COVER_SAMPLES: usize = 24;
const COVER_SAMPLES_SHOWING: f64 = 0.6;

/// The corners of a passport page whose outline closed on its booklet cover's outer edge: along a
/// side (not a frame border), a dark band starts right inside the outline and gives way to the
/// page a few pixels further in. Such sides move onto the page's edge (the steepest rise from the
/// band to the page); None when no side shows the band. `corners` and `border` as [`refine`]'s:
/// side k runs from corner k-1 to corner k.
fn page_inside_cover(frame: &RgbImage, corners: Corners, border: [bool; 4]) -> Option<Corners> {
    let corners32 = corners.map(|p| (p.0 as f32, p.1 as f32));
    let centre = centre_of(&corners32);
    let length = |k: usize| {
        let (a, b) = (corners[(k + 3) % 4], corners[k]);
        (b.0 - a.0).hypot(b.1 - a.1)
    };
    let shorter = (0..4).map(length).fold(f64::MAX, f64::min);
    let reach = (COVER_RIM_FRAC * shorter).max(COVER_RIM_MIN_PX);
    let (w, h) = (frame.width() as f64, frame.height() as f64);
    let luma_at = |p: (f64, f64)| {
        (p.0 >= 0.0 && p.1 >= 0.0 && p.0 <= w - 2.0 && p.1 <= h - 2.0).then(|| {
            let c = bilinear(frame, p.0, p.1);
            c.iter()
                .zip(LUMA_WEIGHTS)
                .map(|(v, weight)| v * f64::from(weight))
                .sum::<f64>()
        })
    };
    let mut sides = [FullLine {
        p: (0.0, 0.0),
        d: (1.0, 0.0),
    }; 4];
    let mut moved = false;
    for k in 0..4 {
        let a = corners[(k + 3) % 4];
        let (a32, b32) = (corners32[(k + 3) % 4], corners32[k]);
        let side = line_through(a32, b32);
        sides[k] = side;
        if border[k] {
            continue;
        }
        let inward = inward_normal(a32, b32, centre);
        let inward = (f64::from(inward.0), f64::from(inward.1));
        let len = length(k);
        let mut pts = StackList::<(f64, f64), COVER_SAMPLES>::default();
        let mut offsets = StackList::<f64, COVER_SAMPLES>::default();
        for i in 0..COVER_SAMPLES {
            let t = 0.15 + 0.7 * (i as f64 + 0.5) / COVER_SAMPLES as f64;
            let base = (a.0 + t * len * side.d.0, a.1 + t * len * side.d.1);
            let at = |o: f64| luma_at((base.0 + o * inward.0, base.1 + o * inward.1));
            // The page's level, sampled beyond the cover's reach.
            let Some(page) = at(2.0 * reach + 2.0) else {
                continue;
            };
            // The band right inside the outline, then the steepest rise to the page.
            let Some(band) = at(1.5) else {
                continue;
            };
            if band >= COVER_DARK_RATIO * page {
                continue;
            }
            let mut steepest: Option<(f64, f64)> = None;
            let mut o = 1.5;
            while o <= reach + 1.0 {
                let (Some(l0), Some(l1)) = (at(o), at(o + 1.0)) else {
                    break;
                };
                if steepest.is_none_or(|(rise, _)| l1 - l0 > rise) {
                    steepest = Some((l1 - l0, o + 0.5));
                }
                o += 0.5;
            }
            let Some((_, edge)) = steepest else {
                continue;
            };
            if at(edge + 1.5).is_some_and(|l| l >= COVER_PAGE_RATIO * page) {
                pts.push((base.0 + edge * inward.0, base.1 + edge * inward.1));
                offsets.push(edge);
            }
        }
        if (pts.as_slice().len() as f64) < COVER_SAMPLES_SHOWING * COVER_SAMPLES as f64 {
            continue;
        }
        // The fit starts from the side moved in by the median offset: its weights reach only a
        // few pixels from where it starts.
        let offsets = offsets.as_mut_slice();
        offsets.sort_unstable_by(f64::total_cmp);
        let Some(&median) = offsets.get(offsets.len() / 2) else {
            continue;
        };
        let start = FullLine {
            p: (side.p.0 + median * inward.0, side.p.1 + median * inward.1),
            d: side.d,
        };
        if let Some(fitted) = robust_line_fit(pts.as_slice(), start) {
            sides[k] = fitted;
            moved = true;
        }
    }
    if !moved {
        return None;
    }
    let mut out = corners;
    for k in 0..4 {
        out[k] = sides[k].intersect(&sides[(k + 1) % 4])?;
    }
    Some(out)
}

/// An outline's four corners on the full-resolution frame.
type Corners = [(f64, f64); 4];

/// Samples along each side whose edge is searched on the full-resolution frame.
const REFINE_SAMPLES: usize = 48;
/// Refinement ignores this fraction of each side at both ends (rounded corners, fingers).
const REFINE_END_SKIP: f32 = 0.07;

/// Refines the four side lines on the full-resolution frame; returns the corner positions.
fn refine(frame: &RgbImage, work: &WorkImage, lines: &[Line], cand: &Candidate) -> Corners {
    let s = work.scale as f32;
    let full: [(f32, f32); 4] = cand.corners.map(|p| work.to_full(p.0, p.1));
    // Side k runs from corner k-1 to corner k (see collect_candidates).
    let mut side_lines = [FullLine {
        p: (0.0, 0.0),
        d: (1.0, 0.0),
    }; 4];
    for k in 0..4 {
        let a = full[(k + 3) % 4];
        let b = full[k];
        let coarse = line_through(a, b);
        side_lines[k] = if lines[cand.lines[k]].border {
            coarse
        } else {
            fit_side(frame, a, b, coarse, (1.5 * s + 2.0) as f64).unwrap_or(coarse)
        };
    }
    let mut out = full.map(|p| (p.0 as f64, p.1 as f64));
    for k in 0..4 {
        // Corner k is where side k meets side k+1.
        if let Some(p) = side_lines[k].intersect(&side_lines[(k + 1) % 4]) {
            let (cx, cy) = (full[k].0 as f64, full[k].1 as f64);
            if (p.0 - cx).hypot(p.1 - cy) <= 4.0 * s as f64 + 4.0 {
                out[k] = p;
            }
        }
    }
    out
}

fn line_through(a: (f32, f32), b: (f32, f32)) -> FullLine {
    let (dx, dy) = ((b.0 - a.0) as f64, (b.1 - a.1) as f64);
    let n = dx.hypot(dy).max(1e-9);
    FullLine {
        p: (a.0 as f64, a.1 as f64),
        d: (dx / n, dy / n),
    }
}

/// Finds the strongest colour edge along the normal at samples of the side and fits a line to
/// them, down-weighting outliers (fingers, glare, printed lines near the edge).
fn fit_side(
    frame: &RgbImage,
    a: (f32, f32),
    b: (f32, f32),
    coarse: FullLine,
    radius: f64,
) -> Option<FullLine> {
    let (w, h) = (frame.width() as f64, frame.height() as f64);
    let n = (-coarse.d.1, coarse.d.0);
    let len = ((b.0 - a.0) as f64).hypot((b.1 - a.1) as f64);
    let mut pts = StackList::<(f64, f64), REFINE_SAMPLES>::default();
    let steps = (2.0 * radius).ceil() as i32;
    for i in 0..REFINE_SAMPLES {
        let t = REFINE_END_SKIP as f64
            + (1.0 - 2.0 * REFINE_END_SKIP as f64) * (i as f64 + 0.5) / REFINE_SAMPLES as f64;
        let base = (
            a.0 as f64 + t * len * coarse.d.0,
            a.1 as f64 + t * len * coarse.d.1,
        );
        let mut best = (0.0f64, 0i32);
        let mut mags = [0.0f64; 64];
        for k in 0..=steps.min(63) {
            let o = -radius + k as f64;
            let p0 = (base.0 + (o - 0.5) * n.0, base.1 + (o - 0.5) * n.1);
            let p1 = (base.0 + (o + 0.5) * n.0, base.1 + (o + 0.5) * n.1);
            if p0.0 < 1.0
                || p0.1 < 1.0
                || p1.0 < 1.0
                || p1.1 < 1.0
                || p0.0 > w - 2.0
                || p1.0 > w - 2.0
                || p0.1 > h - 2.0
                || p1.1 > h - 2.0
            {
                continue;
            }
            let c0 = bilinear(frame, p0.0, p0.1);
            let c1 = bilinear(frame, p1.0, p1.1);
            let m = ((c1[0] - c0[0]).powi(2) + (c1[1] - c0[1]).powi(2) + (c1[2] - c0[2]).powi(2))
                .sqrt();
            if let Some(slot) = mags.get_mut(k as usize) {
                *slot = m;
            }
            if m > best.0 {
                best = (m, k);
            }
        }
        let k = best.1;
        if best.0 < 6.0 || k == 0 || k >= steps.min(63) {
            continue;
        }
        // Parabolic peak interpolation.
        let (Some(&m0), Some(&m1), Some(&m2)) = (
            mags.get((k - 1) as usize),
            mags.get(k as usize),
            mags.get((k + 1) as usize),
        ) else {
            continue;
        };
        let den = m0 - 2.0 * m1 + m2;
        let sub = if den.abs() > 1e-9 {
            (0.5 * (m0 - m2) / den).clamp(-0.5, 0.5)
        } else {
            0.0
        };
        let o = -radius + k as f64 + sub;
        pts.push((base.0 + o * n.0, base.1 + o * n.1));
    }
    robust_line_fit(pts.as_slice(), coarse)
}

/// Weighted total-least-squares line with Tukey reweighting, starting from `init`.
fn robust_line_fit(pts: &[(f64, f64)], init: FullLine) -> Option<FullLine> {
    const TUKEY_C: f64 = 2.0;
    if pts.len() < 8 {
        return None;
    }
    let mut line = init;
    for _ in 0..4 {
        let n = (-line.d.1, line.d.0);
        let mut sw = 0.0;
        let (mut mx, mut my) = (0.0, 0.0);
        // Tukey's biweight of each point's distance from the current line (computed in both
        // passes below rather than stored: no allocation on the frame path).
        let weight = |p: &(f64, f64)| {
            let r = (p.0 - line.p.0) * n.0 + (p.1 - line.p.1) * n.1;
            let u = r / TUKEY_C;
            if u.abs() >= 1.0 {
                0.0
            } else {
                (1.0 - u * u).powi(2)
            }
        };
        for p in pts {
            let wt = weight(p);
            sw += wt;
            mx += wt * p.0;
            my += wt * p.1;
        }
        if sw < 4.0 {
            return None;
        }
        mx /= sw;
        my /= sw;
        let (mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0);
        for p in pts {
            let wt = weight(p);
            let (dx, dy) = (p.0 - mx, p.1 - my);
            sxx += wt * dx * dx;
            sxy += wt * dx * dy;
            syy += wt * dy * dy;
        }
        // Principal direction of the weighted scatter.
        let theta = 0.5 * (2.0 * sxy).atan2(sxx - syy);
        let mut d = (theta.cos(), theta.sin());
        if d.0 * line.d.0 + d.1 * line.d.1 < 0.0 {
            d = (-d.0, -d.1);
        }
        line = FullLine { p: (mx, my), d };
    }
    Some(line)
}

/// Bilinear RGB sample at a full-resolution position (caller keeps it inside the frame).
pub fn bilinear(frame: &RgbImage, x: f64, y: f64) -> [f64; 3] {
    let (w, h) = (frame.width() as i64, frame.height() as i64);
    let x0 = (x.floor() as i64).clamp(0, w - 1);
    let y0 = (y.floor() as i64).clamp(0, h - 1);
    let x1 = (x0 + 1).min(w - 1);
    let y1 = (y0 + 1).min(h - 1);
    let fx = (x - x0 as f64).clamp(0.0, 1.0);
    let fy = (y - y0 as f64).clamp(0.0, 1.0);
    let raw = frame.as_raw();
    let at = |xx: i64, yy: i64, c: usize| -> f64 {
        raw.get(((yy * w + xx) * 3) as usize + c)
            .copied()
            .unwrap_or(0) as f64
    };
    let mut out = [0.0; 3];
    for (c, o) in out.iter_mut().enumerate() {
        let top = at(x0, y0, c) * (1.0 - fx) + at(x1, y0, c) * fx;
        let bot = at(x0, y1, c) * (1.0 - fx) + at(x1, y1, c) * fx;
        *o = top * (1.0 - fy) + bot * fy;
    }
    out
}

/// Orders corners TL, TR, BR, BL, decides the kind and notes which sides are frame borders.
fn finish(
    frame: &RgbImage,
    lines: &[Line],
    cand: &Candidate,
    // The outline's corners, and those of the outline focus reads ([`Located::edge_quad`]).
    (corners, edge_corners): (Corners, Corners),
    kind: KindChoice,
    detail: f32,
    paper_beyond_sides: u8,
) -> Option<Located> {
    let (fw, fh) = (frame.width(), frame.height());
    // Clockwise on screen (y down).
    let mut idx = [0usize, 1, 2, 3];
    let cross = {
        let (a, b, c) = (corners[0], corners[1], corners[2]);
        (b.0 - a.0) * (c.1 - b.1) - (b.1 - a.1) * (c.0 - b.0)
    };
    if cross < 0.0 {
        idx = [0, 3, 2, 1];
    }
    let ordered = |start: usize| -> [usize; 4] { [0, 1, 2, 3].map(|k| idx[(start + k) % 4]) };
    let quad_on =
        |c: Corners, o: [usize; 4]| Quad(o.map(|i| Point::new(c[i].0 as f32, c[i].1 as f32)));
    let quad_of = |o: [usize; 4]| quad_on(corners, o);
    // Pick the start so that side 0->1 is the upper of the two long (rectified) sides.
    let mut best: Option<([usize; 4], pose::Pose, f32)> = None;
    for start in 0..4 {
        let o = ordered(start);
        let q = quad_of(o);
        let Some(p) = pose::estimate(&q, fw, fh) else {
            continue;
        };
        if p.aspect < 1.0 {
            continue;
        }
        let top_mid_y = (q.0[0].y + q.0[1].y) / 2.0;
        let bottom_mid_y = (q.0[2].y + q.0[3].y) / 2.0;
        let upness = bottom_mid_y - top_mid_y;
        if best.is_none_or(|b| upness > b.2) {
            best = Some((o, p, upness));
        }
    }
    let (order, pose, _) = best?;
    let quad = quad_of(order);
    let doc_kind = match kind {
        KindChoice::IdCard => DocKind::Id1,
        KindChoice::Passport => DocKind::Td3,
        KindChoice::Auto => {
            let boundary = (DocKind::Id1.aspect() * DocKind::Td3.aspect()).sqrt();
            if pose.aspect as f32 >= boundary {
                DocKind::Id1
            } else {
                DocKind::Td3
            }
        }
    };
    // Side k of the candidate ran from candidate corner k-1 to k; map to the ordered sides.
    let mut border_sides = [false; 4];
    for (pos, &ci) in order.iter().enumerate() {
        // Ordered side `pos` runs from ordered corner pos to pos+1.
        let next = order[(pos + 1) % 4];
        // Candidate side that joins candidate corners ci and next.
        let side = if (ci + 1) % 4 == next {
            (ci + 1) % 4
        } else {
            ci
        };
        border_sides[pos] = lines[cand.lines[side]].border;
    }
    Some(Located {
        quad,
        edge_quad: quad_on(edge_corners, order),
        kind: doc_kind,
        confidence: cand.confidence.min(1.0),
        score: cand.score,
        pose,
        border_sides,
        detail,
        paper_beyond_sides,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A near-best candidate of `area` and `score` on lines 0..4 (or 4..8), with no doubts.
    fn candidate(first_line: usize, area: f32, score: f32) -> Candidate {
        Candidate {
            lines: [0, 1, 2, 3].map(|k| first_line + k),
            corners: [(0.0, 0.0); 4],
            score,
            confidence: score,
            area,
            run_on_sides: 0,
            rim_sides: 0,
            unlikely_borders: 0,
            paper: 0.0,
        }
    }

    /// A pale card (paper luma ~196) on a desk 8% darker, with a thin rule printed down it at
    /// x = 300. The card's own outline has the desk beyond every side; the box the rule closes
    /// with the card's other sides has the card's paper beyond the rule.
    #[test]
    fn paper_beyond_a_side_marks_a_printed_rule_not_the_card_edge() {
        let (paper, desk) = ([200u8, 195, 190], [184u8, 179, 175]);
        let frame = RgbImage::from_fn(640, 360, |x, y| {
            // A faint deterministic speckle, as sensor noise.
            let speckle = ((x * 7 + y * 13) % 5) as u8;
            let on_card = (160..600).contains(&x) && (40..320).contains(&y);
            let base = match (on_card, x == 300) {
                (true, true) => [60, 60, 70],
                (true, false) => paper,
                (false, _) => desk,
            };
            image::Rgb(base.map(|v| v.saturating_sub(speckle)))
        });
        let mut work = WorkImage::default();
        work.rebuild(&frame, 640);
        let level = 194.0;
        let no_border = [false; 4];
        let card = [(160.0, 40.0), (599.0, 40.0), (599.0, 319.0), (160.0, 319.0)];
        assert_eq!(paper_beyond_sides(&work, &card, no_border, level), 0);
        let printed_box = [(301.0, 40.0), (599.0, 40.0), (599.0, 319.0), (301.0, 319.0)];
        assert_eq!(paper_beyond_sides(&work, &printed_box, no_border, level), 1);
        // The same box closed by a frame border on its left is not judged on that side.
        let closed_by_border = [true, false, false, false];
        assert_eq!(
            paper_beyond_sides(&work, &printed_box, closed_by_border, level),
            0
        );
        // Clipped white paper has nothing left to compare.
        assert_eq!(paper_beyond_sides(&work, &printed_box, no_border, 250.0), 0);
    }

    /// A far passport page in its open booklet: the navy cover shows 5 px around the page on a
    /// grey desk (the booklet's top side runs on into the facing page, here a frame border). An
    /// outline on the cover's outer edge moves onto the page's edge on its three cover sides; the
    /// page's own outline, with its paper right inside, stays.
    #[test]
    fn a_passport_page_outlined_on_its_cover_moves_onto_the_page() {
        let (page, cover, desk) = ([215u8, 212, 200], [30u8, 35, 70], [128u8, 128, 125]);
        let frame = RgbImage::from_fn(640, 360, |x, y| {
            let speckle = ((x * 7 + y * 13) % 5) as u8;
            let on_cover = (100..500).contains(&x) && (60..330).contains(&y);
            let on_page = (105..495).contains(&x) && (60..325).contains(&y);
            let base = match (on_cover, on_page) {
                (_, true) => page,
                (true, false) => cover,
                _ => desk,
            };
            image::Rgb(base.map(|v| v.saturating_sub(speckle)))
        });
        // Side k runs from corner k-1 to corner k: the bottom, the left, the top (a border) and
        // the right.
        let outer = [(99.5, 329.5), (99.5, 59.5), (499.5, 59.5), (499.5, 329.5)];
        let border = [false, false, true, false];
        let moved = page_inside_cover(&frame, outer, border).expect("the cover's band is seen");
        let inner = [(104.5, 324.5), (104.5, 59.5), (494.5, 59.5), (494.5, 324.5)];
        for (got, want) in moved.iter().zip(inner) {
            assert!(
                (got.0 - want.0).abs() < 1.0 && (got.1 - want.1).abs() < 1.0,
                "{got:?} vs {want:?}"
            );
        }
        // The page's own outline has its paper right inside: nothing to move.
        assert!(page_inside_cover(&frame, inner, border).is_none());
    }

    #[test]
    fn the_outer_of_two_alike_outlines_wins_unless_the_inner_fits_clearly_better() {
        let no_border = |_: usize| false;
        let outer = candidate(0, 100.0, 0.54);
        // A printed box inside the document, scoring about as well: the document wins.
        let printed_box = candidate(4, 60.0, 0.545);
        assert!(!preferred(&printed_box, &outer, no_border));
        assert!(preferred(&outer, &printed_box, no_border));
        // The document's own outline inside one closed by the background beyond it: it fits
        // clearly better (by 3.7%), and wins whichever was seen first.
        let document = candidate(4, 80.0, 0.56);
        assert!(preferred(&document, &outer, no_border));
        assert!(!preferred(&outer, &document, no_border));
        // An outer outline closed by a frame border (a cut-off document) is kept.
        let outer_side_is_border = |k: usize| k == 0;
        assert!(!preferred(&document, &outer, outer_side_is_border));
        // Fewer doubtful sides come first, whatever the sizes and scores.
        let doubtful = Candidate {
            run_on_sides: 1,
            ..candidate(4, 80.0, 0.6)
        };
        assert!(preferred(&outer, &doubtful, no_border));
    }

    #[test]
    fn a_border_the_document_does_not_run_past_outweighs_a_side_that_runs_on() {
        let no_border = |_: usize| false;
        // A far card whose top side lies along a background stripe, and a bigger outline from
        // that stripe and another to the frame's edge, over the background: scored 1% higher.
        let card = Candidate {
            run_on_sides: 1,
            ..candidate(0, 35.0, 0.746)
        };
        let background = Candidate {
            unlikely_borders: 1,
            ..candidate(4, 79.0, 0.756)
        };
        assert!(preferred(&card, &background, no_border));
        assert!(!preferred(&background, &card, no_border));
    }
}
