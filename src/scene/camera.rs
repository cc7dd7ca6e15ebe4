//! Pinhole-camera geometry: where the document lands in the frame and its exact pose figures.
//!
//! Document coordinates are millimetres on the page, origin at its top-left corner, x right, y
//! down. Frame coordinates are pixel edges: (0,0) is the top-left corner of the top-left pixel, so
//! pixel (i, j) has its centre at (i + 0.5, j + 0.5).

use crate::analysis::{DocKind, Point, Quad};

/// Row-major 3x3 matrix.
pub type Mat3 = [f64; 9];

pub fn mat_mul(a: &Mat3, b: &Mat3) -> Mat3 {
    let mut m = [0.0; 9];
    for r in 0..3 {
        for c in 0..3 {
            m[r * 3 + c] = (0..3).map(|k| a[r * 3 + k] * b[k * 3 + c]).sum();
        }
    }
    m
}

pub fn mat_inverse(m: &Mat3) -> Option<Mat3> {
    let [a, b, c, d, e, f, g, h, i] = *m;
    let co = [e * i - f * h, f * g - d * i, d * h - e * g];
    let det = a * co[0] + b * co[1] + c * co[2];
    if det.abs() < 1e-18 || !det.is_finite() {
        return None;
    }
    let inv = [
        co[0],
        c * h - b * i,
        b * f - c * e,
        co[1],
        a * i - c * g,
        c * d - a * f,
        co[2],
        b * g - a * h,
        a * e - b * d,
    ];
    Some(inv.map(|v| v / det))
}

/// Applies a homography; None when the point maps to infinity or behind the projection centre.
pub fn apply(m: &Mat3, x: f64, y: f64) -> Option<(f64, f64)> {
    let w = m[6] * x + m[7] * y + m[8];
    if w <= 1e-12 {
        return None;
    }
    Some((
        (m[0] * x + m[1] * y + m[2]) / w,
        (m[3] * x + m[4] * y + m[5]) / w,
    ))
}

/// |det| of the mapping's Jacobian at (x, y): the local area scale.
pub fn jacobian_det(m: &Mat3, x: f64, y: f64) -> f64 {
    let w = m[6] * x + m[7] * y + m[8];
    if w.abs() < 1e-12 {
        return 0.0;
    }
    let u = (m[0] * x + m[1] * y + m[2]) / w;
    let v = (m[3] * x + m[4] * y + m[5]) / w;
    let (ux, uy) = ((m[0] - u * m[6]) / w, (m[1] - u * m[7]) / w);
    let (vx, vy) = ((m[3] - v * m[6]) / w, (m[4] - v * m[7]) / w);
    (ux * vy - uy * vx).abs()
}

/// Focal length in pixels for a horizontal field of view.
pub fn focal_px(width: u32, hfov_deg: f32) -> f64 {
    let half = (hfov_deg.clamp(1.0, 170.0) as f64).to_radians() / 2.0;
    width as f64 / 2.0 / half.tan()
}

/// The camera placement of a document, solved from the frame-relative pose.
#[derive(Clone, Copy, Debug)]
pub struct PoseSolution {
    /// Document millimetres to frame pixels.
    pub doc_to_frame: Mat3,
    pub tilt_deg: f32,
}

/// Rotation R = Rz(roll) * Rx(pitch) * Ry(yaw): yaw turns the page about its vertical axis, pitch
/// about its horizontal axis, then roll spins it in the image plane. Positive pitch tips the top
/// edge away from the camera; positive roll turns the page clockwise on screen.
fn rotation(pitch_deg: f32, yaw_deg: f32, roll_deg: f32) -> Mat3 {
    let (p, y, r) = (
        (pitch_deg as f64).to_radians(),
        (yaw_deg as f64).to_radians(),
        (roll_deg as f64).to_radians(),
    );
    let rz = [r.cos(), -r.sin(), 0.0, r.sin(), r.cos(), 0.0, 0.0, 0.0, 1.0];
    let rx = [1.0, 0.0, 0.0, 0.0, p.cos(), p.sin(), 0.0, -p.sin(), p.cos()];
    let ry = [y.cos(), 0.0, y.sin(), 0.0, 1.0, 0.0, -y.sin(), 0.0, y.cos()];
    mat_mul(&rz, &mat_mul(&rx, &ry))
}

/// Places the document so its centre projects to `center` (fraction of the frame) and, seen
/// face-on, it would span `fill` of the frame width.
#[allow(clippy::too_many_arguments)]
pub fn solve_pose(
    kind: DocKind,
    width: u32,
    height: u32,
    center: (f32, f32),
    fill: f32,
    pitch_deg: f32,
    yaw_deg: f32,
    roll_deg: f32,
    hfov_deg: f32,
) -> PoseSolution {
    let (w_mm, h_mm) = kind.size_mm();
    let f = focal_px(width, hfov_deg);
    let (cx, cy) = (width as f64 / 2.0, height as f64 / 2.0);
    let fill = (fill as f64).max(1e-3);
    let z = f * w_mm as f64 / (fill * width as f64);
    let (uc, vc) = (
        center.0 as f64 * width as f64,
        center.1 as f64 * height as f64,
    );
    let t = [z * (uc - cx) / f, z * (vc - cy) / f, z];
    let r = rotation(pitch_deg, yaw_deg, roll_deg);
    let (hw, hh) = (w_mm as f64 / 2.0, h_mm as f64 / 2.0);
    // Columns r1, r2 and the translation of the page's top-left corner.
    let t0 = [0, 1, 2].map(|i| t[i] - hw * r[i * 3] - hh * r[i * 3 + 1]);
    let ext = [r[0], r[1], t0[0], r[3], r[4], t0[1], r[6], r[7], t0[2]];
    let k = [f, 0.0, cx, 0.0, f, cy, 0.0, 0.0, 1.0];
    let tilt = r[8].clamp(-1.0, 1.0).acos().to_degrees() as f32;
    PoseSolution {
        doc_to_frame: mat_mul(&k, &ext),
        tilt_deg: tilt,
    }
}

/// The homography taking document millimetres onto `quad` (TL, TR, BR, BL).
pub fn quad_homography(kind: DocKind, quad: &Quad) -> Option<Mat3> {
    let unit = crate::analysis::geometry::Homography::unit_square_to(quad)?;
    let (w_mm, h_mm) = kind.size_mm();
    let scale = [
        1.0 / w_mm as f64,
        0.0,
        0.0,
        0.0,
        1.0 / h_mm as f64,
        0.0,
        0.0,
        0.0,
        1.0,
    ];
    let m = mat_mul(&unit.0, &scale);
    // Normalise so the page centre has a positive homogeneous weight.
    let w = m[6] * w_mm as f64 / 2.0 + m[7] * h_mm as f64 / 2.0 + m[8];
    if w.abs() < 1e-12 {
        return None;
    }
    Some(m.map(|v| v / w))
}

/// Tilt and roll (degrees) of a page whose homography is `doc_to_frame`, for a camera with the
/// given focal length and its principal point at the frame centre.
pub fn decompose(doc_to_frame: &Mat3, f: f64, width: u32, height: u32) -> (f32, f32) {
    let (cx, cy) = (width as f64 / 2.0, height as f64 / 2.0);
    let k_inv = [1.0 / f, 0.0, -cx / f, 0.0, 1.0 / f, -cy / f, 0.0, 0.0, 1.0];
    let m = mat_mul(&k_inv, doc_to_frame);
    let r1 = normalised([m[0], m[3], m[6]]);
    let r2 = normalised([m[1], m[4], m[7]]);
    let n = normalised(cross(r1, r2));
    let tilt = n[2].abs().clamp(0.0, 1.0).acos().to_degrees() as f32;
    let roll = r1[1].atan2(r1[0]).to_degrees() as f32;
    (tilt, roll)
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn normalised(v: [f64; 3]) -> [f64; 3] {
    let n = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
    if n < 1e-18 { v } else { v.map(|x| x / n) }
}

/// The page corners TL, TR, BR, BL in frame pixels (points behind the camera are pushed far out).
pub fn corners(kind: DocKind, doc_to_frame: &Mat3) -> Quad {
    let (w, h) = kind.size_mm();
    let pts = [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)].map(|(x, y)| {
        let (u, v) = apply(doc_to_frame, x as f64, y as f64).unwrap_or((-1e6, -1e6));
        Point::new(u as f32, v as f32)
    });
    Quad(pts)
}

/// Area of `quad` inside the rectangle [0, w] x [0, h] (Sutherland-Hodgman clipping).
pub fn clipped_area(quad: &Quad, w: f32, h: f32) -> f32 {
    let mut poly: Vec<(f32, f32)> = quad.0.iter().map(|p| (p.x, p.y)).collect();
    // Each edge as (axis, limit, keep_below).
    for (axis, limit, below) in [(0, 0.0, false), (0, w, true), (1, 0.0, false), (1, h, true)] {
        let inside = |p: (f32, f32)| {
            let c = if axis == 0 { p.0 } else { p.1 };
            if below { c <= limit } else { c >= limit }
        };
        let mut out = Vec::with_capacity(poly.len() + 2);
        for i in 0..poly.len() {
            let (a, b) = (poly[i], poly[(i + 1) % poly.len()]);
            let (ia, ib) = (inside(a), inside(b));
            if ia {
                out.push(a);
            }
            if ia != ib {
                let (ca, cb) = if axis == 0 { (a.0, b.0) } else { (a.1, b.1) };
                let t = (limit - ca) / (cb - ca);
                out.push((a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t));
            }
        }
        poly = out;
        if poly.is_empty() {
            return 0.0;
        }
    }
    let n = poly.len();
    let twice: f32 = (0..n)
        .map(|i| poly[i].0 * poly[(i + 1) % n].1 - poly[(i + 1) % n].0 * poly[i].1)
        .sum();
    twice.abs() / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frontal_pose_is_centred_with_the_requested_width() {
        let s = solve_pose(
            DocKind::Id1,
            1280,
            720,
            (0.5, 0.5),
            0.5,
            0.0,
            0.0,
            0.0,
            65.0,
        );
        let q = corners(DocKind::Id1, &s.doc_to_frame);
        assert!((q.centroid().x - 640.0).abs() < 1e-3 && (q.centroid().y - 360.0).abs() < 1e-3);
        assert!((q.sides()[0] - 640.0).abs() < 1e-2, "{:?}", q.sides());
        assert!(s.tilt_deg.abs() < 1e-4);
    }

    #[test]
    fn decomposition_recovers_pose_tilt_and_roll() {
        for (p, y, r) in [(10.0, 0.0, 0.0), (0.0, -20.0, 5.0), (15.0, 12.0, -9.0)] {
            let s = solve_pose(DocKind::Td3, 1920, 1080, (0.45, 0.55), 0.5, p, y, r, 65.0);
            let (tilt, roll) = decompose(&s.doc_to_frame, focal_px(1920, 65.0), 1920, 1080);
            assert!(
                (tilt - s.tilt_deg).abs() < 0.01,
                "tilt {tilt} vs {}",
                s.tilt_deg
            );
            if p == 0.0 && y == 0.0 {
                assert!((roll - r).abs() < 0.01);
            }
        }
    }

    #[test]
    fn clipping_halves_a_quad_straddling_the_edge() {
        let q = Quad([
            Point::new(-50.0, 10.0),
            Point::new(50.0, 10.0),
            Point::new(50.0, 30.0),
            Point::new(-50.0, 30.0),
        ]);
        assert!((clipped_area(&q, 100.0, 100.0) - 1000.0).abs() < 1e-3);
    }

    #[test]
    fn inverse_undoes_the_matrix() {
        let s = solve_pose(
            DocKind::Id1,
            640,
            480,
            (0.5, 0.5),
            0.6,
            8.0,
            -5.0,
            3.0,
            65.0,
        );
        let inv = mat_inverse(&s.doc_to_frame).expect("invertible");
        let (u, v) = apply(&s.doc_to_frame, 12.0, 34.0).expect("in front");
        let (x, y) = apply(&inv, u, v).expect("in front");
        assert!((x - 12.0).abs() < 1e-6 && (y - 34.0).abs() < 1e-6);
    }
}
