//! Whole-frame optics and sensor: sRGB transfer, defocus, motion blur and noise on a linear-light
//! RGB buffer (one `[f32; 3]` per pixel, row-major).

use std::sync::OnceLock;

use image::RgbImage;
use rayon::prelude::*;

use super::rng::mix;

pub type Px = [f32; 3];

/// Below this sigma / length (pixels) a blur changes nothing visible and is skipped.
const MIN_BLUR_PX: f32 = 0.05;
/// Gaussian kernels reach this many sigmas on each side.
const KERNEL_SIGMAS: f32 = 3.0;
/// Above this sigma three fractional box passes replace the direct kernel (cost independent of
/// sigma, same variance).
const BOX_BLUR_FROM_SIGMA: f32 = 3.0;
/// Entries of the linear-to-sRGB table over [0, 1].
const ENCODE_TABLE: usize = 4096;

fn srgb_to_linear_exact(c: f32) -> f32 {
    if c <= 0.04045 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

fn linear_to_srgb_exact(l: f32) -> f32 {
    if l <= 0.003_130_8 {
        l * 12.92
    } else {
        1.055 * l.powf(1.0 / 2.4) - 0.055
    }
}

/// sRGB byte to linear light in [0, 1].
pub fn decode_lut() -> &'static [f32; 256] {
    static LUT: OnceLock<[f32; 256]> = OnceLock::new();
    LUT.get_or_init(|| std::array::from_fn(|i| srgb_to_linear_exact(i as f32 / 255.0)))
}

fn encode_table() -> &'static [f32] {
    static LUT: OnceLock<Vec<f32>> = OnceLock::new();
    LUT.get_or_init(|| {
        (0..=ENCODE_TABLE)
            .map(|i| 255.0 * linear_to_srgb_exact(i as f32 / ENCODE_TABLE as f32))
            .collect()
    })
}

/// Linear light to an sRGB level in [0, 255] (clipping above 1).
pub fn encode(l: f32, table: &[f32]) -> f32 {
    let x = l.clamp(0.0, 1.0) * ENCODE_TABLE as f32;
    let i = (x as usize).min(ENCODE_TABLE - 1);
    let t = x - i as f32;
    let a = table.get(i).copied().unwrap_or(255.0);
    let b = table.get(i + 1).copied().unwrap_or(255.0);
    a + (b - a) * t
}

pub fn decode(c: u8) -> f32 {
    decode_lut()[c as usize]
}

/// Unit-variance triangular deviate from the low 32 bits (sum of two 16-bit uniforms).
fn triangular(bits: u64) -> f32 {
    let (a, b) = ((bits & 0xFFFF) as f32, ((bits >> 16) & 0xFFFF) as f32);
    ((a + b) / 65536.0 - 1.0) * 6f32.sqrt()
}

/// Defocus: a Gaussian of `sigma` pixels, separable, borders clamped.
pub fn gaussian_blur(buf: &mut [Px], w: usize, h: usize, sigma: f32) {
    if sigma < MIN_BLUR_PX || w == 0 || h == 0 || buf.len() != w * h {
        return;
    }
    let mut tmp = vec![[0.0f32; 3]; w * h];
    if sigma <= BOX_BLUR_FROM_SIGMA {
        let k = gaussian_kernel(sigma);
        rows_pass(buf, &mut tmp, w, |row, out| convolve_row(row, out, &k));
        cols_pass(&tmp, buf, w, h, &k);
    } else {
        // Three box passes of variance sigma^2/3 each make a near-Gaussian of variance sigma^2.
        let (l, alpha) = fractional_box(sigma * sigma / 3.0);
        for _ in 0..3 {
            rows_pass(buf, &mut tmp, w, |row, out| box_row(row, out, l, alpha));
            buf.copy_from_slice(&tmp);
        }
        transpose(buf, &mut tmp, w, h);
        let mut back = vec![[0.0f32; 3]; w * h];
        for _ in 0..3 {
            rows_pass(&tmp, &mut back, h, |row, out| box_row(row, out, l, alpha));
            tmp.copy_from_slice(&back);
        }
        transpose(&tmp, buf, h, w);
    }
}

fn gaussian_kernel(sigma: f32) -> Vec<f32> {
    let r = (KERNEL_SIGMAS * sigma).ceil().max(1.0) as i32;
    let k: Vec<f32> = (-r..=r)
        .map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp())
        .collect();
    let s: f32 = k.iter().sum();
    k.into_iter().map(|v| v / s).collect()
}

/// Box of half-width `l` plus weight `alpha` on the two taps beyond, whose variance is `var`.
fn fractional_box(var: f32) -> (usize, f32) {
    // Largest integer half-width whose plain box variance l(l+1)/3 does not exceed var.
    let mut l = 0usize;
    while ((l + 1) * (l + 2)) as f32 / 3.0 <= var {
        l += 1;
    }
    let lf = l as f32;
    let n = lf * (lf + 1.0) * (2.0 * lf + 1.0) / 3.0;
    let m = (lf + 1.0) * (lf + 1.0);
    // var = (n + 2 alpha m) / (2l + 1 + 2 alpha), solved for alpha.
    let alpha = ((var * (2.0 * lf + 1.0) - n) / (2.0 * m - 2.0 * var)).clamp(0.0, 1.0);
    (l, alpha)
}

fn rows_pass(src: &[Px], dst: &mut [Px], w: usize, f: impl Fn(&[Px], &mut [Px]) + Sync) {
    dst.par_chunks_mut(w)
        .zip(src.par_chunks(w))
        .for_each(|(out, row)| f(row, out));
}

fn padded(row: &[Px], r: usize) -> Vec<Px> {
    let first = row.first().copied().unwrap_or_default();
    let last = row.last().copied().unwrap_or_default();
    let mut p = Vec::with_capacity(row.len() + 2 * r);
    p.extend(std::iter::repeat_n(first, r));
    p.extend_from_slice(row);
    p.extend(std::iter::repeat_n(last, r));
    p
}

fn convolve_row(row: &[Px], out: &mut [Px], k: &[f32]) {
    let r = k.len() / 2;
    let p = padded(row, r);
    // One tap at a time over the flat channels (vectorised), each pixel summing in tap order.
    let out = out.as_flattened_mut();
    out.fill(0.0);
    for (i, kv) in k.iter().enumerate() {
        let Some(taps) = p.get(i..i + row.len()) else {
            continue;
        };
        for (o, s) in out.iter_mut().zip(taps.as_flattened()) {
            *o += kv * s;
        }
    }
}

fn box_row(row: &[Px], out: &mut [Px], l: usize, alpha: f32) {
    let r = l + 1;
    let p = padded(row, r + 1);
    let norm = 1.0 / (2.0 * l as f32 + 1.0 + 2.0 * alpha);
    // Running sum over the inner 2l+1 taps, centred at padded index x + r + 1.
    let mut sum = [0.0f32; 3];
    for s in &p[2..2 * l + 3] {
        for c in 0..3 {
            sum[c] += s[c];
        }
    }
    for (x, o) in out.iter_mut().enumerate() {
        let centre = x + r + 1;
        let (outer_lo, outer_hi) = (p[centre - l - 1], p[centre + l + 1]);
        for c in 0..3 {
            o[c] = (sum[c] + alpha * (outer_lo[c] + outer_hi[c])) * norm;
        }
        // Slide the window one step right.
        let (leaving, entering) = (p[centre - l], p[(centre + l + 1).min(p.len() - 1)]);
        for c in 0..3 {
            sum[c] += entering[c] - leaving[c];
        }
    }
}

fn cols_pass(src: &[Px], dst: &mut [Px], w: usize, h: usize, k: &[f32]) {
    let r = (k.len() / 2) as isize;
    dst.par_chunks_mut(w).enumerate().for_each(|(y, out)| {
        out.iter_mut().for_each(|o| *o = [0.0; 3]);
        for (i, kv) in k.iter().enumerate() {
            let sy = (y as isize + i as isize - r).clamp(0, h as isize - 1) as usize;
            let Some(row) = src.get(sy * w..(sy + 1) * w) else {
                continue;
            };
            for (o, s) in out.as_flattened_mut().iter_mut().zip(row.as_flattened()) {
                *o += kv * s;
            }
        }
    });
}

fn transpose(src: &[Px], dst: &mut [Px], w: usize, h: usize) {
    dst.par_chunks_mut(h).enumerate().for_each(|(x, col)| {
        for (y, d) in col.iter_mut().enumerate() {
            *d = src.get(y * w + x).copied().unwrap_or_default();
        }
    });
}

/// Linear motion blur: the average of the frame shifted along a segment `len` pixels long.
pub fn motion_blur(buf: &mut [Px], w: usize, h: usize, len: f32, angle_deg: f32) {
    if len < MIN_BLUR_PX || w == 0 || h == 0 || buf.len() != w * h {
        return;
    }
    let n = (len.ceil() as usize + 1).max(2);
    let (dx, dy) = (angle_deg.to_radians().cos(), angle_deg.to_radians().sin());
    let offsets: Vec<(f32, f32)> = (0..n)
        .map(|k| {
            let t = (k as f32 / (n - 1) as f32 - 0.5) * len;
            (t * dx, t * dy)
        })
        .collect();
    let weight = 1.0 / n as f32;
    let src = buf.to_vec();
    buf.par_chunks_mut(w).enumerate().for_each(|(y, out)| {
        out.iter_mut().for_each(|o| *o = [0.0; 3]);
        for &(ox, oy) in &offsets {
            let (fx, fy) = (ox.floor(), (y as f32 + oy).floor());
            let (tx, ty) = (ox - fx, y as f32 + oy - fy);
            let y0 = (fy as isize).clamp(0, h as isize - 1) as usize;
            let y1 = (fy as isize + 1).clamp(0, h as isize - 1) as usize;
            let (Some(r0), Some(r1)) =
                (src.get(y0 * w..(y0 + 1) * w), src.get(y1 * w..(y1 + 1) * w))
            else {
                continue;
            };
            let weights = [
                (1.0 - tx) * (1.0 - ty),
                tx * (1.0 - ty),
                (1.0 - tx) * ty,
                tx * ty,
            ]
            .map(|v| v * weight);
            add_shifted_bilinear(out, r0, r1, fx as isize, weights);
        }
    });
}

/// Adds to each `out[x]` the four taps `r0[x + shift]`, `r0[x + shift + 1]`, `r1[x + shift]`,
/// `r1[x + shift + 1]` (indices clamped to the row) with their `weights`. The middle of the row,
/// where no index needs clamping, runs over flat channel slices the compiler vectorises.
fn add_shifted_bilinear(out: &mut [Px], r0: &[Px], r1: &[Px], shift: isize, weights: [f32; 4]) {
    let w = out.len();
    if w == 0 || r0.len() != w || r1.len() != w {
        return;
    }
    let add = |o: &mut Px, taps: [&Px; 4]| {
        for (s, wt) in taps.into_iter().zip(weights) {
            o[0] += wt * s[0];
            o[1] += wt * s[1];
            o[2] += wt * s[2];
        }
    };
    let last = w as isize - 1;
    // x + shift >= 0 and x + shift + 1 <= last.
    let lo = (-shift).clamp(0, w as isize) as usize;
    let hi = (last - shift).clamp(lo as isize, w as isize) as usize;
    let clamped = |x: usize, plus: isize| (x as isize + shift + plus).clamp(0, last) as usize;
    for x in (0..lo).chain(hi..w) {
        let (x0, x1) = (clamped(x, 0), clamped(x, 1));
        if let (Some(o), Some(a), Some(b), Some(c), Some(d)) = (
            out.get_mut(x),
            r0.get(x0),
            r0.get(x1),
            r1.get(x0),
            r1.get(x1),
        ) {
            add(o, [a, b, c, d]);
        }
    }
    let start = clamped(lo, 0);
    let n = hi - lo;
    if let (Some(o), Some(a), Some(b), Some(c), Some(d)) = (
        out.get_mut(lo..hi),
        r0.get(start..start + n),
        r0.get(start + 1..start + 1 + n),
        r1.get(start..start + n),
        r1.get(start + 1..start + 1 + n),
    ) {
        // One tap at a time over the flat channels keeps each pixel's order of additions.
        let o = o.as_flattened_mut();
        for (tap, wt) in [a, b, c, d].into_iter().zip(weights) {
            for (o, s) in o.iter_mut().zip(tap.as_flattened()) {
                *o += wt * s;
            }
        }
    }
}

/// Encodes linear light to 8-bit sRGB and adds sensor noise of `noise_std` levels (per channel,
/// plus a shared luma part as real sensors show after demosaicing).
pub fn encode_with_noise(buf: &[Px], w: usize, h: usize, noise_std: f32, seed: u64) -> RgbImage {
    let table = encode_table();
    let mut raw = vec![0u8; w * h * 3];
    let noise = noise_std.max(0.0);
    raw.par_chunks_mut(w * 3)
        .zip(buf.par_chunks(w))
        .enumerate()
        .for_each(|(y, (out, row))| {
            let mut state = mix(seed ^ (y as u64).wrapping_mul(0xA24B_AED4_963E_E407));
            for (o, p) in out.chunks_exact_mut(3).zip(row) {
                // Four unit-variance triangular deviates from two hashes: one shared (luma) part and
                // one per channel.
                let n = if noise > 0.0 {
                    state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
                    let (a, b) = (mix(state), mix(state ^ 0x5555_5555_5555_5555));
                    [a, a >> 32, b, b >> 32].map(|bits| triangular(bits) * noise)
                } else {
                    [0.0; 4]
                };
                let shared = n[0] * 0.5;
                for (c, (oc, pc)) in o.iter_mut().zip(p).enumerate() {
                    let v = encode(*pc, table) + shared + n[c + 1] * 0.866;
                    // Non-negative after the clamp, so truncating v + 0.5 rounds.
                    *oc = (v.clamp(0.0, 255.0) + 0.5) as u8;
                }
            }
        });
    RgbImage::from_raw(w as u32, h as u32, raw).unwrap_or_else(|| RgbImage::new(w as u32, h as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variance_of_blurred_impulse(sigma: f32) -> f32 {
        let (w, h) = (121, 1);
        let mut buf = vec![[0.0f32; 3]; w * h];
        buf[60] = [1.0; 3];
        gaussian_blur(&mut buf, w, h, sigma);
        let total: f32 = buf.iter().map(|p| p[0]).sum();
        buf.iter()
            .enumerate()
            .map(|(i, p)| p[0] * (i as f32 - 60.0).powi(2))
            .sum::<f32>()
            / total
    }

    #[test]
    fn blur_has_the_requested_sigma_for_both_methods() {
        for sigma in [0.8f32, 2.0, 3.5, 6.0, 10.0] {
            let var = variance_of_blurred_impulse(sigma);
            assert!(
                (var.sqrt() - sigma).abs() < 0.03 * sigma,
                "sigma {sigma}: got {}",
                var.sqrt()
            );
        }
    }

    #[test]
    fn encode_round_trips_every_level() {
        let t = encode_table();
        for c in 0..=255u8 {
            assert!((encode(decode(c), t) - c as f32).abs() < 0.2, "level {c}");
        }
    }

    #[test]
    fn shifted_taps_match_the_clamped_reference_bit_for_bit() {
        let w = 37;
        let row = |k: usize| -> Vec<Px> {
            (0..w)
                .map(|x| [0, 1, 2].map(|c| ((x * 7 + c * 13 + k * 5) % 23) as f32 / 9.0))
                .collect()
        };
        let (r0, r1) = (row(1), row(2));
        let weights = [0.1, 0.2, 0.3, 0.4];
        for shift in [-50isize, -37, -36, -5, -1, 0, 1, 4, 35, 36, 50] {
            let mut fast = row(3);
            add_shifted_bilinear(&mut fast, &r0, &r1, shift, weights);
            let mut slow = row(3);
            for (x, o) in slow.iter_mut().enumerate() {
                let x0 = (x as isize + shift).clamp(0, w as isize - 1) as usize;
                let x1 = (x as isize + shift + 1).clamp(0, w as isize - 1) as usize;
                for (s, wt) in [r0[x0], r0[x1], r1[x0], r1[x1]].into_iter().zip(weights) {
                    for c in 0..3 {
                        o[c] += wt * s[c];
                    }
                }
            }
            assert_eq!(fast, slow, "shift {shift}");
        }
    }

    #[test]
    fn motion_blur_spreads_a_point_along_its_direction() {
        let (w, h) = (41, 41);
        let mut buf = vec![[0.0f32; 3]; w * h];
        buf[20 * w + 20] = [1.0; 3];
        motion_blur(&mut buf, w, h, 10.0, 0.0);
        assert!(buf[20 * w + 24][0] > 0.05 && buf[20 * w + 16][0] > 0.05);
        assert!(buf[24 * w + 20][0] < 1e-6);
    }
}
