//! Is each corner really visible? A thumb over a corner hides the document's edge right next to
//! it, on both sides of the corner, while the rest of those sides still show a clear step.
//!
//! Measured on the full-resolution frame along the refined outline: the colour step across each side
//! in a short stretch next to the corner, against the step along the middle of the same side.

use image::RgbImage;

use super::geometry::{Point, Quad};
use super::locate::bilinear;
use super::stack::StackList;

/// Samples in the stretch next to a corner, and along the middle of a side.
const NEAR_SAMPLES: usize = 10;
const MID_SAMPLES: usize = 16;
/// The stretch next to the corner starts this far past the rounding and is this long (mm on the
/// document): a fingertip over a corner (15-19 mm wide) hides the first few millimetres of both
/// sides, while a longer stretch would let the visible rest of the side outvote it.
const NEAR_GAP_MM: f32 = 0.5;
const NEAR_SPAN_MM: f32 = 4.0;
/// A sample shows the edge when its step reaches this fraction of the side's typical step.
const STEP_FRACTION: f32 = 0.45;
/// A side whose typical step is below this (grey levels) shows no edge to compare with.
const MIN_REFERENCE_STEP: f32 = 8.0;
/// Samples along the corner's rounded arc itself, kept clear of where it meets the sides.
const ARC_SAMPLES: usize = 7;
const ARC_FROM_DEG: f32 = 12.0;
const ARC_TO_DEG: f32 = 78.0;
/// Just inside the outline, a colour this far from the document's own margin colour (RGB distance,
/// as a fraction of the margin colour's length, and at least the floor) is not the document: a
/// finger, its shadow. Where the edge cannot be seen but the inside still looks like the margin, a
/// white card meets a white background there and nothing covers it.
const UNLIKE_PAPER_FRAC: f32 = 0.15;
const UNLIKE_PAPER_MIN: f32 = 12.0;

/// How much of each corner's surroundings shows the document's edge (each a fraction, 1 = all).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CornerVisibility {
    /// The stretch of the side arriving at the corner, and of the side leaving it.
    pub sides: [f32; 2],
    /// The rounded arc of the corner itself: a fingertip resting on the very corner hides it
    /// while both sides still show a few millimetres on.
    pub arc: f32,
    /// The share of the stretches' inside points that do not look like the document's margin
    /// (1 when the margin's colour is unknown).
    pub unlike_paper: f32,
}

/// For each corner (TL, TR, BR, BL): where next to it the document's edge is visible.
/// `size_mm` is the document's width and height, `radius_mm` its corner rounding.
pub fn corner_visibility(
    frame: &RgbImage,
    quad: &Quad,
    size_mm: (f32, f32),
    radius_mm: f32,
    probe_px: f32,
) -> [CornerVisibility; 4] {
    let c = quad.0;
    // Sides 0 and 2 run along the width, 1 and 3 along the height; distances as fractions of them.
    let side_mm = [size_mm.0, size_mm.1, size_mm.0, size_mm.1].map(|s| s.max(1.0));
    let start = side_mm.map(|s| (radius_mm + NEAR_GAP_MM) / s);
    let span = side_mm.map(|s| NEAR_SPAN_MM / s);
    let mut out = [CornerVisibility {
        sides: [1.0; 2],
        arc: 1.0,
        unlike_paper: 1.0,
    }; 4];
    let centre = quad.centroid();
    // Along the middle of each side (side k runs from corner k to corner k+1): its typical step,
    // and the document's margin colour just inside, per channel the median over every side (a
    // finger over one side does not move it).
    let mut margin: [StackList<f32, { 4 * MID_SAMPLES }>; 3] = Default::default();
    let mid_step: [Option<f32>; 4] = std::array::from_fn(|k| {
        let (a, b) = (c[k], c[(k + 1) % 4]);
        let mut steps = StackList::<f32, MID_SAMPLES>::default();
        for i in 0..MID_SAMPLES {
            let t = 0.3 + 0.4 * (i as f32 + 0.5) / MID_SAMPLES as f32;
            if let Some((step, inside)) = sample_across(frame, a, b, t, centre, probe_px) {
                steps.push(step);
                for (channel, v) in margin.iter_mut().zip(inside) {
                    channel.push(v);
                }
            }
        }
        upper_median(steps.as_mut_slice())
    });
    let paper = (margin[0].as_slice().len() >= MID_SAMPLES)
        .then(|| margin.map(|mut v| upper_median(v.as_mut_slice()).unwrap_or(0.0)));
    let unlike_tolerance = paper.map(|p| (UNLIKE_PAPER_FRAC * length(p)).max(UNLIKE_PAPER_MIN));
    for (k, vis) in out.iter_mut().enumerate() {
        let before = (k + 3) % 4;
        // The arc's step is judged against the fainter of its two sides' typical steps.
        let reference = [mid_step[before], mid_step[k]]
            .into_iter()
            .flatten()
            .filter(|&r| r >= MIN_REFERENCE_STEP)
            .min_by(f32::total_cmp);
        if let Some(reference) = reference {
            // Radius in pixels along each side, from that side's pixels per mm.
            let radius_px =
                |side: usize, toward: Point| c[k].dist(toward) * radius_mm / side_mm[side];
            let (r_before, r_after) = (radius_px(before, c[before]), radius_px(k, c[(k + 1) % 4]));
            let unit = |to: Point| {
                let d = c[k].dist(to).max(1e-3);
                ((to.x - c[k].x) / d, (to.y - c[k].y) / d)
            };
            let (u1, u2) = (unit(c[before]), unit(c[(k + 1) % 4]));
            let arc_centre = Point::new(
                c[k].x + r_before * u1.0 + r_after * u2.0,
                c[k].y + r_before * u1.1 + r_after * u2.1,
            );
            let (mut seen, mut total) = (0usize, 0usize);
            for i in 0..ARC_SAMPLES {
                let phi = (ARC_FROM_DEG
                    + (ARC_TO_DEG - ARC_FROM_DEG) * i as f32 / (ARC_SAMPLES - 1) as f32)
                    .to_radians();
                let on_arc = Point::new(
                    arc_centre.x - r_before * phi.sin() * u1.0 - r_after * phi.cos() * u2.0,
                    arc_centre.y - r_before * phi.sin() * u1.1 - r_after * phi.cos() * u2.1,
                );
                if let Some(s) = radial_step(frame, arc_centre, on_arc, probe_px) {
                    total += 1;
                    seen += (s >= STEP_FRACTION * reference) as usize;
                }
            }
            if total >= ARC_SAMPLES / 2 {
                vis.arc = seen as f32 / total as f32;
            }
        }
        // The side arriving at corner k (from corner k-1) and the side leaving it (to corner k+1).
        let (mut unlike, mut sampled) = (0usize, 0usize);
        for (j, (side, to)) in [(before, c[before]), (k, c[(k + 1) % 4])]
            .into_iter()
            .enumerate()
        {
            let reference = mid_step[side].filter(|&r| r >= MIN_REFERENCE_STEP);
            let (mut seen, mut total) = (0usize, 0usize);
            for i in 0..NEAR_SAMPLES {
                let t = start[side] + span[side] * (i as f32 + 0.5) / NEAR_SAMPLES as f32;
                let Some((step, inside)) = sample_across(frame, c[k], to, t, centre, probe_px)
                else {
                    continue;
                };
                if let (Some(paper), Some(tolerance)) = (paper, unlike_tolerance) {
                    sampled += 1;
                    let d = [0, 1, 2].map(|ch| inside[ch] - paper[ch]);
                    unlike += (length(d) > tolerance) as usize;
                }
                if let Some(reference) = reference {
                    total += 1;
                    seen += (step >= STEP_FRACTION * reference) as usize;
                }
            }
            if total >= NEAR_SAMPLES / 2 {
                vis.sides[j] = seen as f32 / total as f32;
            }
        }
        if sampled > 0 {
            vis.unlike_paper = unlike as f32 / sampled as f32;
        }
    }
    out
}

/// The middle of `values` (the upper of the two middle ones for an even count), which it sorts;
/// None when empty.
fn upper_median(values: &mut [f32]) -> Option<f32> {
    values.sort_unstable_by(f32::total_cmp);
    values.get(values.len() / 2).copied()
}

fn length(c: [f32; 3]) -> f32 {
    (c[0] * c[0] + c[1] * c[1] + c[2] * c[2]).sqrt()
}

/// The points `probe` pixels inside and outside the side a->b at fraction `t` from a.
fn across(a: Point, b: Point, t: f32, centre: Point, probe: f32) -> ((f32, f32), (f32, f32)) {
    let p = a.lerp(b, t);
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let len = dx.hypot(dy).max(1e-3);
    let mut n = (-dy / len, dx / len);
    if (centre.x - p.x) * n.0 + (centre.y - p.y) * n.1 < 0.0 {
        n = (-n.0, -n.1);
    }
    (
        (p.x + probe * n.0, p.y + probe * n.1),
        (p.x - probe * n.0, p.y - probe * n.1),
    )
}

/// The colour step across the arc at `on_arc`, along the radius from `arc_centre`: `probe` pixels
/// inside against as far outside. None off the frame.
fn radial_step(frame: &RgbImage, arc_centre: Point, on_arc: Point, probe: f32) -> Option<f32> {
    let d = arc_centre.dist(on_arc).max(1e-3);
    let n = ((on_arc.x - arc_centre.x) / d, (on_arc.y - arc_centre.y) / d);
    colour_step(
        frame,
        (on_arc.x - probe * n.0, on_arc.y - probe * n.1),
        (on_arc.x + probe * n.0, on_arc.y + probe * n.1),
    )
    .map(|(step, _)| step)
}

/// Across the side a->b at fraction `t` from a, between a point `probe` pixels inside the outline
/// and one as far outside: the length of their RGB difference, and the inside colour. None off
/// the frame.
fn sample_across(
    frame: &RgbImage,
    a: Point,
    b: Point,
    t: f32,
    centre: Point,
    probe: f32,
) -> Option<(f32, [f32; 3])> {
    let (inside, outside) = across(a, b, t, centre, probe);
    colour_step(frame, inside, outside)
}

/// The length of the RGB difference between two points of the frame, and the first point's
/// colour; None off the frame.
fn colour_step(
    frame: &RgbImage,
    inside: (f32, f32),
    outside: (f32, f32),
) -> Option<(f32, [f32; 3])> {
    let (w, h) = (frame.width() as f32, frame.height() as f32);
    for q in [inside, outside] {
        if q.0 < 1.0 || q.1 < 1.0 || q.0 > w - 2.0 || q.1 > h - 2.0 {
            return None;
        }
    }
    let i = bilinear(frame, inside.0 as f64, inside.1 as f64);
    let o = bilinear(frame, outside.0 as f64, outside.1 as f64);
    let step = ((i[0] - o[0]).powi(2) + (i[1] - o[1]).powi(2) + (i[2] - o[2]).powi(2)).sqrt();
    Some((step as f32, i.map(|v| v as f32)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    const CARD: Rgb<u8> = Rgb([240, 240, 236]);

    /// An ID-1 card 856 x 540 px (10 px/mm) on a dark desk, with `over_tr` painted over the
    /// region around its top-right corner (after the card).
    fn corner_scene(over_tr: Option<Rgb<u8>>) -> [CornerVisibility; 4] {
        let (x0, y0, x1, y1) = (200u32, 100u32, 1056u32, 640u32);
        let frame = RgbImage::from_fn(1280, 720, |x, y| {
            let near_tr = x + 120 > x1 && x < x1 + 120 && y + 120 > y0 && y < y0 + 120;
            match over_tr {
                Some(c) if near_tr => c,
                _ if (x0..x1).contains(&x) && (y0..y1).contains(&y) => CARD,
                _ => Rgb([60, 50, 45]),
            }
        });
        let p = |x: u32, y: u32| Point::new(x as f32, y as f32);
        let quad = Quad([p(x0, y0), p(x1, y0), p(x1, y1), p(x0, y1)]);
        corner_visibility(&frame, &quad, (85.6, 53.98), 3.18, 5.0)
    }

    #[test]
    fn an_edge_lost_against_white_is_not_a_finger() {
        // A sheet of white paper behind the top-right corner: its edge vanishes, the inside is
        // still the card.
        let paper = corner_scene(Some(Rgb([240, 240, 236])))[1];
        assert!(paper.sides[0].max(paper.sides[1]) < 0.5, "{paper:?}");
        assert!(paper.unlike_paper < 0.1, "{paper:?}");
        // A fingertip there: the edge vanishes and the inside is skin.
        let finger = corner_scene(Some(Rgb([205, 150, 125])))[1];
        assert!(finger.sides[0].max(finger.sides[1]) < 0.5, "{finger:?}");
        assert!(finger.unlike_paper > 0.9, "{finger:?}");
        // Nothing over it: the edge shows.
        let clear = corner_scene(None)[1];
        assert!(clear.sides[0].min(clear.sides[1]) > 0.9, "{clear:?}");
    }
}
