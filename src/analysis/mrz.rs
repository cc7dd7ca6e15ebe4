//! Whether a passport data page shows its machine-readable zone: two full-width lines of text in the
//! page's bottom band (ICAO 9303 TD3: 2 x 44 characters across nearly the page's 125 mm).
//!
//! The band is sampled on a grid in page coordinates (bilinear in the outline: the band is thin, so
//! the perspective inside it is small). A row is inked where enough of its samples are much darker
//! than the paper; the zone is (at least) two runs of inked rows whose ink spreads across the
//! page's width. Other printed lines in the band (a signature, a short date) do not spread that far.

use image::RgbImage;

use super::geometry::{Point, Quad};
use super::work::{luma_of, nearest_pixel, upper_quartile};

/// The band searched, as fractions of the page's height from its top: the MRZ occupies the bottom
/// 23 mm of the 88 mm page (from 0.74), its lower line ending a few millimetres above the edge.
const BAND_TOP: f32 = 0.68;
const BAND_BOTTOM: f32 = 0.98;
/// ...and of its width: the 44 characters span about 90% of it, centred.
const BAND_LEFT: f32 = 0.03;
const BAND_RIGHT: f32 = 0.97;
/// Sample grid over the band: about 0.4 mm a row (a line of OCR-B is 2.4 mm tall) and 0.5 mm a
/// column (a character is 2.5 mm wide).
const ROWS: usize = 64;
const COLUMNS: usize = 240;
/// A sample is ink when darker than this share of the band's paper (its upper quartile).
const INK_RATIO: f32 = 0.6;
/// A row belongs to a text line when at least this share of its samples is ink.
const ROW_INK: f32 = 0.08;
/// A text line's ink is looked for in this many slices of the width...
const SLICES: usize = 20;
/// ...and it spreads across the page when this share of the slices holds ink. A TD3 line fills
/// every slice but the last one or two; the page's other print in the band (a signature, a date)
/// is shorter, and what spreads as far sits at the band's top edge (see `read`).
const SPREAD: f32 = 0.8;
/// Runs of inked rows separated by at most this many empty rows are one line (a character's gaps).
const MAX_GAP_ROWS: usize = 1;
/// A line is at least this many rows tall (1.2 mm), at most this many (6 mm).
const MIN_LINE_ROWS: usize = 3;
const MAX_LINE_ROWS: usize = 14;
/// Under this many pixels per mm (5 across a character) characters cannot be told apart.
const MIN_PX_PER_MM: f32 = 2.0;

/// The reusable sample buffers.
#[derive(Debug, Default)]
pub struct MrzProbe {
    lumas: Vec<u8>,
    sorted: Vec<u8>,
    runs: Vec<(usize, usize)>,
}

impl MrzProbe {
    /// Whether the bottom band of the page outlined by `quad` (TL, TR, BR, BL as read), at `ppmm`
    /// pixels per mm, holds at least two text lines spreading across the page's width; None when
    /// the page is too small in the frame to read characters.
    pub fn read(&mut self, frame: &RgbImage, quad: &Quad, ppmm: f32) -> Option<bool> {
        // NaN (no pose) reads as too small.
        if ppmm.is_nan() || ppmm < MIN_PX_PER_MM {
            return None;
        }
        let [tl, tr, br, bl] = *quad.corners();
        self.lumas.clear();
        for r in 0..ROWS {
            let v = BAND_TOP + (BAND_BOTTOM - BAND_TOP) * (r as f32 + 0.5) / ROWS as f32;
            let (left, right) = (tl.lerp(bl, v), tr.lerp(br, v));
            for c in 0..COLUMNS {
                let u = BAND_LEFT + (BAND_RIGHT - BAND_LEFT) * (c as f32 + 0.5) / COLUMNS as f32;
                self.lumas.push(luma_near(frame, left.lerp(right, u)));
            }
        }
        self.sorted.clear();
        self.sorted.extend_from_slice(&self.lumas);
        let paper = upper_quartile(&mut self.sorted);
        let ink_level = INK_RATIO * paper;
        let mut inked = [false; ROWS];
        for (row, inked) in self.lumas.chunks_exact(COLUMNS).zip(inked.iter_mut()) {
            let ink = row.iter().filter(|&&l| (l as f32) < ink_level).count();
            *inked = ink as f32 >= ROW_INK * COLUMNS as f32;
        }
        line_runs(&inked, &mut self.runs);
        let mut wide_lines = 0;
        for &(start, end) in &self.runs {
            let height = end - start;
            // A run from the band's top edge is the foot of the print above, cut by the band.
            if start == 0 || !(MIN_LINE_ROWS..=MAX_LINE_ROWS).contains(&height) {
                continue;
            }
            let Some(line) = self.lumas.get(start * COLUMNS..end * COLUMNS) else {
                continue;
            };
            let slice_width = COLUMNS / SLICES;
            let inked_slices = (0..SLICES)
                .filter(|&s| {
                    line.chunks_exact(COLUMNS).any(|row| {
                        row.iter()
                            .skip(s * slice_width)
                            .take(slice_width)
                            .any(|&l| (l as f32) < ink_level)
                    })
                })
                .count();
            if inked_slices as f32 >= SPREAD * SLICES as f32 {
                wide_lines += 1;
            }
        }
        Some(wide_lines >= 2)
    }
}

/// Runs of `true` rows (start, end exclusive) into `runs`, gaps up to MAX_GAP_ROWS bridged.
fn line_runs(inked: &[bool], runs: &mut Vec<(usize, usize)>) {
    runs.clear();
    let mut current: Option<(usize, usize)> = None;
    for (i, &on) in inked.iter().enumerate() {
        if !on {
            continue;
        }
        current = match current {
            Some((start, end)) if i - end <= MAX_GAP_ROWS => Some((start, i + 1)),
            Some(run) => {
                runs.push(run);
                Some((i, i + 1))
            }
            None => Some((i, i + 1)),
        };
    }
    runs.extend(current);
}

/// Rec. 601 luma of the pixel nearest to `p`; white (paper, not ink) outside the frame.
fn luma_near(frame: &RgbImage, p: Point) -> u8 {
    let (w, h) = (frame.width() as usize, frame.height() as usize);
    let (Some(x), Some(y)) = (nearest_pixel(p.x, w), nearest_pixel(p.y, h)) else {
        return u8::MAX;
    };
    let at = (y * w + x) * 3;
    match frame.as_raw().get(at..at + 3) {
        Some(&[r, g, b]) => luma_of([r, g, b]),
        _ => u8::MAX,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_with_gaps_of_one_are_one_line() {
        let (t, f) = (true, false);
        let mut runs = Vec::new();
        line_runs(&[f, t, t, f, t, f, f, t, t, f], &mut runs);
        assert_eq!(runs, vec![(1, 5), (7, 9)]);
        line_runs(&[t, t], &mut runs);
        assert_eq!(runs, vec![(0, 2)]);
        line_runs(&[f, f], &mut runs);
        assert!(runs.is_empty());
    }
}
