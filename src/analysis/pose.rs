//! The document's pose from its outline: a rectangle of known aspect seen through a pinhole camera.
//!
//! With the principal point at the frame centre, the homography H that maps the unit square onto the
//! outline is `K [r1 r2 t]` up to scale. The two in-plane axes r1, r2 must be orthogonal, which fixes
//! the focal length when the document is tilted; when it faces the camera any focal length fits and
//! the pose does not depend on it. From r1, r2: the rectified aspect (which kind of document), the
//! out-of-plane tilt and the in-plane roll.

use super::geometry::{Homography, Point, Quad};

/// Webcams and phone front cameras have horizontal fields of view between about 50 and 90 degrees;
/// focal lengths are searched within that range and fall back to the middle when unconstrained.
const HFOV_MIN_DEG: f64 = 50.0;
const HFOV_MAX_DEG: f64 = 90.0;
const HFOV_DEFAULT_DEG: f64 = 65.0;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pose {
    /// Focal length in pixels of the frame the quad is in.
    pub focal_px: f64,
    /// Rectified width over height of the quad (landscape > 1).
    pub aspect: f64,
    /// Angle between the document's normal and the optical axis, degrees.
    pub tilt_deg: f64,
    /// In-plane rotation, degrees, positive clockwise on screen (y down).
    pub roll_deg: f64,
}

fn focal_for_hfov(width: f64, hfov_deg: f64) -> f64 {
    0.5 * width / (0.5 * hfov_deg.to_radians()).tan()
}

/// Estimates the pose of a rectangle seen as `quad` in a `width` x `height` frame.
pub fn estimate(quad: &Quad, width: u32, height: u32) -> Option<Pose> {
    let (cx, cy) = (width as f64 / 2.0, height as f64 / 2.0);
    let centred =
        Quad(quad.0.map(|p| {
            super::geometry::Point::new((p.x as f64 - cx) as f32, (p.y as f64 - cy) as f32)
        }));
    let h = Homography::unit_square_to(&centred)?.0;
    // Columns of H: h1 (document x axis), h2 (document y axis).
    let (h1x, h1y, h1z) = (h[0], h[3], h[6]);
    let (h2x, h2y, h2z) = (h[1], h[4], h[7]);

    let w = width as f64;
    let f_min = focal_for_hfov(w, HFOV_MAX_DEG);
    let f_max = focal_for_hfov(w, HFOV_MIN_DEG);
    // Orthogonality of K^-1 h1 and K^-1 h2: (h1x h2x + h1y h2y) / f^2 + h1z h2z = 0.
    let zz = h1z * h2z;
    let xy = h1x * h2x + h1y * h2y;
    let focal = if zz.abs() > 1e-12 && -xy / zz > 0.0 {
        (-xy / zz).sqrt().clamp(f_min, f_max)
    } else {
        focal_for_hfov(w, HFOV_DEFAULT_DEG)
    };

    let r1 = [h1x / focal, h1y / focal, h1z];
    let r2 = [h2x / focal, h2y / focal, h2z];
    let n1 = norm(r1);
    let n2 = norm(r2);
    if n1 < 1e-12 || n2 < 1e-12 {
        return None;
    }
    let aspect = n1 / n2;
    let e1 = r1.map(|v| v / n1);
    let e2 = r2.map(|v| v / n2);
    let normal = cross(e1, e2);
    let nn = norm(normal);
    let tilt_deg = if nn > 1e-12 {
        (normal[2].abs() / nn).clamp(-1.0, 1.0).acos().to_degrees()
    } else {
        0.0
    };
    let roll_deg = e1[1].atan2(e1[0]).to_degrees();
    Some(Pose {
        focal_px: focal,
        aspect,
        tilt_deg,
        roll_deg,
    })
}

/// The outline as its pose is read from: a side along a frame border is where the document
/// leaves the view, not its edge, and would show the border's slant, not the document's. Such a
/// side is drawn through its middle parallel to the opposite side where that one is seen, so the
/// pose rests on the sides in view (the pair cut by the frame shows no narrowing). Corner `k`
/// joins side `k - 1` and side `k` (side `k` runs from corner `k` to `k + 1`).
pub fn seen_outline(quad: &Quad, border_sides: [bool; 4]) -> Quad {
    let c = quad.0;
    let corner = |k: usize| c[k % 4];
    // Each side as a point on it and its direction.
    let sides: [(Point, (f32, f32)); 4] = std::array::from_fn(|k| {
        let (a, b) = (corner(k), corner(k + 1));
        let seen_opposite = !border_sides[(k + 2) % 4];
        if border_sides[k] && seen_opposite {
            // The opposite side runs from corner k + 2 to k + 3: backwards, it runs as side k.
            let (p, q) = (corner(k + 3), corner(k + 2));
            (a.lerp(b, 0.5), (q.x - p.x, q.y - p.y))
        } else {
            (a, (b.x - a.x, b.y - a.y))
        }
    });
    let meet = |(p, d): (Point, (f32, f32)), (q, e): (Point, (f32, f32))| {
        let det = d.0 * e.1 - d.1 * e.0;
        if det.abs() < 1e-6 {
            return None;
        }
        let t = ((q.x - p.x) * e.1 - (q.y - p.y) * e.0) / det;
        Some(Point::new(p.x + t * d.0, p.y + t * d.1))
    };
    let mut seen = *quad;
    for k in 0..4 {
        match meet(sides[(k + 3) % 4], sides[k]) {
            Some(p) => seen.0[k] = p,
            None => return *quad,
        }
    }
    seen
}

/// Effective pixels per mm at the document's centre: the geometric mean of the two scale factors of
/// the mm-to-pixel mapping there.
pub fn pixels_per_mm(quad: &Quad, size_mm: (f32, f32)) -> Option<f32> {
    let h = Homography::unit_square_to(quad)?;
    let eps = 1e-3;
    let c = h.apply(0.5, 0.5);
    let dx = h.apply(0.5 + eps, 0.5);
    let dy = h.apply(0.5, 0.5 + eps);
    let jx = ((dx.0 - c.0) / eps, (dx.1 - c.1) / eps);
    let jy = ((dy.0 - c.0) / eps, (dy.1 - c.1) / eps);
    let det = (jx.0 * jy.1 - jx.1 * jy.0).abs();
    let mm2 = size_mm.0 as f64 * size_mm.1 as f64;
    (det > 0.0).then(|| (det / mm2).sqrt() as f32)
}

fn norm(v: [f64; 3]) -> f64 {
    (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt()
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::geometry::Point;

    /// Projects a w x h mm rectangle, rotated by `tilt` about the horizontal axis and `roll` in plane,
    /// at distance `z` mm through a camera of focal `f` px centred in a `fw` x `fh` frame.
    #[allow(clippy::too_many_arguments)] // a camera and a pose, spelled out for the test
    fn project(w: f64, h: f64, tilt: f64, roll: f64, z: f64, f: f64, fw: f64, fh: f64) -> Quad {
        let (st, ct) = tilt.to_radians().sin_cos();
        let (sr, cr) = roll.to_radians().sin_cos();
        let corners = [
            (-w / 2.0, -h / 2.0),
            (w / 2.0, -h / 2.0),
            (w / 2.0, h / 2.0),
            (-w / 2.0, h / 2.0),
        ];
        Quad(corners.map(|(x, y)| {
            // roll in plane, then tilt about the x axis
            let (x1, y1) = (x * cr - y * sr, x * sr + y * cr);
            let (y2, z2) = (y1 * ct, y1 * st + z);
            Point::new(
                (fw / 2.0 + f * x1 / z2) as f32,
                (fh / 2.0 + f * y2 / z2) as f32,
            )
        }))
    }

    #[test]
    fn facing_card_has_no_tilt_and_its_true_aspect() {
        let q = project(85.6, 53.98, 0.0, 0.0, 250.0, 1000.0, 1280.0, 720.0);
        let p = estimate(&q, 1280, 720).expect("pose");
        assert!(p.tilt_deg < 0.5, "{p:?}");
        assert!((p.aspect - 85.6 / 53.98).abs() < 0.01, "{p:?}");
        assert!(p.roll_deg.abs() < 0.1, "{p:?}");
    }

    #[test]
    fn tilt_and_roll_are_recovered() {
        for (tilt, roll) in [(12.0, 0.0), (30.0, 5.0), (45.0, -10.0)] {
            let q = project(85.6, 53.98, tilt, roll, 300.0, 1000.0, 1280.0, 720.0);
            let p = estimate(&q, 1280, 720).expect("pose");
            assert!((p.tilt_deg - tilt).abs() < 2.0, "tilt {tilt}: {p:?}");
            assert!((p.aspect - 85.6 / 53.98).abs() < 0.05, "tilt {tilt}: {p:?}");
            assert!((p.roll_deg - roll).abs() < 3.0, "roll {roll}: {p:?}");
        }
    }

    /// A facing card turned 5 degrees, its left part out of the frame: the outline in view closes
    /// on the upright frame border. Read as a side of the card's, the border makes it look tilted;
    /// drawn parallel to the card's right side, the card faces the camera, turned 5 degrees.
    #[test]
    fn a_frame_border_in_the_outline_is_read_as_no_side_of_the_documents() {
        let card = project(85.6, 53.98, 0.0, 5.0, 200.0, 1000.0, 1280.0, 720.0);
        let [tl, tr, br, bl] = card.0;
        // Where the top and bottom sides cross the border x = 300.
        let at_border = |a: Point, b: Point| a.lerp(b, (300.0 - a.x) / (b.x - a.x));
        let cut = Quad([at_border(tl, tr), tr, br, at_border(bl, br)]);
        let as_cut = estimate(&cut, 1280, 720).expect("pose");
        assert!(as_cut.tilt_deg > 3.0, "{as_cut:?}");
        let seen = seen_outline(&cut, [false, false, false, true]);
        let p = estimate(&seen, 1280, 720).expect("pose");
        assert!(p.tilt_deg < 0.5, "{p:?}");
        assert!((p.roll_deg - 5.0).abs() < 0.5, "{p:?}");
        // Nothing to replace: the same outline.
        assert_eq!(seen_outline(&card, [false; 4]), card);
    }

    #[test]
    fn pixels_per_mm_of_a_facing_card() {
        let q = project(85.6, 53.98, 0.0, 0.0, 250.0, 1000.0, 1280.0, 720.0);
        let ppmm = pixels_per_mm(&q, (85.6, 53.98)).expect("ppmm");
        assert!((ppmm - 4.0).abs() < 0.01, "{ppmm}");
    }
}
