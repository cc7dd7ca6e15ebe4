//! The working copy of a frame: an integer box-downscale and its colour gradient and edge map.
//!
//! Locating the document needs only a few hundred pixels across; the full-resolution frame is
//! revisited only along the found edges (refinement, focus) and inside the found outline.
//!
//! Every pass works on whole rows of plain integer slices so the compiler can vectorise it: this is
//! the one step that touches every pixel of the frame, 30 times a second.

use image::RgbImage;

/// An edge pixel survives non-maximum suppression and this many multiples of the frame's typical
/// (median) gradient: adapts to sensor noise without a fixed contrast threshold.
const EDGE_NOISE_FACTOR: i32 = 2;
/// The least gradient magnitude counted as an edge (a step of ~4 grey levels).
const EDGE_MIN_MAGNITUDE: i32 = 12;
/// Gradient magnitudes are below this (a full black-white step gives 4 x 255 per axis).
const MAGNITUDE_LIMIT: usize = 1500;

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
    /// Gradient magnitude, rounded down.
    pub magnitude: Vec<u16>,
    /// 1 where a non-maximum-suppressed edge passes the adaptive threshold.
    pub edge: Vec<u8>,
    /// Scratch sums: column sums of `scale` rows when downscaling (u16 holds 257 rows of 255,
    /// far beyond any frame's scale), row sums when smoothing.
    row_sums: Vec<u16>,
    channel: Vec<u8>,
    along: Vec<i16>,
    across: Vec<i16>,
    smooth: Vec<u8>,
    row_gx: Vec<i16>,
    row_gy: Vec<i16>,
    best: Vec<i32>,
    histogram: Vec<u32>,
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
        self.downscale(frame.as_raw(), fw * 3, scale);
        self.gradient();
        self.edges();
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

    pub fn idx(&self, x: usize, y: usize) -> usize {
        y * self.width + x
    }

    /// Luma of the working pixel nearest to `p`, or None outside the image.
    pub fn luma_at(&self, p: (f32, f32)) -> Option<u8> {
        let (x, y) = (p.0.round(), p.1.round());
        if x < 0.0 || y < 0.0 || x >= self.width as f32 || y >= self.height as f32 {
            return None;
        }
        self.luma.get(self.idx(x as usize, y as usize)).copied()
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
        self.downscale(finer.rgb.as_flattened(), finer.width * 3, factor);
        self.gradient();
        self.edges();
    }

    /// Box average of each `factor` x `factor` block of the packed RGB rows in `raw`: rows are
    /// summed first (a straight vector add), then each block's columns.
    fn downscale(&mut self, raw: &[u8], stride: usize, factor: usize) {
        let (w, h, s) = (self.width, self.height, factor);
        let n = w * h;
        // Every pixel is written below: resizing without clearing saves a pass over the buffers.
        self.rgb.resize(n, [0; 3]);
        self.luma.resize(n, 0);
        let used = w * s * 3;
        self.row_sums.clear();
        self.row_sums.resize(used, 0);
        for y in 0..h {
            self.row_sums.iter_mut().for_each(|a| *a = 0);
            for sy in 0..s {
                let start = (y * s + sy) * stride;
                let Some(row) = raw.get(start..start + used) else {
                    continue;
                };
                for (a, &v) in self.row_sums.iter_mut().zip(row) {
                    *a = a.saturating_add(v as u16);
                }
            }
            let out = &mut self.rgb[y * w..(y + 1) * w];
            // The block width is a constant in the common cases so the column sums unroll.
            match s {
                1 => average_blocks::<1>(&self.row_sums, out),
                2 => average_blocks::<2>(&self.row_sums, out),
                3 => average_blocks::<3>(&self.row_sums, out),
                4 => average_blocks::<4>(&self.row_sums, out),
                _ => average_blocks_any(&self.row_sums, s, out),
            }
        }
        for (l, &px) in self.luma.iter_mut().zip(&self.rgb) {
            *l = luma_of(px);
        }
    }

    /// Per channel, a 1-2-1 binomial smoothing then the Sobel derivatives, both separable; each
    /// pixel keeps the channel with the strongest response, so a card that differs from the desk
    /// only in colour still has edges. The smoothing keeps sensor noise in dark frames from
    /// breaking faint document edges into dots that no longer line up.
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
        // Every cell that is read is written first: no need to clear these each frame.
        for buf in [&mut self.across, &mut self.along] {
            buf.resize(3 * n, 0);
        }
        for ch in 0..3 {
            self.channel.clear();
            self.channel.extend(self.rgb.iter().map(|px| px[ch]));
            smooth_121(&self.channel, w, &mut self.row_sums, &mut self.smooth);
            // Sobel, separably: [1 2 1] down the columns for the x-derivative, along the rows for
            // the y-derivative; the differences are taken row by row below.
            let plane = ch * n..(ch + 1) * n;
            let (across, along) = (&mut self.across[plane.clone()], &mut self.along[plane]);
            for y in 1..h - 1 {
                let rows = &self.smooth[(y - 1) * w..(y + 2) * w];
                let (up, mid, down) = (&rows[..w], &rows[w..2 * w], &rows[2 * w..]);
                for (x, out) in across[y * w..(y + 1) * w].iter_mut().enumerate() {
                    *out = up[x] as i16 + 2 * mid[x] as i16 + down[x] as i16;
                }
            }
            for (row, out) in self.smooth.chunks_exact(w).zip(along.chunks_exact_mut(w)) {
                for (x, o) in out[1..w - 1].iter_mut().enumerate() {
                    *o = row[x] as i16 + 2 * row[x + 1] as i16 + row[x + 2] as i16;
                }
            }
        }
        let inner = w - 2;
        for buf in [&mut self.row_gx, &mut self.row_gy] {
            buf.clear();
            buf.resize(3 * inner, 0);
        }
        for y in 1..h - 1 {
            for ch in 0..3 {
                let plane = ch * n;
                let across = &self.across[plane + y * w..plane + (y + 1) * w];
                let above = &self.along[plane + (y - 1) * w + 1..plane + y * w - 1];
                let below = &self.along[plane + (y + 1) * w + 1..plane + (y + 2) * w - 1];
                let out = ch * inner..(ch + 1) * inner;
                let (gx, gy) = (&mut self.row_gx[out.clone()], &mut self.row_gy[out]);
                for (x, (gx, gy)) in gx.iter_mut().zip(gy.iter_mut()).enumerate() {
                    *gx = across[x + 2] - across[x];
                    *gy = below[x] - above[x];
                }
            }
            let line = y * w + 1..(y + 1) * w - 1;
            strongest_channel(
                &self.row_gx,
                &self.row_gy,
                &mut self.gx[line.clone()],
                &mut self.gy[line.clone()],
                &mut self.best[line],
            );
        }
    }

    fn edges(&mut self) {
        let (w, h) = (self.width, self.height);
        let n = w * h;
        self.edge.clear();
        self.edge.resize(n, 0);
        self.magnitude.clear();
        self.magnitude
            .extend(self.best.iter().map(|&m| (m.max(0) as f32).sqrt() as u16));
        if w < 3 || h < 3 {
            return;
        }
        // Median magnitude by histogram.
        self.histogram.clear();
        self.histogram.resize(MAGNITUDE_LIMIT, 0);
        for &m in &self.magnitude {
            if let Some(bin) = self
                .histogram
                .get_mut((m as usize).min(MAGNITUDE_LIMIT - 1))
            {
                *bin += 1;
            }
        }
        let mut seen = 0u32;
        let mut median = 0i32;
        for (m, &c) in self.histogram.iter().enumerate() {
            seen += c;
            if seen * 2 >= n as u32 {
                median = m as i32;
                break;
            }
        }
        let threshold = (EDGE_NOISE_FACTOR * median).max(EDGE_MIN_MAGNITUDE);
        let t2 = threshold * threshold;
        // Row by row, each pixel with its 3x3 neighbourhood as windows over the row and the rows
        // above and below (no indexing in the inner loop).
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
                if m < t2 {
                    continue;
                }
                let (gx, gy) = (gx as i32, gy as i32);
                // Neighbours along the gradient, quantised to 4 directions (tan 22.5 ~ 0.414).
                let (ax, ay) = (gx.abs(), gy.abs());
                let (n1, n2) = if ay * 1000 <= ax * 414 {
                    (r0, r2)
                } else if ax * 1000 <= ay * 414 {
                    (a1, b1)
                } else if (gx > 0) == (gy > 0) {
                    (a0, b2)
                } else {
                    (a2, b0)
                };
                if m >= n1 && m > n2 {
                    *e = 1;
                }
            }
        }
    }
}

/// Averages each `S`-pixel block of a row of column sums (over `S` rows) into one pixel.
fn average_blocks<const S: usize>(sums: &[u16], out: &mut [[u8; 3]]) {
    let inverse = block_inverse(S);
    for (o, block) in out.iter_mut().zip(sums.chunks_exact(S * 3)) {
        let mut sum = [0u32; 3];
        for k in 0..S {
            for (c, total) in sum.iter_mut().enumerate() {
                *total += block[k * 3 + c] as u32;
            }
        }
        *o = sum.map(|v| average(v, inverse));
    }
}

fn average_blocks_any(sums: &[u16], s: usize, out: &mut [[u8; 3]]) {
    let inverse = block_inverse(s);
    for (o, block) in out.iter_mut().zip(sums.chunks_exact(s * 3)) {
        let mut sum = [0u32; 3];
        for px in block.chunks_exact(3) {
            for (total, &v) in sum.iter_mut().zip(px) {
                *total += v as u32;
            }
        }
        *o = sum.map(|v| average(v, inverse));
    }
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

/// 1-2-1 binomial smoothing of a `width`-wide plane, rounded; the outermost pixels are copied.
fn smooth_121(src: &[u8], width: usize, row_sums: &mut Vec<u16>, out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(src);
    let height = src.len() / width.max(1);
    if width < 3 || height < 3 {
        return;
    }
    // Horizontal sums of every row, then the vertical sum of three of them. Only the sums that
    // are written are read: no clearing needed.
    row_sums.resize(src.len(), 0);
    for (row, sums) in src
        .chunks_exact(width)
        .zip(row_sums.chunks_exact_mut(width))
    {
        for (x, s) in sums[1..width - 1].iter_mut().enumerate() {
            *s = row[x] as u16 + 2 * row[x + 1] as u16 + row[x + 2] as u16;
        }
    }
    for y in 1..height - 1 {
        let sums = &row_sums[(y - 1) * width..(y + 2) * width];
        let (up, mid, down) = (&sums[..width], &sums[width..2 * width], &sums[2 * width..]);
        let row = &mut out[y * width + 1..(y + 1) * width - 1];
        for (x, o) in row.iter_mut().enumerate() {
            *o = ((up[x + 1] + 2 * mid[x + 1] + down[x + 1] + 8) / 16) as u8;
        }
    }
}

/// Per pixel, the channel with the largest squared gradient (R, G, B: `gx_rows` and `gy_rows` hold
/// the three channels' rows one after another). Branch-free so it vectorises.
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
}
