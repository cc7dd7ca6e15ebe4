//! Straight-line evidence: an orientation-guided Hough transform over the edge map, and for each
//! line found, a profile of where along it the edges really are.
//!
//! A document's sides are long straight edges with one polarity (card brighter or darker than what
//! is behind it) even where a finger, glare or a low-contrast desk breaks them into pieces, so the
//! evidence is collected per line rather than per closed contour.

use super::work::{WorkImage, magnitude_of};

/// Hough angle resolution: 1 degree.
pub const ANGLE_BINS: usize = 180;
/// Each edge pixel votes for lines within this many degrees of its gradient direction.
const VOTE_SPREAD_BINS: i32 = 3;
/// A pixel supports a line when its gradient is within this angle of the line's normal.
const SUPPORT_ANGLE_DEG: f32 = 14.0;
/// Votes of one angle row are cast as this many interleaved streams of its pixels.
const VOTE_STREAMS: usize = 4;
/// Orientation bins are stored as bytes.
const _: () = assert!(ANGLE_BINS <= u8::MAX as usize + 1);
/// Peaks closer than this (degrees, pixels) to a stronger one are the same line.
const PEAK_NMS_ANGLE: i32 = 4;
const PEAK_NMS_RHO: i32 = 6;
/// A cell whose nearest stronger neighbour (within the NMS window) is further than this (pixels
/// at the image centre) is a line of its own in that neighbour's shadow, not its shoulder.
const SHADOW_APART_PX: f32 = 2.5;
/// Shadowed cells walked at most, after the peaks, where a line crossing the frame casts the
/// shadow (a slat of blinds, a stripe just outside the card).
const SHADOWED_WALKS: usize = 24;
/// Accumulator cells scanned for peaks as one block: a block whose largest count is under the
/// vote threshold is passed over whole.
const PEAK_SCAN_BLOCK: usize = 16;
/// Lines are capped per orientation bucket of this many degrees.
const ORIENTATION_BUCKET_DEG: usize = 10;
const BUCKETS: usize = ANGLE_BINS / ORIENTATION_BUCKET_DEG;
/// Lines kept per orientation bucket. Wood grain gives a dozen long lines in one bucket, each
/// longer than a far card's side in it, which then came eleventh at 10 (far cards on wood: 77%
/// outlined at 10, 81% at 14; from 16 a dev frame's card at the confidence bar, f0070, is lost).
const MAX_PER_ORIENTATION: usize = 14;
/// Hough peaks examined before ranking by unbroken run.
const HOUGH_PEAKS: usize = 200;
const HOUGH_PEAKS_PER_ORIENTATION: usize = 24;
/// Of those, lines crossing the whole frame are kept apart and capped lower: a striped background
/// has dozens, all with more votes than a document side of the same orientation, and would
/// otherwise take every place before the side is looked at.
const THROUGH_PEAKS_PER_ORIENTATION: usize = 6;
/// Peaks profiled per orientation bucket at most (each profile walks the line; 64 cost 30% more
/// time on textured scenes and found nothing more on the dev frames).
const PEAKS_EXAMINED_PER_ORIENTATION: usize = 24;
/// Peaks walked in all, through lines past their share included: bounds the time a frame full of
/// parallel background lines can take.
const MAX_WALKS: usize = 240;
/// Gaps up to this many pixels do not break a run (noise, a printed mark at the edge).
const RUN_MAX_GAP: u32 = 4;
/// A line's longest run must reach this fraction of the vote threshold.
const MIN_RUN_FRAC: f32 = 0.6;
/// A document's edge against a background of alternating light and dark (stripes, tiles, sky and
/// grass) flips polarity wherever the background crosses the document's own shade: an unbroken run
/// of either polarity counts for this share of its length.
const MIXED_RUN_WEIGHT: f32 = 0.7;
/// A run this long relative to the line's chord across the frame, in from one of the frame's
/// edges (within THROUGH_END_SLACK_PX working pixels: the outermost pixel has no gradient and the
/// probe may miss one more), crosses the whole frame.
const THROUGH_RUN_FRAC: f32 = 0.85;
const THROUGH_END_SLACK_PX: u32 = 4;

/// An infinite line `x cos(theta) + y sin(theta) = rho` in working pixels, with the support profile
/// along its visible part.
#[derive(Clone, Debug)]
pub struct Line {
    pub theta: f32,
    pub rho: f32,
    /// Normal (cos, sin) and direction (-sin, cos).
    pub normal: (f32, f32),
    pub dir: (f32, f32),
    /// Parameter range of the part inside the working image (points are rho*normal + t*dir).
    pub t_min: f32,
    pub t_max: f32,
    /// Prefix sums of supporting edge pixels along t (1 px steps from t_min), by gradient polarity
    /// relative to `normal`.
    pub pos: Vec<u32>,
    pub neg: Vec<u32>,
    /// A frame border: the document runs off the frame here, there is no edge to see.
    pub border: bool,
    pub votes: u32,
    /// Longest run of support, in pixels, with gaps of up to RUN_MAX_GAP: of one polarity, or of
    /// either at MIXED_RUN_WEIGHT.
    pub run: u32,
    /// A run over THROUGH_RUN_FRAC of the chord comes in from an edge of the frame: the line
    /// crosses the frame like background structure.
    pub through: bool,
    /// For a side seen where stripes stop ([`super::occlusion`]): +1 when the stripes lie on the
    /// side of its normal, -1 on the other; 0 for an edge. The document is on the other side.
    pub stripes_beyond: f32,
    /// The line's place in the list being ranked: the last key of each ranking, so an unstable
    /// sort (which needs no scratch buffer) keeps ties in their order, as a stable sort would.
    pub order: u32,
}

impl Line {
    /// True when a long run comes in from the frame's edge and crosses (nearly) the whole frame.
    pub fn is_through(&self) -> bool {
        self.through
    }

    #[inline]
    pub fn point_at(&self, t: f32) -> (f32, f32) {
        (
            self.rho * self.normal.0 + t * self.dir.0,
            self.rho * self.normal.1 + t * self.dir.1,
        )
    }

    #[inline]
    pub fn param_of(&self, p: (f32, f32)) -> f32 {
        p.0 * self.dir.0 + p.1 * self.dir.1
    }

    /// Supporting pixels with each polarity between parameters `a` and `b` (clipped to the image).
    #[inline]
    pub fn support(&self, a: f32, b: f32) -> (u32, u32, f32) {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let lo = lo.max(self.t_min);
        let hi = hi.min(self.t_max);
        if hi <= lo || self.pos.is_empty() {
            return (0, 0, 0.0);
        }
        let n = self.pos.len() - 1;
        let i0 = index_of(lo - self.t_min).min(n);
        let i1 = index_of(hi - self.t_min).min(n);
        let p = self.pos.get(i1).copied().unwrap_or(0) - self.pos.get(i0).copied().unwrap_or(0);
        let q = self.neg.get(i1).copied().unwrap_or(0) - self.neg.get(i0).copied().unwrap_or(0);
        (p, q, hi - lo)
    }

    /// Intersection with another line, if they are not parallel.
    #[inline]
    pub fn intersect(&self, other: &Line) -> Option<(f32, f32)> {
        let (a1, b1, c1) = (self.normal.0, self.normal.1, self.rho);
        let (a2, b2, c2) = (other.normal.0, other.normal.1, other.rho);
        let det = a1 * b2 - a2 * b1;
        if det.abs() < 1e-4 {
            return None;
        }
        Some(((c1 * b2 - c2 * b1) / det, (a1 * c2 - a2 * c1) / det))
    }
}

/// Hough accumulator and line finder; owns its buffers.
#[derive(Debug, Default)]
pub struct LineFinder {
    /// Votes per (angle, rho) cell: u16 holds them (a cell gets at most a few votes per pixel of
    /// the working image's diagonal) and halves the memory cleared and touched each frame.
    acc: Vec<u16>,
    /// The votes of three neighbouring rho cells summed: peaks are found and ranked on these,
    /// and placed by the raw votes under them.
    smoothed: Vec<u16>,
    trig: Vec<(f32, f32)>,
    /// The non-maximum window's offsets, nearest first ([`nms_window`]).
    nms_window: Vec<(i32, i32)>,
    /// Edge pixels (x, y) and their gradients, their orientation bins, and the pixels' x and y
    /// sorted by bin.
    points: Vec<(f32, f32)>,
    grad_x: Vec<f32>,
    grad_y: Vec<f32>,
    bins: Vec<u8>,
    sorted_x: Vec<f32>,
    sorted_y: Vec<f32>,
    /// The accumulator cells (rho bins, before [`index_of`]'s clamp at 0) of the pixels voting in
    /// one angle row.
    vote_cells: Vec<i32>,
    peaks: Vec<(u32, usize, usize)>,
    /// Cells (votes, angle bin, rho bin) suppressed only by a stronger line a few pixels away.
    shadowed: Vec<(u32, usize, usize)>,
    /// Walked peaks that cross the whole frame: (angle bin, signed distance of the image centre).
    through_peaks: Vec<(usize, f32)>,
    ranked: Vec<Line>,
    passed_over: Vec<Line>,
    /// Support profiles of lines no longer needed, reused for the next lines: a frame walks a few
    /// hundred lines and allocating their profiles afresh cost more than the walks' bookkeeping.
    spare: Vec<Vec<u32>>,
}

impl LineFinder {
    /// Finds up to `max_lines` lines that end, and lines that cross the whole frame in the places
    /// left plus `max_through`, each with at least `min_votes` votes, longest run first; then up
    /// to `max_reserve` ending lines the caps passed over, most votes first, one per orientation;
    /// then the four frame borders.
    ///
    /// The reserve is for a document's side broken into short pieces (fingers across it, a pale
    /// page on a pale desk) on a background of many parallel lines (wood grain): every piece is
    /// shorter than the grain's runs, so the side loses its orientation's places, yet its votes,
    /// a whole side's worth, are the most of the lines left out.
    pub fn find(
        &mut self,
        work: &WorkImage,
        min_votes: u32,
        max_lines: usize,
        max_through: usize,
        mut max_reserve: usize,
        out: &mut Vec<Line>,
    ) {
        for line in out.drain(..) {
            self.spare.extend([line.pos, line.neg]);
        }
        let (w, h) = (work.width, work.height);
        let diag = ((w * w + h * h) as f32).sqrt().ceil() as usize + 1;
        let rho_bins = 2 * diag + 1;
        if self.nms_window.is_empty() {
            self.nms_window = nms_window();
        }
        if self.trig.len() != ANGLE_BINS {
            self.trig = normals_per_degree();
        }
        self.acc.clear();
        self.acc.resize(ANGLE_BINS * rho_bins, 0);
        let rho_offset = diag as f32 + 0.5;
        let centre = ((w as f32 - 1.0) / 2.0, (h as f32 - 1.0) / 2.0);
        self.vote(work, rho_bins, rho_offset);
        // A line between two angle bins drifts across rho bins along its length: sum neighbouring
        // rho bins so a long, slightly off-bin side keeps its votes together.
        // Every cell is written below, so the buffer is not cleared first (a megabyte a frame).
        self.smoothed.resize(self.acc.len(), 0);
        for (votes, out) in self
            .acc
            .chunks_exact(rho_bins)
            .zip(self.smoothed.chunks_exact_mut(rho_bins))
        {
            let Some((first, rest)) = out.split_first_mut() else {
                continue;
            };
            *first = 0;
            let Some((last, inner)) = rest.split_last_mut() else {
                continue;
            };
            *last = 0;
            // Three shifted slices rather than indices: no bounds checks, so the sum vectorises.
            let len = inner.len();
            let (left, mid, right) = (&votes[..len], &votes[1..len + 1], &votes[2..len + 2]);
            for (((o, &a), &b), &c) in inner.iter_mut().zip(left).zip(mid).zip(right) {
                *o = (a as u32 + b as u32 + c as u32).min(u16::MAX as u32) as u16;
            }
        }
        // Local maxima (angle wraps: bin 179 neighbours bin 0 with rho negated).
        // Most cells hold few votes: blocks of cells all below the threshold are passed over
        // whole (their maximum vectorises), in the same order, so the peaks come out as before.
        let mut peaks = std::mem::take(&mut self.peaks);
        let mut shadowed = std::mem::take(&mut self.shadowed);
        peaks.clear();
        shadowed.clear();
        for (b, row) in self.smoothed.chunks_exact(rho_bins).enumerate() {
            for (block, cells) in row.chunks(PEAK_SCAN_BLOCK).enumerate() {
                if (cells.iter().fold(0, |m, &v| m.max(v)) as u32) < min_votes {
                    continue;
                }
                for (k, &v) in cells.iter().enumerate() {
                    let (r, v) = (block * PEAK_SCAN_BLOCK + k, v as u32);
                    if v < min_votes {
                        continue;
                    }
                    match self.nearest_stronger((b, r, v), rho_bins, diag, centre) {
                        None => peaks.push((v, b, r)),
                        Some(apart) if apart > SHADOW_APART_PX => shadowed.push((v, b, r)),
                        Some(_) => {}
                    }
                }
            }
        }
        self.peaks = peaks;
        self.shadowed = shadowed;
        self.peaks.sort_unstable_by_key(|p| std::cmp::Reverse(p.0));
        self.shadowed
            .sort_unstable_by_key(|p| std::cmp::Reverse(p.0));
        self.through_peaks.clear();
        // Rank the strongest peaks by their longest unbroken run of same-polarity edge: a
        // document side is one long straight edge, texture (wood grain, stripes, guilloche) is many
        // short or broken ones.
        self.ranked.clear();
        // Per orientation bucket: peaks examined, ending lines and lines across the frame walked.
        let (mut examined, mut ending, mut through_walked) =
            ([0usize; BUCKETS], [0; BUCKETS], [0; BUCKETS]);
        let mut walked = 0;
        for &(votes, b, r) in &self.peaks {
            if self.ranked.len() >= HOUGH_PEAKS {
                break;
            }
            let bucket = b / ORIENTATION_BUCKET_DEG;
            let (Some(seen), Some(&kept), Some(&crossing)) = (
                examined.get_mut(bucket),
                ending.get(bucket),
                through_walked.get(bucket),
            ) else {
                continue;
            };
            if *seen >= PEAKS_EXAMINED_PER_ORIENTATION
                || (kept >= HOUGH_PEAKS_PER_ORIENTATION
                    && crossing >= THROUGH_PEAKS_PER_ORIENTATION)
            {
                continue;
            }
            if walked >= MAX_WALKS {
                break;
            }
            walked += 1;
            let theta = (b as f32).to_radians();
            let rho = r as f32 - diag as f32;
            let profile = (self.spare.pop(), self.spare.pop());
            let line = walk_line(work, (theta, rho), votes, false, profile);
            let through_line = line.is_through();
            let (count, cap) = if through_line {
                (&mut through_walked[bucket], THROUGH_PEAKS_PER_ORIENTATION)
            } else {
                (&mut ending[bucket], HOUGH_PEAKS_PER_ORIENTATION)
            };
            if through_line {
                let at_centre = self.centre_distance(b, r, rho_bins, diag, centre);
                self.through_peaks.push((b, at_centre));
            }
            // A through line past its orientation's share (the next slat of blinds, the next
            // stripe: they outvote a document's side) is dropped without using up the budget
            // that the side, further down the vote order, needs.
            if *count < cap {
                *count += 1;
                *seen += 1;
                self.ranked.push(line);
            } else {
                *seen += usize::from(!through_line);
                self.spare.extend([line.pos, line.neg]);
            }
        }
        // A document's side a few pixels from a line that crosses the frame (the next slat of
        // blinds, a stripe just outside the card) is no peak of its own: the crossing line's
        // votes cover it. Those shadowed cells get a walk of their own; only a side that ends
        // (at the document's corners) is kept.
        let mut shadow_walks = 0;
        for &(votes, b, r) in &self.shadowed {
            if shadow_walks >= SHADOWED_WALKS {
                break;
            }
            let here = self.centre_distance(b, r, rho_bins, diag, centre);
            let in_shadow = self
                .through_peaks
                .iter()
                .any(|&(bin, there)| shadows((b, here), (bin, there)));
            if !in_shadow {
                continue;
            }
            shadow_walks += 1;
            let theta = (b as f32).to_radians();
            let profile = (self.spare.pop(), self.spare.pop());
            let line = walk_line(work, (theta, r as f32 - diag as f32), votes, false, profile);
            if line.is_through() {
                self.spare.extend([line.pos, line.neg]);
            } else {
                self.ranked.push(line);
            }
        }
        // Lines unbroken from frame edge to frame edge are mostly background structure (stripes,
        // table and wall edges): a document side ends at the document's corners unless the
        // document runs off the frame, so those rank after every line that ends in their
        // orientation. They have places of their own: the side of a passport's data page runs on
        // along the facing page and can cross the whole frame, and a textured background's
        // ending lines (grass) would otherwise fill every place first.
        number_in_order(&mut self.ranked);
        self.ranked
            .sort_unstable_by_key(|l| (l.is_through(), std::cmp::Reverse(l.run), l.order));
        // Cap each orientation so one texture cannot crowd out the document's other sides.
        let mut per_orientation = [0usize; BUCKETS];
        let mut ending_kept = 0;
        self.passed_over.clear();
        let mut full = false;
        for line in self.ranked.drain(..) {
            // Ending lines sort first: through lines take the places they left, and their own.
            full |= out.len() >= max_lines + max_through;
            let through = line.is_through();
            // Except for a lone line across the frame in its orientation (the only one walked
            // there): the side of a passport's data page running on along its booklet keeps its
            // place where grass or grain has filled the orientation with ending lines. A family of
            // them (blinds, stripes) is background.
            let lone = through && through_walked.get(bucket_of(line.theta)) == Some(&1);
            let bucket = per_orientation.get_mut(bucket_of(line.theta));
            match bucket {
                Some(_) if full || (line.run as f32) < MIN_RUN_FRAC * min_votes as f32 => {}
                Some(bucket)
                    if !through && (ending_kept >= max_lines || *bucket >= MAX_PER_ORIENTATION) =>
                {
                    self.passed_over.push(line);
                    continue;
                }
                Some(bucket) if *bucket < MAX_PER_ORIENTATION || lone => {
                    *bucket += 1;
                    ending_kept += usize::from(!through);
                    out.push(line);
                    continue;
                }
                _ => {}
            }
            self.spare.extend([line.pos, line.neg]);
        }
        number_in_order(&mut self.passed_over);
        self.passed_over
            .sort_unstable_by_key(|l| (std::cmp::Reverse(l.votes), l.order));
        let mut reserved = [false; BUCKETS];
        for line in self.passed_over.drain(..) {
            if max_reserve > 0
                && let Some(taken) = reserved.get_mut(bucket_of(line.theta))
                && !*taken
            {
                *taken = true;
                out.push(line);
                max_reserve -= 1;
            } else {
                self.spare.extend([line.pos, line.neg]);
            }
        }
        let (wf, hf) = ((w - 1) as f32, (h - 1) as f32);
        for (theta, rho) in [(0.0f32, 0.0f32), (0.0, wf), (90.0, 0.0), (90.0, hf)] {
            let profile = (self.spare.pop(), self.spare.pop());
            out.push(walk_line(work, (theta.to_radians(), rho), 0, true, profile));
        }
    }

    /// Walks the line at `(theta, rho)` (radians, working pixels) in a profile from this finder's
    /// spare buffers: a line found by other means, given back with the next [`LineFinder::find`]'s `out`.
    pub fn walk(&mut self, work: &WorkImage, theta: f32, rho: f32, votes: u32) -> Line {
        let profile = (self.spare.pop(), self.spare.pop());
        walk_line(work, (theta, rho), votes, false, profile)
    }

    /// Each edge pixel votes for the lines within VOTE_SPREAD_BINS of its gradient direction.
    /// The pixels are first sorted by that direction so that each angle's row of the accumulator
    /// takes all its votes in one go while it is in cache (votes commute: the counts are the same
    /// in any order), and the directions are computed over the gathered pixels in one loop, which
    /// vectorises.
    fn vote(&mut self, work: &WorkImage, rho_bins: usize, rho_offset: f32) {
        let w = work.width;
        self.grad_x.clear();
        self.grad_y.clear();
        self.points.clear();
        for &(x, y) in &work.edge_points {
            let i = y as usize * w + x as usize;
            let (Some(&gx), Some(&gy)) = (work.gx.get(i), work.gy.get(i)) else {
                continue;
            };
            self.points.push((x as f32, y as f32));
            self.grad_x.push(gx as f32);
            self.grad_y.push(gy as f32);
        }
        // The derivatives in two arrays and the bins as bytes: the arctangents vectorise.
        self.bins.clear();
        self.bins.extend(
            self.grad_x
                .iter()
                .zip(&self.grad_y)
                .map(|(&gx, &gy)| fold_bin(orientation_bin(gx, gy)) as u8),
        );
        // Counting sort by direction: `starts[b]..starts[b + 1]` are the pixels of bin b.
        let mut starts = [0usize; ANGLE_BINS + 1];
        for &b in &self.bins {
            if let Some(count) = starts.get_mut(b as usize) {
                *count += 1;
            }
        }
        let mut total = 0;
        for start in starts.iter_mut() {
            (*start, total) = (total, total + *start);
        }
        let mut next = starts;
        for sorted in [&mut self.sorted_x, &mut self.sorted_y] {
            sorted.clear();
            sorted.resize(self.points.len(), 0.0);
        }
        for (&b, &(x, y)) in self.bins.iter().zip(&self.points) {
            if let Some(slot) = next.get_mut(b as usize)
                && let (Some(sorted_x), Some(sorted_y)) =
                    (self.sorted_x.get_mut(*slot), self.sorted_y.get_mut(*slot))
            {
                (*sorted_x, *sorted_y) = (x, y);
                *slot += 1;
            }
        }
        let rows = self.trig.iter().zip(self.acc.chunks_exact_mut(rho_bins));
        for (b, (&(c, s), row)) in rows.enumerate() {
            // The pixels whose spread reaches bin b: bins b - VOTE_SPREAD_BINS ..= b +
            // VOTE_SPREAD_BINS, one run of the sorted pixels, or two where it wraps past 0 or 180.
            for bins in spread_runs(b) {
                let (Some(&lo), Some(&hi)) = (starts.get(bins.start), starts.get(bins.end)) else {
                    continue;
                };
                let (Some(xs), Some(ys)) = (self.sorted_x.get(lo..hi), self.sorted_y.get(lo..hi))
                else {
                    continue;
                };
                // The cells first, in a loop of their own that vectorises, then the votes.
                self.vote_cells.clear();
                self.vote_cells.resize(xs.len(), 0);
                for (cell, (&x, &y)) in self.vote_cells.iter_mut().zip(xs.iter().zip(ys)) {
                    // rho + diag is never negative: truncation rounds.
                    *cell = truncate_small(x * c + y * s + rho_offset);
                }
                // Neighbouring pixels of a line vote for the same cell one after the other, each
                // vote waiting on the last one's store: four streams of the cells taking turns
                // keep four votes in flight (saturating counts are the same in any order).
                let mut vote = |r: i32| {
                    if let Some(cell) = row.get_mut(r.max(0) as usize) {
                        *cell = cell.saturating_add(1);
                    }
                };
                let stream = self.vote_cells.len() / VOTE_STREAMS;
                let (first, rest) = self.vote_cells.split_at(stream);
                let (second, rest) = rest.split_at(stream);
                let (third, rest) = rest.split_at(stream);
                let (fourth, left) = rest.split_at(stream);
                let streams = first.iter().zip(second).zip(third.iter().zip(fourth));
                for ((&a, &b), (&c, &d)) in streams {
                    vote(a);
                    vote(b);
                    vote(c);
                    vote(d);
                }
                for &r in left {
                    vote(r);
                }
            }
        }
    }

    /// Where in rho the raw votes summed into cell (b, r) lie: the cell's centre moved by their
    /// centroid (`acc` holds the raw votes). Summing three bins widens each line's peak into a three-cell plateau; measured
    /// from plateau ends, two edges 8 px apart (a passport page's edge and its cover's rim)
    /// would count as one line.
    fn raw_rho(&self, b: usize, r: usize, rho_bins: usize) -> f32 {
        let raw = |r: usize| {
            if r >= rho_bins {
                return 0.0;
            }
            self.acc.get(b * rho_bins + r).copied().unwrap_or(0) as f32
        };
        let (before, at, after) = (raw(r.wrapping_sub(1)), raw(r), raw(r + 1));
        let total = before + at + after;
        if total <= 0.0 {
            return r as f32;
        }
        r as f32 + (after - before) / total
    }

    /// Signed distance of the image centre `centre` from the line of cell (b, r).
    fn centre_distance(
        &self,
        b: usize,
        r: usize,
        rho_bins: usize,
        diag: usize,
        centre: (f32, f32),
    ) -> f32 {
        let (cos, sin) = self.trig.get(b).copied().unwrap_or((1.0, 0.0));
        centre.0 * cos + centre.1 * sin - (self.raw_rho(b, r, rho_bins) - diag as f32)
    }

    /// How far (pixels at the image centre) the nearest stronger cell within PEAK_NMS_ANGLE and
    /// PEAK_NMS_RHO lies from this one; None for a local maximum, a peak. Only neighbours also
    /// within PEAK_NMS_RHO of it at the image centre count: rho is measured from the image
    /// corner, so two lines that cross near that corner (a card's edge and a grain line 4 degrees
    /// off it) have nearby cells although they are far apart on the document, and the weaker
    /// one, the card's edge, must not be suppressed. Stops at the first neighbour nearer than
    /// SHADOW_APART_PX (the cell is then a shoulder of that line) and returns that distance.
    ///
    /// Which of the three answers (peak, shadowed, shoulder) a cell gets does not depend on the
    /// order the window is visited in, so it is visited nearest cells first ([`nms_window`]):
    /// most cells over the threshold are shoulders, and their stronger neighbour is next to them.
    fn nearest_stronger(
        &self,
        (b, r, v): (usize, usize, u32),
        rho_bins: usize,
        diag: usize,
        centre: (f32, f32),
    ) -> Option<f32> {
        let mut here: Option<f32> = None;
        let mut nearest: Option<f32> = None;
        for &(db, dr) in &self.nms_window {
            let mut bb = b as i32 + db;
            let mut rr = r as i32;
            if bb < 0 || bb >= ANGLE_BINS as i32 {
                // Wrap: theta +- 180 is the same line with rho negated.
                bb = bb.rem_euclid(ANGLE_BINS as i32);
                rr = 2 * diag as i32 - rr;
            }
            let r2 = rr + dr;
            if r2 < 0 || r2 >= rho_bins as i32 {
                continue;
            }
            let Some(&o) = self.smoothed.get(bb as usize * rho_bins + r2 as usize) else {
                continue;
            };
            let o = o as u32;
            // Ties broken by position so a flat top yields one peak.
            if o < v || (o == v && (db, dr) > (0, 0)) {
                continue;
            }
            let here =
                *here.get_or_insert_with(|| self.centre_distance(b, r, rho_bins, diag, centre));
            let there = self.centre_distance(bb as usize, r2 as usize, rho_bins, diag, centre);
            let apart = apart((b, here), (bb as usize, there));
            if apart <= SHADOW_APART_PX {
                return Some(apart);
            }
            if apart <= PEAK_NMS_RHO as f32 {
                nearest = Some(nearest.map_or(apart, |n| n.min(apart)));
            }
        }
        nearest
    }
}

/// Numbers the lines in their current order (see [`Line::order`]).
fn number_in_order(lines: &mut [Line]) {
    for (place, line) in (0u32..).zip(lines.iter_mut()) {
        line.order = place;
    }
}

/// The non-maximum window's offsets (angle bins, rho bins) around a cell, the cell itself left
/// out, nearest first: by rho offset, then by angle offset.
fn nms_window() -> Vec<(i32, i32)> {
    let mut window: Vec<(i32, i32)> = (-PEAK_NMS_ANGLE..=PEAK_NMS_ANGLE)
        .flat_map(|db| (-PEAK_NMS_RHO..=PEAK_NMS_RHO).map(move |dr| (db, dr)))
        .filter(|&offset| offset != (0, 0))
        .collect();
    window.sort_by_key(|&(db, dr)| (dr.abs(), db.abs()));
    window
}

/// How far apart at the image centre two lines are, each given by its angle bin and the signed
/// distance of the centre from it.
fn apart((bin_a, here): (usize, f32), (bin_b, there): (usize, f32)) -> f32 {
    // Across the angle wrap (bins over 90 degrees apart) the normals point opposite ways.
    let wrapped = bin_a.abs_diff(bin_b) > ANGLE_BINS / 2;
    if wrapped { here + there } else { here - there }.abs()
}

/// Whether a line (angle bin, centre distance) lies within the non-maximum window of another.
fn shadows(line: (usize, f32), by: (usize, f32)) -> bool {
    let bins = line.0.abs_diff(by.0);
    bins.min(ANGLE_BINS - bins) <= PEAK_NMS_ANGLE as usize && apart(line, by) <= PEAK_NMS_RHO as f32
}

/// The 1-degree orientation bin (0..180) of a gradient direction, from a polynomial arctangent
/// (error under 0.1 degree; the libm call dominated the vote loop).
fn orientation_bin(gx: f32, gy: f32) -> i32 {
    let (ax, ay) = (gx.abs(), gy.abs());
    let (lo, hi) = if ax >= ay { (ay, ax) } else { (ax, ay) };
    let t = lo / hi.max(1e-9);
    let t2 = t * t;
    let mut a = t
        * (0.999_866
            + t2 * (-0.330_299_5 + t2 * (0.180_141 + t2 * (-0.085_133 + t2 * 0.020_835_1))));
    if ay > ax {
        a = std::f32::consts::FRAC_PI_2 - a;
    }
    // Fold to 0..180 degrees: the line orientation ignores polarity.
    let deg = a.to_degrees();
    let folded = if (gx >= 0.0) == (gy >= 0.0) {
        deg
    } else {
        180.0 - deg
    };
    (folded + 0.5) as i32
}

/// `v as usize` for the values converted here (non-negative or NaN, below 2^31): through i32 the
/// conversion is one instruction and a clamp instead of the longer saturating conversion to u64.
/// Larger values give 2^31 - 1, past the end of every buffer as the u64 result is.
#[inline]
fn index_of(v: f32) -> usize {
    (v as i32).max(0) as usize
}

/// `v as i32` for `0 <= v < 2^23`, in float and integer steps that vectorise (the saturating
/// conversion is done one value at a time on x86-64 without AVX-512): adding 2^23 rounds `v` to
/// the nearest integer in the low bits of the sum, one less when that rounded up.
#[inline]
fn truncate_small(v: f32) -> i32 {
    const TWO_POW_23: f32 = 8_388_608.0;
    let nearest = (v + TWO_POW_23).to_bits() as i32 - TWO_POW_23.to_bits() as i32;
    nearest - i32::from(nearest as f32 > v)
}

/// An orientation bin in 0..ANGLE_BINS: 180 degrees, which the rounding can give, is 0.
fn fold_bin(b: i32) -> usize {
    let n = ANGLE_BINS as i32;
    (if b >= n { b - n } else { b.max(0) }) as usize
}

/// The orientation bins whose votes spread to angle bin `b` (within VOTE_SPREAD_BINS of it), as
/// runs of bins: one, or two where the spread wraps past 0 or 180 degrees (the second may be empty).
fn spread_runs(b: usize) -> [std::ops::Range<usize>; 2] {
    let (spread, b) = (VOTE_SPREAD_BINS as usize, b.min(ANGLE_BINS - 1));
    if b < spread {
        [0..b + spread + 1, ANGLE_BINS + b - spread..ANGLE_BINS]
    } else if b + spread >= ANGLE_BINS {
        [b - spread..ANGLE_BINS, 0..b + spread + 1 - ANGLE_BINS]
    } else {
        [b - spread..b + spread + 1, 0..0]
    }
}

/// Builds a line and its support profile by walking it across the working image.
pub fn make_line(work: &WorkImage, theta: f32, rho: f32, votes: u32, border: bool) -> Line {
    walk_line(work, (theta, rho), votes, border, (None, None))
}

/// [`make_line`], with the support profile written into `profile`'s buffers when given.
fn walk_line(
    work: &WorkImage,
    (theta, rho): (f32, f32),
    votes: u32,
    border: bool,
    profile: (Option<Vec<u32>>, Option<Vec<u32>>),
) -> Line {
    let (mut pos, mut neg) = (profile.0.unwrap_or_default(), profile.1.unwrap_or_default());
    pos.clear();
    neg.clear();
    let normal = (theta.cos(), theta.sin());
    let dir = (-normal.1, normal.0);
    let (w, h) = (work.width as f32, work.height as f32);
    // Clip the parameter range to the image rectangle [0, w-1] x [0, h-1].
    let mut t_min = f32::MIN;
    let mut t_max = f32::MAX;
    let base = (rho * normal.0, rho * normal.1);
    for (b, d, lim) in [(base.0, dir.0, w - 1.0), (base.1, dir.1, h - 1.0)] {
        if d.abs() < 1e-6 {
            if b < 0.0 || b > lim {
                t_min = 1.0;
                t_max = 0.0;
            }
        } else {
            let (a1, a2) = ((0.0 - b) / d, (lim - b) / d);
            t_min = t_min.max(a1.min(a2));
            t_max = t_max.min(a1.max(a2));
        }
    }
    let mut line = Line {
        theta,
        rho,
        normal,
        dir,
        t_min,
        t_max,
        pos,
        neg,
        border,
        votes,
        run: 0,
        through: false,
        stripes_beyond: 0.0,
        order: 0,
    };
    if t_max <= t_min {
        line.t_min = 0.0;
        line.t_max = 0.0;
        return line;
    }
    // Every profile is made room for the image's longest chord (its diagonal), not this line's:
    // a recycled profile then fits whatever line takes it next, frame after frame.
    let steps = (t_max - t_min) as usize + 1;
    let longest = (w.hypot(h).ceil() as usize + 2).max(steps + 1);
    line.pos.reserve(longest);
    line.neg.reserve(longest);
    line.pos.push(0);
    line.neg.push(0);
    let cos_tol = SUPPORT_ANGLE_DEG.to_radians().cos();
    let (mut sp, mut sn) = (0u32, 0u32);
    // Runs of positive, negative and either polarity: (start of the current run, last hit).
    let (mut positive, mut negative, mut mixed) = ([u32::MAX, 0], [u32::MAX, 0], [u32::MAX, 0]);
    let (mut best_run, mut best_mixed_run) = (0u32, 0u32);
    for k in 0..steps {
        let (px, py) = line.point_at(t_min + k as f32);
        let mut hit = 0i32;
        if !border {
            for off in [0.0f32, -1.0, 1.0] {
                // Rounded to the nearest pixel; +0.5 then truncation rounds non-negative values.
                let x = px + off * normal.0 + 0.5;
                let y = py + off * normal.1 + 0.5;
                if x < 0.0 || y < 0.0 || x >= w || y >= h {
                    continue;
                }
                let i = work.idx(index_of(x), index_of(y));
                if work.edge.get(i).is_none_or(|&e| e == 0) {
                    continue;
                }
                let (Some(&gx), Some(&gy)) = (work.gx.get(i), work.gy.get(i)) else {
                    continue;
                };
                // The rounded magnitude from the derivatives kept (those of the strongest
                // channel): a square root here costs less than a third array's cache miss.
                let magnitude = magnitude_of(gx as i32 * gx as i32 + gy as i32 * gy as i32);
                let (gx, gy) = (gx as f32, gy as f32);
                let along_normal = gx * normal.0 + gy * normal.1;
                let tolerance = cos_tol * (magnitude as f32).max(1.0);
                if along_normal >= tolerance {
                    hit = 1;
                    break;
                } else if along_normal <= -tolerance {
                    hit = -1;
                    break;
                }
            }
        }
        if hit > 0 {
            sp += 1;
        } else if hit < 0 {
            sn += 1;
        }
        if hit != 0 {
            let same = if hit > 0 {
                &mut positive
            } else {
                &mut negative
            };
            let same_run = extend_run(same, k as u32);
            let mixed_run = extend_run(&mut mixed, k as u32);
            best_run = best_run.max(same_run);
            best_mixed_run = best_mixed_run.max(mixed_run);
            // Background structure runs in from the frame's edge; a document side that spans
            // nearly the whole frame stops its corner margin short of both edges.
            let from_edge = |run: &[u32; 2]| {
                run[0] <= THROUGH_END_SLACK_PX
                    || k as u32 + THROUGH_END_SLACK_PX + 1 >= steps as u32
            };
            let spans = |length: f32| length >= THROUGH_RUN_FRAC * (t_max - t_min);
            line.through |= (spans(same_run as f32) && from_edge(same))
                || (spans(MIXED_RUN_WEIGHT * mixed_run as f32) && from_edge(&mixed));
        }
        line.pos.push(sp);
        line.neg.push(sn);
    }
    line.run = best_run.max((MIXED_RUN_WEIGHT * best_mixed_run as f32) as u32);
    line
}

/// Angle between two line orientations (radians), 0..=90 degrees.
pub fn angle_between(t1: f32, t2: f32) -> f32 {
    let d = (t1 - t2).to_degrees().rem_euclid(180.0);
    d.min(180.0 - d)
}

/// cos and sin of each angle bin's normal (ANGLE_BINS, a degree apart).
pub fn normals_per_degree() -> Vec<(f32, f32)> {
    (0..ANGLE_BINS)
        .map(|b| {
            let t = (b as f32).to_radians();
            (t.cos(), t.sin())
        })
        .collect()
}

/// The orientation bucket of a line at `theta` radians.
fn bucket_of(theta: f32) -> usize {
    (theta.to_degrees().round() as usize).min(ANGLE_BINS - 1) / ORIENTATION_BUCKET_DEG
}

/// Adds a hit at step `k` to `run` ([start, last hit]; start u32::MAX before the first hit),
/// starting it afresh after a gap longer than RUN_MAX_GAP; returns the run's length.
fn extend_run(run: &mut [u32; 2], k: u32) -> u32 {
    let [start, last] = run;
    if *start == u32::MAX || k - *last > RUN_MAX_GAP + 1 {
        *start = k;
    }
    *last = k;
    k - *start + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    #[test]
    fn truncate_small_is_the_conversion_to_i32() {
        let mut values: Vec<f32> = (0..200_000).map(|k| k as f32 * 0.037_5).collect();
        values.extend((0..4096).flat_map(|k| {
            let v = k as f32;
            [
                v,
                v.next_up(),
                v.next_down().max(0.0),
                v + 0.5,
                (v + 0.5).next_down(),
            ]
        }));
        values.push(8_388_607.5);
        for v in values {
            assert_eq!(truncate_small(v), v as i32, "{v}");
        }
    }

    #[test]
    fn spread_runs_cover_the_bins_within_the_spread_once() {
        for b in 0..ANGLE_BINS {
            let mut runs: Vec<usize> = spread_runs(b).into_iter().flatten().collect();
            runs.sort_unstable();
            let mut expected: Vec<usize> = (-VOTE_SPREAD_BINS..=VOTE_SPREAD_BINS)
                .map(|d| (b as i32 - d).rem_euclid(ANGLE_BINS as i32) as usize)
                .collect();
            expected.sort_unstable();
            assert_eq!(runs, expected, "bin {b}");
        }
    }

    /// A page nine tenths of the frame's height with its corner margins, and a stripe of the same
    /// length that runs in from the frame's top edge: only the stripe crosses the frame.
    #[test]
    fn a_side_short_of_both_frame_edges_is_not_a_through_line() {
        let (w, h) = (640u32, 360u32);
        let frame = RgbImage::from_fn(w, h, |x, y| {
            let page = (100..400).contains(&x) && (18..342).contains(&y);
            let stripe = (500..540).contains(&x) && y < 324;
            if page || stripe {
                Rgb([220, 215, 200])
            } else {
                Rgb([40, 35, 30])
            }
        });
        let mut work = WorkImage::default();
        work.rebuild(&frame, 640);
        let side = make_line(&work, 0.0, 99.5, 0, false);
        let stripe = make_line(&work, 0.0, 499.5, 0, false);
        assert!(
            side.run as f32 > 0.85 * (side.t_max - side.t_min),
            "run {}",
            side.run
        );
        assert!(!side.is_through());
        assert!(stripe.is_through(), "run {}", stripe.run);
    }

    /// A card on grain: short grain streaks share the card's orientation and many have a longer
    /// unbroken run than the card's bottom side, which two fingers cut into three pieces.
    /// The side loses its orientation's places on run, but has the most votes of the lines left
    /// out, so the reserve keeps it.
    #[test]
    fn a_side_broken_by_fingers_among_grain_is_kept_in_reserve() {
        const GRAIN_STREAKS: u32 = 25;
        let (w, h) = (640u32, 360u32);
        let card = |x: u32, y: u32| (180..460).contains(&x) && (90..270).contains(&y);
        let finger = |x: u32, y: u32| {
            ((250..272).contains(&x) || (360..382).contains(&x)) && (230..360).contains(&y)
        };
        let grain = |x: u32, y: u32| {
            (0..GRAIN_STREAKS).any(|i| {
                let (gy, gx) = (8 + 14 * i, 10 + (i * 137) % 480);
                (gy..gy + 3).contains(&y) && (gx..gx + 140).contains(&x)
            })
        };
        let frame = RgbImage::from_fn(w, h, |x, y| {
            if finger(x, y) {
                Rgb([150, 100, 80])
            } else if card(x, y) {
                Rgb([215, 210, 200])
            } else if grain(x, y) {
                Rgb([70, 60, 50])
            } else {
                Rgb([130, 120, 110])
            }
        });
        let mut work = WorkImage::default();
        work.rebuild(&frame, 640);
        let bottom = |lines: &[Line]| {
            lines.iter().any(|l| {
                !l.border
                    && (l.theta.to_degrees() - 90.0).abs() < 2.0
                    && (l.rho - 269.5).abs() < 3.0
            })
        };
        let mut finder = LineFinder::default();
        let mut lines = Vec::new();
        finder.find(&work, 25, 50, 6, 0, &mut lines);
        assert!(
            !bottom(&lines),
            "the side should lose its place on run alone"
        );
        finder.find(&work, 25, 50, 6, 2, &mut lines);
        assert!(bottom(&lines), "the broken side is not among the lines");
    }

    /// A passport page's side running on along its booklet crosses the whole frame, and grass
    /// beside it fills its orientation with longer-voted ending lines: the one line across the
    /// frame in that orientation keeps a place. Two such lines are a striped background's and
    /// take none beyond the orientation's cap.
    #[test]
    fn a_lone_line_across_the_frame_keeps_its_place_among_grass() {
        const BLADES: u32 = 8;
        let (w, h) = (640u32, 360u32);
        let blade = |x: u32, y: u32| {
            (40..300).contains(&y) && (0..BLADES).any(|i| (250 + 40 * i..262 + 40 * i).contains(&x))
        };
        let frame_with = |second_edge: bool| {
            RgbImage::from_fn(w, h, |x, y| {
                if x < 200 || (second_edge && x >= 600) {
                    Rgb([215, 210, 200])
                } else if blade(x, y) {
                    Rgb([40, 90, 30])
                } else {
                    Rgb([120, 150, 90])
                }
            })
        };
        let across_at = |lines: &[Line], x: f32| {
            lines.iter().any(|l| {
                let theta = l.theta.to_degrees();
                !l.border
                    && l.is_through()
                    && (theta.min(180.0 - theta)) < 2.0
                    && (l.rho.abs() - x).abs() < 3.0
            })
        };
        let (mut finder, mut lines, mut work) =
            (LineFinder::default(), Vec::new(), WorkImage::default());
        work.rebuild(&frame_with(false), 640);
        finder.find(&work, 25, 50, 6, 2, &mut lines);
        let blades = lines
            .iter()
            .filter(|l| !l.border && !l.is_through() && bucket_of(l.theta) == 0)
            .count();
        assert!(blades >= MAX_PER_ORIENTATION, "only {blades} blade lines");
        assert!(
            across_at(&lines, 199.5),
            "the page's side is not among the lines"
        );
        work.rebuild(&frame_with(true), 640);
        finder.find(&work, 25, 50, 6, 2, &mut lines);
        assert!(
            !across_at(&lines, 199.5) && !across_at(&lines, 599.5),
            "two lines across the frame in one orientation are background"
        );
    }

    /// A card held square to blinds: its right side lies 5 px from a slat's edge that crosses the
    /// whole frame with more votes. Non-maximum suppression alone loses the side to the slat; the
    /// shadowed peaks keep it.
    #[test]
    fn a_side_beside_a_slat_crossing_the_frame_is_found() {
        const SLAT_PX: u32 = 14;
        let (w, h) = (640u32, 360u32);
        let card = |x: u32, y: u32| (178..460).contains(&x) && (60..300).contains(&y);
        // Slat edges where x = 3 (mod 14): at 465, 5 px right of the card's right side.
        let dark_slat = |x: u32| ((x + SLAT_PX - 3) / SLAT_PX).is_multiple_of(2);
        let frame = RgbImage::from_fn(w, h, |x, y| {
            if card(x, y) {
                Rgb([215, 210, 200])
            } else if dark_slat(x) {
                Rgb([90, 85, 80])
            } else {
                Rgb([150, 145, 140])
            }
        });
        let mut work = WorkImage::default();
        work.rebuild(&frame, 640);
        let mut finder = LineFinder::default();
        let mut lines = Vec::new();
        finder.find(&work, 25, 50, 6, 2, &mut lines);
        let side = lines.iter().find(|l| {
            !l.border
                && l.theta.to_degrees().min(180.0 - l.theta.to_degrees()) < 2.0
                && (l.rho.abs() - 459.5).abs() < 2.0
        });
        let Some(side) = side else {
            panic!("the card's right side is not among the lines");
        };
        assert!(!side.is_through());
    }
}
