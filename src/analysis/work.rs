//! The working copy of a frame: an integer box-downscale and its colour gradient and edge map.
//!
//! Locating the document needs only a few hundred pixels across; the full-resolution frame is
//! revisited only along the found edges (refinement, focus) and inside the found outline.
//!
//! Every pass works on whole rows of plain integer slices so the compiler can vectorise it: this is
//! the one step that touches every pixel of the frame, 30 times a second.

use image::RgbImage;

use super::geometry::{Point, Quad};

/// An edge pixel survives non-maximum suppression and this many multiples of the frame's typical
/// (median) gradient: adapts to sensor noise without a fixed contrast threshold.
const EDGE_NOISE_FACTOR: i32 = 2;
/// The least gradient magnitude counted as an edge (a step of ~4 grey levels).
const EDGE_MIN_MAGNITUDE: i32 = 12;
/// In the brightened copy (dark frames), an edge pixel down to this share of the threshold still
/// counts where it continues a chain of pixels that pass it (hysteresis, as in Canny's detector):
/// a card's side in a dim room steps a level or two over the desk, over the threshold where the
/// desk behind it is darker and under it where the desk is lighter, and the Hough needs the
/// whole side. Chains only grow from strong pixels, so noise alone adds nothing.
const DARK_WEAK_EDGE_RATIO: f32 = 0.5;
/// A brightened copy maps the level below which this share of the pixels lie to black, and the
/// level above which as many lie to white: a few specks of sensor noise do not set the range.
const BRIGHTEN_CLIP_SHARE: f32 = 0.005;
/// Gradient magnitudes are below this (a full black-white step gives 4 x 255 per axis).
const MAGNITUDE_LIMIT: usize = 1500;
/// The median magnitude is nearly always below this (flat paper and desk dominate a frame): below
/// it, it is found from the squared magnitudes, without a square root per pixel.
const SMALL_MAGNITUDE: usize = 64;
/// Bins of the squared-magnitude table: every square below SMALL_MAGNITUDE's, and one for the rest.
const SQUARED_BINS: usize = SMALL_MAGNITUDE * SMALL_MAGNITUDE + 1;
/// The squared-magnitude table is counted in this many copies taking turns: flat paper and desk
/// give long runs of equal magnitudes, whose counts of one bin would otherwise wait on each other.
const HISTOGRAM_COPIES: usize = 4;

/// Downscaled RGB frame plus per-pixel colour gradient. Buffers are reused across frames.
#[derive(Debug, Default)]
pub struct WorkImage {
    pub width: usize,
    pub height: usize,
    /// Full-resolution pixels per working pixel (integer box factor).
    pub scale: usize,
    pub rgb: Vec<[u8; 3]>,
    pub luma: Vec<u8>,
    /// Derivatives of the colour channel with the strongest response at each pixel.
    pub gx: Vec<i16>,
    pub gy: Vec<i16>,
    /// 1 where a non-maximum-suppressed edge passes the adaptive threshold (or, in a brightened
    /// copy, continues a chain of such pixels).
    pub edge: Vec<u8>,
    /// The edge pixels (x, y), row by row.
    pub edge_points: Vec<(u32, u32)>,
    /// Scratch sums: column sums of `scale` rows when downscaling (u16 holds 257 rows of 255,
    /// far beyond any frame's scale), row sums when smoothing.
    row_sums: Vec<u16>,
    /// The three channels as planes (written by the downscale), and each smoothed.
    channel: Vec<u8>,
    smooth: Vec<u8>,
    row_gx: Vec<i16>,
    row_gy: Vec<i16>,
    /// Per column of a row, the [1 2 1] sum down three rows and the difference of the rows below
    /// and above: the Sobel derivatives' two separable halves.
    column_sums: Vec<i16>,
    column_steps: Vec<i16>,
    best: Vec<i32>,
    histogram: Vec<u32>,
    /// Scratch: the chain ends still to follow from (brightened copies only).
    chain_ends: Vec<usize>,
}

impl WorkImage {
    /// Rebuilds the working copy of `frame`, downscaled so its longer side is at most `long_side`.
    pub fn rebuild(&mut self, frame: &RgbImage, long_side: u32) {
        let (fw, fh) = (frame.width() as usize, frame.height() as usize);
        let long = fw.max(fh).max(1);
        let scale = long.div_ceil(long_side.max(1) as usize).max(1);
        self.scale = scale;
        self.width = (fw / scale).max(1);
        self.height = (fh / scale).max(1);
        self.build(frame.as_raw(), fw * 3, scale);
    }

    /// Full-resolution coordinates of a working pixel's centre (pixel centres at integers).
    pub fn to_full(&self, x: f32, y: f32) -> (f32, f32) {
        let s = self.scale as f32;
        let off = (s - 1.0) / 2.0;
        (x * s + off, y * s + off)
    }

    /// Working coordinates of a full-resolution point.
    pub fn to_work(&self, x: f32, y: f32) -> (f32, f32) {
        let s = self.scale as f32;
        let off = (s - 1.0) / 2.0;
        ((x - off) / s, (y - off) / s)
    }

    /// A full-resolution outline in working coordinates.
    pub fn quad_to_work(&self, quad: &Quad) -> Quad {
        Quad(quad.0.map(|p| {
            let (x, y) = self.to_work(p.x, p.y);
            Point::new(x, y)
        }))
    }

    /// An outline in working coordinates at full resolution.
    pub fn quad_to_full(&self, quad: &Quad) -> Quad {
        Quad(quad.0.map(|p| {
            let (x, y) = self.to_full(p.x, p.y);
            Point::new(x, y)
        }))
    }

    pub fn idx(&self, x: usize, y: usize) -> usize {
        y * self.width + x
    }

    /// Luma of the working pixel nearest to `p`, or None outside the image.
    pub fn luma_at(&self, p: (f32, f32)) -> Option<u8> {
        self.luma.get(self.nearest_idx(p)?).copied()
    }

    /// Index of the working pixel nearest to `p` (coordinates rounded half away from zero), or
    /// None outside the image.
    pub fn nearest_idx(&self, p: (f32, f32)) -> Option<usize> {
        let x = nearest_pixel(p.0, self.width)?;
        let y = nearest_pixel(p.1, self.height)?;
        Some(self.idx(x, y))
    }

    pub fn magnitude_sq(&self, i: usize) -> i32 {
        let (gx, gy) = (self.gx[i] as i32, self.gy[i] as i32);
        gx * gx + gy * gy
    }

    /// Rebuilds the working copy as a `factor`-times coarser box average of `finer` (a second look
    /// with less noise, for dark frames whose edges break into dots at the finer scale).
    pub fn rebuild_coarser(&mut self, finer: &WorkImage, factor: usize) {
        let factor = factor.max(1);
        self.scale = finer.scale * factor;
        self.width = (finer.width / factor).max(1);
        self.height = (finer.height / factor).max(1);
        self.build(finer.rgb.as_flattened(), finer.width * 3, factor);
    }

    /// Rebuilds the working copy as `source` with its levels stretched over the full range and
    /// its noise smoothed `smoothing_passes` more times (1-2-1 each way, variance 1/2 per pass): a
    /// last look in frames too dark to find the document in otherwise. There a card differs from
    /// the desk by two or three grey levels under noise of ten, and only many pixels averaged
    /// along a side show it; the stretch brings the averaged step above the edge threshold's floor.
    pub fn rebuild_brightened(&mut self, source: &WorkImage, smoothing_passes: usize) {
        let (w, h) = (source.width, source.height);
        let n = w * h;
        self.scale = source.scale;
        self.width = w;
        self.height = h;
        let (low, high) = level_range(&source.luma, &mut self.histogram);
        let span = (high - low).max(1) as u32;
        let stretch =
            |v: u8| ((v.saturating_sub(low) as u32 * 255 + span / 2) / span).min(255) as u8;
        self.channel.resize(3 * n, 0);
        self.smooth.resize(3 * n, 0);
        for (c, plane) in self.channel.chunks_exact_mut(n.max(1)).enumerate() {
            for (out, px) in plane.iter_mut().zip(&source.rgb) {
                *out = px.get(c).copied().map_or(0, stretch);
            }
        }
        for _ in 0..smoothing_passes {
            for (plane, out) in self
                .channel
                .chunks_exact(n.max(1))
                .zip(self.smooth.chunks_exact_mut(n.max(1)))
            {
                smooth_121(plane, w, &mut self.row_sums, out);
            }
            std::mem::swap(&mut self.channel, &mut self.smooth);
        }
        self.rgb.resize(n, [0; 3]);
        self.luma.resize(n, 0);
        if let Some((red, rest)) = self.channel.split_at_checked(n)
            && let Some((green, blue)) = rest.split_at_checked(n)
        {
            let pixels = red.iter().zip(green.iter().zip(blue.iter()));
            for ((rgb, luma), (&r, (&g, &b))) in self.rgb.iter_mut().zip(&mut self.luma).zip(pixels)
            {
                *rgb = [r, g, b];
                *luma = luma_of(*rgb);
            }
        }
        self.gradient();
        self.edges::<true>(DARK_WEAK_EDGE_RATIO);
    }

    /// The passes over every pixel (downscale, gradient, edges), in the copy compiled for the
    /// widest vectors this CPU has.
    fn build(&mut self, raw: &[u8], stride: usize, factor: usize) {
        super::wide::widest(
            #[inline(always)]
            || self.passes(raw, stride, factor),
        );
    }

    /// Inlined, with every pass it calls, into each compiled copy of [`WorkImage::build`].
    #[inline(always)]
    fn passes(&mut self, raw: &[u8], stride: usize, factor: usize) {
        self.downscale(raw, stride, factor);
        self.gradient();
        self.edges::<false>(1.0);
    }

    /// Box average of each `factor` x `factor` block of the packed RGB rows in `raw`: rows are
    /// summed first (a straight vector add), then each block's columns.
    #[inline(always)]
    fn downscale(&mut self, raw: &[u8], stride: usize, factor: usize) {
        let (w, h, s) = (self.width, self.height, factor);
        let n = w * h;
        // Every pixel is written below: resizing without clearing saves a pass over the buffers.
        self.rgb.resize(n, [0; 3]);
        self.luma.resize(n, 0);
        self.channel.resize(3 * n, 0);
        let used = w * s * 3;
        self.row_sums.resize(used, 0);
        let (red, rest) = self.channel.split_at_mut(n);
        let (green, blue) = rest.split_at_mut(n);
        let planes = red
            .chunks_exact_mut(w)
            .zip(green.chunks_exact_mut(w).zip(blue.chunks_exact_mut(w)));
        let outputs = self
            .rgb
            .chunks_exact_mut(w)
            .zip(self.luma.chunks_exact_mut(w).zip(planes));
        for (y, (out, (luma, (red, (green, blue))))) in outputs.enumerate() {
            // The first row is copied in rather than added to a cleared row.
            let mut first = true;
            for sy in 0..s {
                let start = (y * s + sy) * stride;
                let Some(row) = raw.get(start..start + used) else {
                    continue;
                };
                if first {
                    for (a, &v) in self.row_sums.iter_mut().zip(row) {
                        *a = v as u16;
                    }
                    first = false;
                } else {
                    for (a, &v) in self.row_sums.iter_mut().zip(row) {
                        *a = a.saturating_add(v as u16);
                    }
                }
            }
            if first {
                self.row_sums.fill(0);
            }
            // The block width is a constant in the common cases so the column sums unroll.
            let planes = [&mut *red, &mut *green, &mut *blue];
            match s {
                1 => average_blocks::<1>(&self.row_sums, out, planes),
                2 => average_blocks::<2>(&self.row_sums, out, planes),
                3 => average_blocks::<3>(&self.row_sums, out, planes),
                4 => average_blocks::<4>(&self.row_sums, out, planes),
                _ => average_blocks_any(&self.row_sums, s, out, planes),
            }
            // Luma while the row is in cache, from the planes, where its products vectorise.
            let channels = red.iter().zip(green.iter().zip(blue.iter()));
            for (l, (&r, (&g, &b))) in luma.iter_mut().zip(channels) {
                *l = luma_of([r, g, b]);
            }
        }
    }

    /// Per channel, a 1-2-1 binomial smoothing then the Sobel derivatives, both separable; each
    /// pixel keeps the channel with the strongest response, so a card that differs from the desk
    /// only in colour still has edges. The smoothing keeps sensor noise in dark frames from
    /// breaking faint document edges into dots that no longer line up.
    #[inline(always)]
    fn gradient(&mut self) {
        let (w, h) = (self.width, self.height);
        let n = w * h;
        if w < 3 || h < 3 {
            for buf in [&mut self.gx, &mut self.gy] {
                buf.clear();
                buf.resize(n, 0);
            }
            self.best.clear();
            self.best.resize(n, -1);
            return;
        }
        // The interior is written below; only the one-pixel frame around it is set here.
        for buf in [&mut self.gx, &mut self.gy] {
            buf.resize(n, 0);
            set_frame(buf, w, 0);
        }
        self.best.resize(n, -1);
        set_frame(&mut self.best, w, -1);
        // The three channel planes (from the downscale) each smoothed whole (the Sobel rows need
        // the smoothed rows above and below), then the derivatives row by row from the smoothed
        // planes: the intermediate sums stay in row buffers that fit in cache.
        self.smooth.resize(3 * n, 0);
        for (plane, out) in self
            .channel
            .chunks_exact(n)
            .zip(self.smooth.chunks_exact_mut(n))
        {
            smooth_121(plane, w, &mut self.row_sums, out);
        }
        let inner = w - 2;
        for buf in [&mut self.row_gx, &mut self.row_gy] {
            buf.resize(3 * inner, 0);
        }
        for y in 1..h - 1 {
            let planes = self.smooth.chunks_exact(n);
            let outputs = self
                .row_gx
                .chunks_exact_mut(inner)
                .zip(self.row_gy.chunks_exact_mut(inner));
            for (plane, (gx, gy)) in planes.zip(outputs) {
                let Some(rows) = plane.get((y - 1) * w..(y + 2) * w) else {
                    continue;
                };
                let (up, rest) = rows.split_at(w);
                let (mid, down) = rest.split_at(w);
                let columns = (&mut self.column_sums, &mut self.column_steps);
                sobel_row([up, mid, down], columns, gx, gy);
            }
            let line = y * w + 1..(y + 1) * w - 1;
            let (Some(gx), Some(gy), Some(best)) = (
                self.gx.get_mut(line.clone()),
                self.gy.get_mut(line.clone()),
                self.best.get_mut(line),
            ) else {
                continue;
            };
            strongest_channel(&self.row_gx, &self.row_gy, gx, gy, best);
        }
    }

    /// Non-maximum-suppressed edges over the adaptive threshold; with `CHAINS`, also those down to
    /// `weak_ratio` of it that continue a chain of edges over it (see DARK_WEAK_EDGE_RATIO).
    #[inline(always)]
    fn edges<const CHAINS: bool>(&mut self, weak_ratio: f32) {
        let (w, h) = (self.width, self.height);
        let n = w * h;
        self.edge_points.clear();
        self.edge.resize(n, 0);
        if w < 3 || h < 3 {
            self.edge.fill(0);
            return;
        }
        // Every inner pixel is written below: only the one-pixel frame is cleared here.
        set_frame(&mut self.edge, w, 0);
        let median = self.median_magnitude();
        let threshold = (EDGE_NOISE_FACTOR * median).max(EDGE_MIN_MAGNITUDE);
        let t2 = threshold * threshold;
        let weak = ((weak_ratio * threshold as f32) as i32).clamp(1, threshold);
        let weak2 = weak * weak;
        // Row by row, each pixel with its 3x3 neighbourhood as windows over the row and the rows
        // above and below (no indexing in the inner loop). The test has no branches: whether a
        // pixel is an edge is as good as random to the branch predictor.
        for y in 1..h - 1 {
            let (Some(above), Some(row), Some(below), Some(gx_row), Some(gy_row), Some(out)) = (
                self.best.get((y - 1) * w..y * w),
                self.best.get(y * w..(y + 1) * w),
                self.best.get((y + 1) * w..(y + 2) * w),
                self.gx.get(y * w + 1..(y + 1) * w),
                self.gy.get(y * w + 1..(y + 1) * w),
                self.edge.get_mut(y * w + 1..(y + 1) * w),
            ) else {
                continue;
            };
            let neighbourhoods = above.windows(3).zip(row.windows(3)).zip(below.windows(3));
            for ((((a, r), b), (&gx, &gy)), e) in neighbourhoods
                .zip(gx_row.iter().zip(gy_row))
                .zip(out.iter_mut())
            {
                let (&[a0, a1, a2], &[r0, m, r2], &[b0, b1, b2]) = (a, r, b) else {
                    continue;
                };
                let (gx, gy) = (gx as i32, gy as i32);
                // Neighbours along the gradient, quantised to 4 directions (tan 22.5 ~ 0.414).
                let (ax, ay) = (gx.abs(), gy.abs());
                let (horizontal, vertical) = (ay * 1000 <= ax * 414, ax * 1000 <= ay * 414);
                let rising = (gx > 0) == (gy > 0);
                let (d1, d2) = if rising { (a0, b2) } else { (a2, b0) };
                let (v1, v2) = if vertical { (a1, b1) } else { (d1, d2) };
                let (n1, n2) = if horizontal { (r0, r2) } else { (v1, v2) };
                let peak = (m >= n1) & (m > n2);
                *e = if CHAINS {
                    u8::from(peak & (m >= t2)) | (u8::from(peak & (m >= weak2)) << 1)
                } else {
                    u8::from(peak & (m >= t2))
                };
            }
            if !CHAINS {
                push_edge_points(out, y as u32, &mut self.edge_points);
            }
        }
        if CHAINS {
            self.follow_chains();
        }
    }

    /// Turns the weak edge pixels (2) joined to a strong one (1 or 3) through 8-neighbours into
    /// edges, drops the rest, and lists the edge points.
    fn follow_chains(&mut self) {
        const STRONG: u8 = 1;
        const WEAK_ONLY: u8 = 2;
        let w = self.width;
        self.chain_ends.clear();
        for (i, e) in self.edge.iter_mut().enumerate() {
            if *e & STRONG != 0 {
                *e = STRONG;
                self.chain_ends.push(i);
            }
        }
        // The image's one-pixel frame is never an edge, so each neighbour of a pixel inside lies
        // in the image: no wrap-around to the next row.
        let offsets = [1, w - 1, w, w + 1];
        while let Some(i) = self.chain_ends.pop() {
            for next in offsets
                .iter()
                .flat_map(|&d| [i.checked_sub(d), i.checked_add(d)])
                .flatten()
            {
                if let Some(e) = self.edge.get_mut(next)
                    && *e == WEAK_ONLY
                {
                    *e = STRONG;
                    self.chain_ends.push(next);
                }
            }
        }
        for e in &mut self.edge {
            *e &= STRONG;
        }
        for y in 1..self.height.saturating_sub(1) {
            if let Some(row) = self.edge.get(y * w + 1..(y + 1) * w) {
                push_edge_points(row, y as u32, &mut self.edge_points);
            }
        }
    }

    /// The median gradient magnitude. Usually it is small: a table of squared magnitudes up to
    /// SMALL_MAGNITUDE's square finds it without a square root per pixel; otherwise a histogram
    /// of the magnitudes themselves.
    #[inline(always)]
    fn median_magnitude(&mut self) -> i32 {
        let n = self.best.len() as u32;
        let small = SQUARED_BINS - 1;
        self.histogram.clear();
        self.histogram.resize(HISTOGRAM_COPIES * SQUARED_BINS, 0);
        let bin = |m: i32| (m.max(0) as usize).min(small);
        // Fixed-size tables: the bin is in range by construction, so the counts need no checks.
        let mut copies = self
            .histogram
            .chunks_exact_mut(SQUARED_BINS)
            .filter_map(|table| table.first_chunk_mut::<SQUARED_BINS>());
        let mut tables: [_; HISTOGRAM_COPIES] = std::array::from_fn(|_| copies.next());
        let pixels = self.best.chunks_exact(HISTOGRAM_COPIES);
        if let Some(Some(table)) = tables.first_mut() {
            for &m in pixels.remainder() {
                if let Some(count) = table.get_mut(bin(m)) {
                    *count += 1;
                }
            }
        }
        for group in pixels {
            for (table, &m) in tables.iter_mut().zip(group) {
                if let Some(count) = table.as_mut().and_then(|t| t.get_mut(bin(m))) {
                    *count += 1;
                }
            }
        }
        // The copies summed into the first.
        if let Some((first, others)) = self.histogram.split_at_mut_checked(SQUARED_BINS) {
            for copy in others.chunks_exact(SQUARED_BINS) {
                for (total, &c) in first.iter_mut().zip(copy) {
                    *total += c;
                }
            }
        }
        // Squared magnitudes in order: at the last of those with one rounded magnitude, `seen`
        // counts every pixel of that magnitude or less.
        let mut seen = 0u32;
        for (v, &c) in self.histogram.iter().take(small).enumerate() {
            seen += c;
            let m = magnitude_of(v as i32);
            if magnitude_of(v as i32 + 1) != m && seen * 2 >= n {
                return m as i32;
            }
        }
        self.histogram.clear();
        self.histogram.resize(MAGNITUDE_LIMIT, 0);
        for &m in &self.best {
            let bin = (magnitude_of(m) as usize).min(MAGNITUDE_LIMIT - 1);
            if let Some(bin) = self.histogram.get_mut(bin) {
                *bin += 1;
            }
        }
        let mut seen = 0u32;
        for (m, &c) in self.histogram.iter().enumerate() {
            seen += c;
            if seen * 2 >= n {
                return m as i32;
            }
        }
        0
    }
}

/// The grey levels below which and above which BRIGHTEN_CLIP_SHARE of `lumas` lie (`counts`:
/// scratch for the histogram).
fn level_range(lumas: &[u8], counts: &mut Vec<u32>) -> (u8, u8) {
    counts.clear();
    counts.resize(256, 0);
    for &l in lumas {
        if let Some(c) = counts.get_mut(l as usize) {
            *c += 1;
        }
    }
    let clip = (BRIGHTEN_CLIP_SHARE * lumas.len() as f32) as u32;
    let low = level_past(counts.iter().enumerate(), clip);
    let high = level_past(counts.iter().enumerate().rev(), clip);
    (low, high.max(low))
}

/// The first level, in the histogram's `order`, by which more than `clip` pixels have been seen.
fn level_past<'a>(order: impl Iterator<Item = (usize, &'a u32)>, clip: u32) -> u8 {
    let mut seen = 0u32;
    for (level, &count) in order {
        seen += count;
        if seen > clip {
            return level.min(255) as u8;
        }
    }
    0
}

/// The upper quartile of `lumas` (reordered; 0 when empty): the paper's level in a sample of a
/// document, ink and shadow below it left out.
pub fn upper_quartile(lumas: &mut [u8]) -> f32 {
    if lumas.is_empty() {
        return 0.0;
    }
    let quartile = lumas.len() * 3 / 4;
    *lumas.select_nth_unstable(quartile).1 as f32
}

/// `v.round()` as a pixel index when it lies in `0..len`, else None. The same result as the
/// library's `round` (a call on x86-64 without SSE4.1, and hot where outlines are sampled): inside
/// the range, truncation is one instruction and the fraction it drops is exact. A NaN gives 0, as
/// `NaN.round() as usize` does.
pub fn nearest_pixel(v: f32, len: usize) -> Option<usize> {
    // round(v) < 0 exactly when v <= -0.5, and round(v) >= len exactly when v >= len - 0.5
    // (halves round away from zero; len - 0.5 is exact for any image size).
    if v <= -0.5 || v >= len as f32 - 0.5 {
        return None;
    }
    let whole = v as i32;
    let rounded = whole + i32::from(v - whole as f32 >= 0.5);
    Some(rounded.max(0) as usize)
}

/// Appends the edge pixels of row `y` to `points`, in order: `row[i]` is pixel `i + 1` (the row's
/// inner pixels). Most of a row is not edge: eight flags at a time are passed over when all are 0.
#[inline(always)]
fn push_edge_points(row: &[u8], y: u32, points: &mut Vec<(u32, u32)>) {
    const FLAGS_AT_ONCE: usize = 8;
    let words = row.chunks_exact(FLAGS_AT_ONCE);
    let tail = words.remainder();
    let mut push_flags = |first: usize, flags: &[u8]| {
        let found = flags.iter().enumerate().filter(|&(_, &e)| e != 0);
        points.extend(found.map(|(i, _)| ((first + i + 1) as u32, y)));
    };
    for (k, flags) in words.enumerate() {
        if flags
            .first_chunk::<FLAGS_AT_ONCE>()
            .is_some_and(|word| u64::from_ne_bytes(*word) == 0)
        {
            continue;
        }
        push_flags(k * FLAGS_AT_ONCE, flags);
    }
    push_flags(row.len() - tail.len(), tail);
}

/// A squared gradient magnitude's square root, rounded down.
pub fn magnitude_of(squared: i32) -> u16 {
    (squared.max(0) as f32).sqrt() as u16
}

/// Averages each `S`-pixel block of a row of column sums (over `S` rows) into one pixel, written
/// both packed (`out`) and to the red, green and blue `planes` (for the gradient).
#[inline(always)]
fn average_blocks<const S: usize>(sums: &[u16], out: &mut [[u8; 3]], planes: [&mut [u8]; 3]) {
    let inverse = block_inverse(S);
    let blocks = out.iter_mut().zip(sums.chunks_exact(S * 3));
    for ((o, block), (r, (g, b))) in blocks.zip(plane_pixels(planes)) {
        let mut sum = [0u32; 3];
        for k in 0..S {
            for (c, total) in sum.iter_mut().enumerate() {
                *total += block[k * 3 + c] as u32;
            }
        }
        *o = sum.map(|v| average(v, inverse));
        [*r, *g, *b] = *o;
    }
}

#[inline(always)]
fn average_blocks_any(sums: &[u16], s: usize, out: &mut [[u8; 3]], planes: [&mut [u8]; 3]) {
    let inverse = block_inverse(s);
    let blocks = out.iter_mut().zip(sums.chunks_exact(s * 3));
    for ((o, block), (r, (g, b))) in blocks.zip(plane_pixels(planes)) {
        let mut sum = [0u32; 3];
        for px in block.chunks_exact(3) {
            for (total, &v) in sum.iter_mut().zip(px) {
                *total += v as u32;
            }
        }
        *o = sum.map(|v| average(v, inverse));
        [*r, *g, *b] = *o;
    }
}

/// A pixel's red, green and blue in three planes, pixel by pixel.
fn plane_pixels(
    [red, green, blue]: [&mut [u8]; 3],
) -> impl Iterator<Item = (&mut u8, (&mut u8, &mut u8))> {
    red.iter_mut().zip(green.iter_mut().zip(blue.iter_mut()))
}

/// 1 / (s * s) in 16.16 fixed point: block averages in integer arithmetic, which vectorises.
/// Fits u32 products: a block sum is at most 255 s^2, so sum x inverse stays near 255 x 2^16.
fn block_inverse(s: usize) -> u32 {
    let area = (s * s).max(1) as u32;
    ((1u32 << 16) + area / 2) / area
}

/// `sum` times `inverse` (from [`block_inverse`]), rounded, as a grey level.
fn average(sum: u32, inverse: u32) -> u8 {
    ((sum * inverse + (1 << 15)) >> 16).min(255) as u8
}

/// Sets the outermost rows and columns of a `width`-wide plane to `value`.
fn set_frame<T: Copy>(plane: &mut [T], width: usize, value: T) {
    let height = plane.len() / width.max(1);
    let rows = plane.chunks_exact_mut(width.max(1));
    for (y, row) in rows.enumerate() {
        if y == 0 || y + 1 == height {
            row.fill(value);
        } else if let [first, .., last] = row {
            (*first, *last) = (value, value);
        }
    }
}

/// 1-2-1 binomial smoothing of a `width`-wide plane into `out` (of the same size), rounded; the
/// outermost pixels are copied. Down the columns first, into one row of sums, then along it: the
/// same integer sums as the other way round.
#[inline(always)]
fn smooth_121(src: &[u8], width: usize, sums: &mut Vec<u16>, out: &mut [u8]) {
    let height = src.len() / width.max(1);
    if width < 3 || height < 3 || out.len() != src.len() {
        out.copy_from_slice(src.get(..out.len()).unwrap_or(&[]));
        return;
    }
    sums.resize(width, 0);
    let (first, last) = (0..width, (height - 1) * width..height * width);
    for range in [first, last] {
        if let (Some(o), Some(s)) = (out.get_mut(range.clone()), src.get(range)) {
            o.copy_from_slice(s);
        }
    }
    let rows = src.windows(3 * width).step_by(width);
    for (rows, row_out) in rows.zip(out.chunks_exact_mut(width).skip(1)) {
        let (up, rest) = rows.split_at(width);
        let (mid, down) = rest.split_at(width);
        for (s, (&u, (&m, &d))) in sums.iter_mut().zip(up.iter().zip(mid.iter().zip(down))) {
            *s = u as u16 + 2 * m as u16 + d as u16;
        }
        let (Some((first, inner)), Some(&left), Some(&right)) =
            (row_out.split_first_mut(), mid.first(), mid.last())
        else {
            continue;
        };
        *first = left;
        let Some((last, inner)) = inner.split_last_mut() else {
            continue;
        };
        *last = right;
        let (Some(a), Some(b), Some(c)) =
            (sums.get(..width - 2), sums.get(1..width - 1), sums.get(2..))
        else {
            continue;
        };
        for (o, (&a, (&b, &c))) in inner.iter_mut().zip(a.iter().zip(b.iter().zip(c))) {
            *o = ((a + 2 * b + c + 8) / 16) as u8;
        }
    }
}

/// Sobel derivatives of a row's inner pixels from three rows of a smoothed plane: the
/// x-derivative is the difference of the [1 2 1] column sums two apart, the y-derivative the
/// difference of the rows below and above summed [1 2 1] along. Each column's sum and difference
/// is formed once (in `columns`) and shared by the three pixels that use it.
#[inline(always)]
fn sobel_row(
    [up, mid, down]: [&[u8]; 3],
    (sums, steps): (&mut Vec<i16>, &mut Vec<i16>),
    gx: &mut [i16],
    gy: &mut [i16],
) {
    let inner = gx.len().min(gy.len());
    let width = inner + 2;
    let (Some(up), Some(mid), Some(down)) = (up.get(..width), mid.get(..width), down.get(..width))
    else {
        return;
    };
    sums.resize(width, 0);
    steps.resize(width, 0);
    let columns = up.iter().zip(mid.iter().zip(down));
    for ((sum, step), (&u, (&m, &d))) in sums.iter_mut().zip(steps.iter_mut()).zip(columns) {
        *sum = u as i16 + 2 * m as i16 + d as i16;
        *step = d as i16 - u as i16;
    }
    let (Some([sum_left, _, sum_right]), Some([step_left, step_mid, step_right])) = (
        shifted_by_0_1_2(sums, inner),
        shifted_by_0_1_2(steps, inner),
    ) else {
        return;
    };
    for (o, (&left, &right)) in gx.iter_mut().zip(sum_left.iter().zip(sum_right)) {
        *o = right - left;
    }
    let steps = step_left.iter().zip(step_mid.iter().zip(step_right));
    for (o, (&left, (&centre, &right))) in gy.iter_mut().zip(steps) {
        *o = left + 2 * centre + right;
    }
}

/// The `len`-long windows of `row` starting at 0, 1 and 2: a pixel's left neighbour, itself and its
/// right neighbour.
fn shifted_by_0_1_2<T>(row: &[T], len: usize) -> Option<[&[T]; 3]> {
    Some([row.get(..len)?, row.get(1..len + 1)?, row.get(2..len + 2)?])
}

/// Per pixel, the channel with the largest squared gradient (R, G, B: `gx_rows` and `gy_rows` hold
/// the three channels' rows one after another). Branch-free so it vectorises.
#[inline(always)]
fn strongest_channel(
    gx_rows: &[i16],
    gy_rows: &[i16],
    gx: &mut [i16],
    gy: &mut [i16],
    best: &mut [i32],
) {
    let len = gx.len().min(gy.len()).min(best.len());
    if gx_rows.len() < 3 * len || gy_rows.len() < 3 * len {
        return;
    }
    let (gx, gy, best) = (&mut gx[..len], &mut gy[..len], &mut best[..len]);
    let (rx, gxx, bx) = (
        &gx_rows[..len],
        &gx_rows[len..2 * len],
        &gx_rows[2 * len..3 * len],
    );
    let (ry, gyy, by) = (
        &gy_rows[..len],
        &gy_rows[len..2 * len],
        &gy_rows[2 * len..3 * len],
    );
    for x in 0..len {
        let square = |a: i16, b: i16| a as i32 * a as i32 + b as i32 * b as i32;
        let (mr, mg, mb) = (
            square(rx[x], ry[x]),
            square(gxx[x], gyy[x]),
            square(bx[x], by[x]),
        );
        let green = mg > mr;
        let (m1, x1, y1) = if green {
            (mg, gxx[x], gyy[x])
        } else {
            (mr, rx[x], ry[x])
        };
        let blue = mb > m1;
        best[x] = if blue { mb } else { m1 };
        gx[x] = if blue { bx[x] } else { x1 };
        gy[x] = if blue { by[x] } else { y1 };
    }
}

/// Rec. 601 luma, as JPEG and webcams' YUV encode it at full resolution.
pub const LUMA_WEIGHTS: [f32; 3] = [0.299, 0.587, 0.114];

/// Rec. 601 luma in 16.16 fixed point (the weights sum to exactly 1.0, so white stays 255).
pub fn luma_of(px: [u8; 3]) -> u8 {
    ((px[0] as u32 * 19_595 + px[1] as u32 * 38_470 + px[2] as u32 * 7_471 + (1 << 15)) >> 16) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_downscale_averages_and_maps_coordinates() {
        let frame = RgbImage::from_fn(1280, 720, |x, _| {
            if x < 640 {
                image::Rgb([0, 0, 0])
            } else {
                image::Rgb([200, 100, 50])
            }
        });
        let mut w = WorkImage::default();
        w.rebuild(&frame, 640);
        assert_eq!((w.width, w.height, w.scale), (640, 360, 2));
        assert_eq!(w.rgb[w.idx(400, 10)], [200, 100, 50]);
        assert_eq!(w.to_full(0.0, 0.0), (0.5, 0.5));
        // The step at x = 640 full (319.5..320 work) is an edge; flat areas are not.
        assert!((318..=321).any(|x| w.edge[w.idx(x, 100)] == 1));
        assert_eq!(w.edge[w.idx(100, 100)], 0);
    }

    #[test]
    fn nearest_pixel_rounds_as_the_library_does() {
        let len = 640;
        let edge = len as f32 - 0.5;
        let mut values = vec![
            -1.0,
            -0.5,
            -0.499_999_97,
            -0.0,
            0.0,
            0.499_999_97,
            0.5,
            1.5,
            2.5,
            edge.next_down(),
            edge,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
        ];
        values
            .extend((-200..(len as i32 * 8 + 200)).map(|k| k as f32 / 8.0 + 0.01 * (k % 3) as f32));
        for v in values {
            let r = v.round();
            let expected = (!(r < 0.0 || r >= len as f32)).then_some(r as usize);
            assert_eq!(nearest_pixel(v, len), expected, "{v}");
        }
    }

    /// A step of two grey levels in a dark frame is below the edge threshold's floor; the
    /// brightened copy stretches the frame's levels over the full range and finds the step's edge,
    /// at the same place and scale.
    #[test]
    fn the_brightened_copy_stretches_a_faint_dark_step_into_an_edge() {
        let frame = RgbImage::from_fn(640, 360, |x, _| {
            let v = if x < 300 { 10 } else { 12 };
            image::Rgb([v, v, v])
        });
        let mut plain = WorkImage::default();
        plain.rebuild(&frame, 640);
        assert!(
            plain.edge_points.is_empty(),
            "a two-level step is no edge as it is"
        );
        let mut bright = WorkImage::default();
        bright.rebuild_brightened(&plain, 8);
        assert_eq!(
            (bright.width, bright.height, bright.scale),
            (plain.width, plain.height, plain.scale)
        );
        assert_eq!(bright.luma[bright.idx(100, 180)], 0);
        assert_eq!(bright.luma[bright.idx(500, 180)], 255);
        let columns: Vec<u32> = bright.edge_points.iter().map(|&(x, _)| x).collect();
        assert!(columns.len() >= 300, "{} edge pixels", columns.len());
        assert!(
            columns.iter().all(|&x| (299..=300).contains(&x)),
            "{columns:?}"
        );
    }

    #[test]
    fn the_brightened_copy_follows_a_side_whose_step_fades_under_the_threshold() {
        // A dim desk (20) and a card's side: a step of 4 levels in the top half, over the
        // threshold's floor, fading to 2 in the bottom half, under it. A black and a white patch
        // pin the stretch to the identity; nothing else moves, so the threshold is its floor.
        let frame = RgbImage::from_fn(640, 360, |x, y| {
            let v = match (x, y) {
                (0..40, 0..40) => 0,
                (600.., 0..40) => 255,
                (320.., 0..180) => 24,
                (320.., _) => 22,
                _ => 20,
            };
            image::Rgb([v, v, v])
        });
        let mut plain = WorkImage::default();
        plain.rebuild(&frame, 640);
        let mut bright = WorkImage::default();
        bright.rebuild_brightened(&plain, 0);
        let on_side = |x: u32| (319..=320).contains(&x);
        let rows_in = |work: &WorkImage, from: u32, to: u32| {
            let points = work.edge_points.iter();
            let mut rows: Vec<u32> = points
                .filter(|&&(x, y)| on_side(x) && (from..to).contains(&y))
                .map(|&(_, y)| y)
                .collect();
            rows.dedup();
            rows.len()
        };
        // The faint half shows in neither copy on its own: only as the strong half's chain.
        assert_eq!(rows_in(&plain, 200, 340), 0);
        assert!(rows_in(&bright, 50, 170) >= 115);
        assert!(
            rows_in(&bright, 190, 340) >= 145,
            "{} of 150 rows",
            rows_in(&bright, 190, 340)
        );
        // Weak pixels with no strong one to join stay out: the other edges are the patches' sides
        // and the faint step between the side's halves, which meets the chain.
        let patch_or_halves = |x: u32, y: u32| {
            (y <= 41 && (x <= 41 || x >= 598)) || (x >= 319 && (179..=180).contains(&y))
        };
        let strays: Vec<_> = bright
            .edge_points
            .iter()
            .filter(|&&(x, y)| !on_side(x) && !patch_or_halves(x, y))
            .collect();
        assert!(strays.is_empty(), "{strays:?}");
    }

    #[test]
    fn the_coarser_copy_averages_the_finer_and_maps_to_the_same_full_coordinates() {
        let frame = RgbImage::from_fn(1920, 1080, |x, y| {
            let v = ((x / 7 + y / 5) % 2 * 200) as u8;
            image::Rgb([v, v / 2, 255 - v])
        });
        let mut fine = WorkImage::default();
        fine.rebuild(&frame, 640);
        let mut coarse = WorkImage::default();
        coarse.rebuild_coarser(&fine, 2);
        assert_eq!((coarse.width, coarse.height, coarse.scale), (320, 180, 6));
        // A coarse pixel is the mean of its 2 x 2 fine pixels.
        for (x, y) in [(0, 0), (101, 57), (319, 179)] {
            let block = [(0, 0), (1, 0), (0, 1), (1, 1)]
                .map(|(dx, dy)| fine.rgb[fine.idx(2 * x + dx, 2 * y + dy)]);
            for ch in 0..3 {
                let mean = block.iter().map(|p| p[ch] as f32).sum::<f32>() / 4.0;
                let got = coarse.rgb[coarse.idx(x, y)][ch] as f32;
                assert!(
                    (got - mean).abs() <= 0.5,
                    "({x},{y}) ch {ch}: {got} vs {mean}"
                );
            }
        }
        // Both copies put the same full-resolution point at the same place.
        let (fx, fy) = fine.to_full(201.5, 99.5);
        assert_eq!(coarse.to_full(100.5, 49.5), (fx, fy));
    }

    /// The copy of the passes that runs on this machine (AVX2 where it has it) and the copy for
    /// any CPU give the same working image, at every block size (the inlined kernels differ by
    /// block size). Without AVX2 both calls run the same copy.
    #[test]
    fn the_wide_copy_of_the_passes_matches_the_portable_one() {
        use crate::scene::{Background, SceneSpec, render};
        for (width, height, long_side) in [(1280, 720, 640), (1920, 1080, 640), (1000, 700, 200)] {
            let frame = render(&SceneSpec {
                width,
                height,
                background: Background::Wood,
                ..SceneSpec::default()
            })
            .image;
            let mut dispatched = WorkImage::default();
            dispatched.rebuild(&frame, long_side);
            // The portable copy from empty buffers, at the size `rebuild` chose.
            let mut portable = WorkImage {
                width: dispatched.width,
                height: dispatched.height,
                scale: dispatched.scale,
                ..WorkImage::default()
            };
            portable.passes(frame.as_raw(), width as usize * 3, dispatched.scale);
            assert!(
                dispatched.edge_points.len() > 1000,
                "{width}x{height}: too few edges"
            );
            let same = |a: &WorkImage, b: &WorkImage| {
                a.rgb == b.rgb
                    && a.luma == b.luma
                    && (&a.gx, &a.gy) == (&b.gx, &b.gy)
                    && (&a.edge, &a.edge_points) == (&b.edge, &b.edge_points)
            };
            assert!(
                same(&dispatched, &portable),
                "{width}x{height} / {long_side}"
            );
            let mut coarse = WorkImage::default();
            coarse.rebuild_coarser(&dispatched, 2);
            let mut coarse_portable = WorkImage {
                width: coarse.width,
                height: coarse.height,
                scale: coarse.scale,
                ..WorkImage::default()
            };
            coarse_portable.passes(dispatched.rgb.as_flattened(), dispatched.width * 3, 2);
            assert!(same(&coarse, &coarse_portable), "{width}x{height} coarser");
        }
    }
}
