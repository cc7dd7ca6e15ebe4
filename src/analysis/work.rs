//! The working copy of a frame: an integer box-downscale and its colour gradient and edge map.
//!
//! Locating the document needs only a few hundred pixels across; the full-resolution frame is
//! revisited only along the found edges (refinement, focus) and inside the found outline.

use image::RgbImage;

/// An edge pixel survives non-maximum suppression and this many multiples of the frame's typical
/// (median) gradient: adapts to sensor noise without a fixed contrast threshold.
const EDGE_NOISE_FACTOR: i32 = 2;
/// The least Sobel magnitude counted as an edge (a step of ~4 grey levels).
const EDGE_MIN_MAGNITUDE: i32 = 12;

/// Downscaled RGB frame plus per-pixel colour gradient. Buffers are reused across frames.
#[derive(Debug, Default)]
pub struct WorkImage {
    pub width: usize,
    pub height: usize,
    /// Full-resolution pixels per working pixel (integer box factor).
    pub scale: usize,
    pub rgb: Vec<[u8; 3]>,
    pub luma: Vec<u8>,
    /// Sobel derivatives of the colour channel with the strongest response at each pixel.
    pub gx: Vec<i16>,
    pub gy: Vec<i16>,
    /// 1 where a non-maximum-suppressed edge passes the adaptive threshold.
    pub edge: Vec<u8>,
    smooth: Vec<[u8; 3]>,
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
        self.downscale(frame);
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

    pub fn magnitude_sq(&self, i: usize) -> i32 {
        let (gx, gy) = (self.gx[i] as i32, self.gy[i] as i32);
        gx * gx + gy * gy
    }

    fn downscale(&mut self, frame: &RgbImage) {
        let (w, h, s) = (self.width, self.height, self.scale);
        let n = w * h;
        self.rgb.clear();
        self.rgb.resize(n, [0; 3]);
        self.luma.clear();
        self.luma.resize(n, 0);
        let raw = frame.as_raw();
        let stride = frame.width() as usize * 3;
        let count = (s * s) as u32;
        let mut acc = vec![[0u32; 3]; w];
        for y in 0..h {
            acc.iter_mut().for_each(|a| *a = [0; 3]);
            for sy in 0..s {
                let row_start = (y * s + sy) * stride;
                let Some(row) = raw.get(row_start..row_start + w * s * 3) else {
                    continue;
                };
                for (x, a) in acc.iter_mut().enumerate() {
                    let block = &row[x * s * 3..(x + 1) * s * 3];
                    for px in block.chunks_exact(3) {
                        a[0] += px[0] as u32;
                        a[1] += px[1] as u32;
                        a[2] += px[2] as u32;
                    }
                }
            }
            let out = &mut self.rgb[y * w..(y + 1) * w];
            let luma = &mut self.luma[y * w..(y + 1) * w];
            for ((o, l), a) in out.iter_mut().zip(luma.iter_mut()).zip(&acc) {
                let px = [
                    ((a[0] + count / 2) / count) as u8,
                    ((a[1] + count / 2) / count) as u8,
                    ((a[2] + count / 2) / count) as u8,
                ];
                *o = px;
                *l = luma_of(px);
            }
        }
    }

    fn gradient(&mut self) {
        let (w, h) = (self.width, self.height);
        let n = w * h;
        self.gx.clear();
        self.gx.resize(n, 0);
        self.gy.clear();
        self.gy.resize(n, 0);
        if w < 3 || h < 3 {
            return;
        }
        // A 1-2-1 binomial pre-smoothing: sensor noise in dark frames otherwise breaks up faint
        // document edges into dots that no longer line up.
        self.smooth.clear();
        self.smooth.extend_from_slice(&self.rgb);
        for y in 1..h - 1 {
            for x in 1..w - 1 {
                let i = y * w + x;
                let mut out = [0u8; 3];
                for (ch, o) in out.iter_mut().enumerate() {
                    let at = |j: usize| self.rgb[j][ch] as u32;
                    let sum = at(i - w - 1)
                        + 2 * at(i - w)
                        + at(i - w + 1)
                        + 2 * at(i - 1)
                        + 4 * at(i)
                        + 2 * at(i + 1)
                        + at(i + w - 1)
                        + 2 * at(i + w)
                        + at(i + w + 1);
                    *o = ((sum + 8) / 16) as u8;
                }
                self.smooth[i] = out;
            }
        }
        let p = &self.smooth;
        for y in 1..h - 1 {
            for x in 1..w - 1 {
                let i = y * w + x;
                let (a, b, c) = (p[i - w - 1], p[i - w], p[i - w + 1]);
                let (d, f) = (p[i - 1], p[i + 1]);
                let (g, hh, k) = (p[i + w - 1], p[i + w], p[i + w + 1]);
                let mut best = (0i32, 0i32, -1i32);
                for ch in 0..3 {
                    let sx = (c[ch] as i32 + 2 * f[ch] as i32 + k[ch] as i32)
                        - (a[ch] as i32 + 2 * d[ch] as i32 + g[ch] as i32);
                    let sy = (g[ch] as i32 + 2 * hh[ch] as i32 + k[ch] as i32)
                        - (a[ch] as i32 + 2 * b[ch] as i32 + c[ch] as i32);
                    let m = sx * sx + sy * sy;
                    if m > best.2 {
                        best = (sx, sy, m);
                    }
                }
                self.gx[i] = best.0 as i16;
                self.gy[i] = best.1 as i16;
            }
        }
    }

    fn edges(&mut self) {
        let (w, h) = (self.width, self.height);
        let n = w * h;
        self.edge.clear();
        self.edge.resize(n, 0);
        if w < 3 || h < 3 {
            return;
        }
        // Median magnitude by histogram (Sobel magnitudes are below 1500).
        self.histogram.clear();
        self.histogram.resize(1500, 0);
        for i in 0..n {
            let m = (self.magnitude_sq(i) as f32).sqrt() as usize;
            self.histogram[m.min(1499)] += 1;
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
        for y in 1..h - 1 {
            for x in 1..w - 1 {
                let i = y * w + x;
                let m = self.magnitude_sq(i);
                if m < t2 {
                    continue;
                }
                let (gx, gy) = (self.gx[i] as i32, self.gy[i] as i32);
                // Neighbours along the gradient, quantised to 4 directions (tan 22.5 ~ 0.414).
                let (ax, ay) = (gx.abs(), gy.abs());
                let (o1, o2) = if ay * 1000 <= ax * 414 {
                    (i - 1, i + 1)
                } else if ax * 1000 <= ay * 414 {
                    (i - w, i + w)
                } else if (gx > 0) == (gy > 0) {
                    (i - w - 1, i + w + 1)
                } else {
                    (i - w + 1, i + w - 1)
                };
                if m >= self.magnitude_sq(o1) && m > self.magnitude_sq(o2) {
                    self.edge[i] = 1;
                }
            }
        }
    }
}

/// Rec. 601 luma in integer arithmetic.
pub fn luma_of(px: [u8; 3]) -> u8 {
    ((px[0] as u32 * 299 + px[1] as u32 * 587 + px[2] as u32 * 114 + 500) / 1000) as u8
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
}
