//! Points, quads and the small amount of projective geometry the checks need.

use serde::{Deserialize, Serialize};

use super::stack::StackList;

/// A point in frame pixels: origin top-left, x right, y down, never mirrored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub x: f32,
    pub y: f32,
}

impl Point {
    pub const fn new(x: f32, y: f32) -> Self {
        Self { x, y }
    }

    pub fn dist(self, other: Point) -> f32 {
        (self.x - other.x).hypot(self.y - other.y)
    }

    pub fn lerp(self, other: Point, t: f32) -> Point {
        Point::new(
            self.x + (other.x - self.x) * t,
            self.y + (other.y - self.y) * t,
        )
    }

    pub fn scaled(self, s: f32) -> Point {
        Point::new(self.x * s, self.y * s)
    }
}

/// A document outline: corners TL, TR, BR, BL in the document's reading orientation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Quad(pub [Point; 4]);

impl Quad {
    /// A `width` x `height` rectangle centred at `centre`, turned by `angle` (radians, clockwise on
    /// screen, y down): corners top-left, top-right, bottom-right, bottom-left of the turned
    /// rectangle.
    pub fn turned_rect(centre: Point, (width, height): (f32, f32), angle: f32) -> Quad {
        let (sin, cos) = angle.sin_cos();
        let corner = |su: f32, sv: f32| {
            let (u, v) = (0.5 * su * width, 0.5 * sv * height);
            Point::new(centre.x + u * cos - v * sin, centre.y + u * sin + v * cos)
        };
        Quad([
            corner(-1.0, -1.0),
            corner(1.0, -1.0),
            corner(1.0, 1.0),
            corner(-1.0, 1.0),
        ])
    }

    pub fn corners(&self) -> &[Point; 4] {
        &self.0
    }

    /// Shoelace area, always positive.
    pub fn area(&self) -> f32 {
        let p = &self.0;
        let mut s = 0.0;
        for i in 0..4 {
            let (a, b) = (p[i], p[(i + 1) % 4]);
            s += a.x * b.y - b.x * a.y;
        }
        (0.5 * s).abs()
    }

    pub fn scaled(&self, s: f32) -> Quad {
        Quad(self.0.map(|p| p.scaled(s)))
    }

    pub fn centroid(&self) -> Point {
        let p = &self.0;
        Point::new(
            (p[0].x + p[1].x + p[2].x + p[3].x) / 4.0,
            (p[0].y + p[1].y + p[2].y + p[3].y) / 4.0,
        )
    }

    /// Side lengths: top, right, bottom, left.
    pub fn sides(&self) -> [f32; 4] {
        let p = &self.0;
        [
            p[0].dist(p[1]),
            p[1].dist(p[2]),
            p[2].dist(p[3]),
            p[3].dist(p[0]),
        ]
    }

    /// Axis-aligned bounds as (min, max).
    pub fn bounds(&self) -> (Point, Point) {
        let mut lo = Point::new(f32::MAX, f32::MAX);
        let mut hi = Point::new(f32::MIN, f32::MIN);
        for p in &self.0 {
            lo.x = lo.x.min(p.x);
            lo.y = lo.y.min(p.y);
            hi.x = hi.x.max(p.x);
            hi.y = hi.y.max(p.y);
        }
        (lo, hi)
    }

    /// How far the corner nearest the edge of a `w` x `h` frame lies inside it, as a fraction of
    /// the frame's short side (pixel centres at integers; negative when a corner is outside).
    pub fn corner_margin(&self, w: f32, h: f32) -> f32 {
        self.0
            .iter()
            .map(|p| p.x.min(p.y).min(w - 1.0 - p.x).min(h - 1.0 - p.y))
            .fold(f32::MAX, f32::min)
            / w.min(h)
    }

    /// Area of the part of the quad inside the rectangle [0, w] x [0, h] (Sutherland-Hodgman).
    #[allow(clippy::type_complexity)] // a table of four (distance function, limit) pairs
    pub fn area_inside(&self, w: f32, h: f32) -> f32 {
        // Each clip adds at most one corner: a quad clipped by four edges has at most eight.
        const MOST: usize = 8;
        let mut poly = StackList::<Point, MOST>::default();
        for &corner in &self.0 {
            poly.push(corner);
        }
        // Each clip edge keeps the points where `inside` holds.
        let clip_edges: [(fn(Point, f32) -> f32, f32); 4] = [
            (|p, _| p.x, 0.0),
            (|p, w| w - p.x, w),
            (|p, _| p.y, 0.0),
            (|p, h| h - p.y, h),
        ];
        for (dist, lim) in clip_edges {
            let input = std::mem::take(&mut poly);
            for (&a, &b) in polygon_edges(input.as_slice()) {
                let (da, db) = (dist(a, lim), dist(b, lim));
                if da >= 0.0 {
                    poly.push(a);
                }
                if (da >= 0.0) != (db >= 0.0) {
                    poly.push(a.lerp(b, da / (da - db)));
                }
            }
        }
        let s: f32 = polygon_edges(poly.as_slice())
            .map(|(a, b)| a.x * b.y - b.x * a.y)
            .sum();
        (0.5 * s).abs()
    }

    /// Intersection over union of this quad's and `other`'s parts inside a `width` x `height`
    /// frame, counted on a grid of `grid` points across the width: how well an outline matches a
    /// document that runs off the frame, whose corners outside cannot be placed.
    pub fn overlap_in_frame(&self, other: &Quad, width: u32, height: u32, grid: u32) -> f32 {
        let step = width as f32 / grid.max(1) as f32;
        let rows = (height as f32 / step) as u32;
        let (mut both, mut either) = (0u32, 0u32);
        for j in 0..rows {
            for i in 0..grid {
                let p = Point::new((i as f32 + 0.5) * step, (j as f32 + 0.5) * step);
                let (a, b) = (self.contains(p), other.contains(p));
                both += u32::from(a && b);
                either += u32::from(a || b);
            }
        }
        both as f32 / either.max(1) as f32
    }

    /// True when `pt` lies inside the (convex) quad.
    pub fn contains(&self, pt: Point) -> bool {
        let p = &self.0;
        let mut sign = 0.0f32;
        for i in 0..4 {
            let (a, b) = (p[i], p[(i + 1) % 4]);
            let c = (b.x - a.x) * (pt.y - a.y) - (b.y - a.y) * (pt.x - a.x);
            if c != 0.0 {
                if sign == 0.0 {
                    sign = c.signum();
                } else if c.signum() != sign {
                    return false;
                }
            }
        }
        true
    }
}

/// A 3x3 projective transform, row-major, mapping (x, y, 1) to homogeneous coordinates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Homography(pub [f64; 9]);

impl Homography {
    /// The transform taking the unit square's corners (0,0) (1,0) (1,1) (0,1) onto `quad`'s.
    pub fn unit_square_to(quad: &Quad) -> Option<Homography> {
        let p = quad.0.map(|p| (p.x as f64, p.y as f64));
        let (x0, y0) = p[0];
        let (x1, y1) = p[1];
        let (x2, y2) = p[2];
        let (x3, y3) = p[3];
        let dx1 = x1 - x2;
        let dx2 = x3 - x2;
        let dy1 = y1 - y2;
        let dy2 = y3 - y2;
        let sx = x0 - x1 + x2 - x3;
        let sy = y0 - y1 + y2 - y3;
        let den = dx1 * dy2 - dx2 * dy1;
        if den.abs() < 1e-12 {
            return None;
        }
        let g = (sx * dy2 - dx2 * sy) / den;
        let h = (dx1 * sy - sx * dy1) / den;
        let a = x1 - x0 + g * x1;
        let b = x3 - x0 + h * x3;
        let d = y1 - y0 + g * y1;
        let e = y3 - y0 + h * y3;
        Some(Homography([a, b, x0, d, e, y0, g, h, 1.0]))
    }

    pub fn apply(&self, x: f64, y: f64) -> (f64, f64) {
        let m = &self.0;
        let w = m[6] * x + m[7] * y + m[8];
        (
            (m[0] * x + m[1] * y + m[2]) / w,
            (m[3] * x + m[4] * y + m[5]) / w,
        )
    }

    pub fn map_point(&self, x: f32, y: f32) -> Point {
        let (u, v) = self.apply(x as f64, y as f64);
        Point::new(u as f32, v as f32)
    }
}

/// Each corner of a polygon with the next, the last with the first.
fn polygon_edges(corners: &[Point]) -> impl Iterator<Item = (&Point, &Point)> {
    corners.iter().zip(corners.iter().cycle().skip(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlap_in_frame_counts_only_the_parts_in_view() {
        let square = |x0: f32, y0: f32, side: f32| {
            Quad([
                Point::new(x0, y0),
                Point::new(x0 + side, y0),
                Point::new(x0 + side, y0 + side),
                Point::new(x0, y0 + side),
            ])
        };
        let a = square(0.0, 0.0, 100.0);
        assert!((a.overlap_in_frame(&a, 200, 200, 200) - 1.0).abs() < 1e-6);
        // Shifted by half its side: a third of the union is shared.
        let b = square(50.0, 0.0, 100.0);
        assert!((a.overlap_in_frame(&b, 200, 200, 200) - 1.0 / 3.0).abs() < 0.01);
        // The same two, cut by a 100-wide frame: only a's half left of b and the shared half show.
        assert!((a.overlap_in_frame(&b, 100, 200, 100) - 0.5).abs() < 0.01);
        // A square running far off the frame matches the part of it that shows.
        let off = square(-300.0, -300.0, 400.0);
        assert!((off.overlap_in_frame(&a, 100, 100, 100) - 1.0).abs() < 1e-6);
    }

    #[test]
    fn unit_square_maps_onto_the_quad_corners() {
        let q = Quad([
            Point::new(10.0, 20.0),
            Point::new(200.0, 30.0),
            Point::new(210.0, 150.0),
            Point::new(5.0, 140.0),
        ]);
        let h = Homography::unit_square_to(&q).expect("non-degenerate");
        for (i, (u, v)) in [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]
            .into_iter()
            .enumerate()
        {
            let p = h.map_point(u, v);
            assert!(p.dist(q.0[i]) < 1e-3, "corner {i}: {p:?} vs {:?}", q.0[i]);
        }
    }

    #[test]
    fn area_and_contains() {
        let q = Quad([
            Point::new(0.0, 0.0),
            Point::new(10.0, 0.0),
            Point::new(10.0, 5.0),
            Point::new(0.0, 5.0),
        ]);
        assert_eq!(q.area(), 50.0);
        assert!(q.contains(Point::new(5.0, 2.0)));
        assert!(!q.contains(Point::new(11.0, 2.0)));
        assert_eq!(q.area_inside(100.0, 100.0), 50.0);
        assert_eq!(q.area_inside(4.0, 100.0), 20.0);
        // A diamond over the frame with every corner outside: clipped to an octagon, the frame
        // less four corner triangles of 30 x 30 / 2.
        let diamond = Quad([
            Point::new(50.0, -20.0),
            Point::new(120.0, 50.0),
            Point::new(50.0, 120.0),
            Point::new(-20.0, 50.0),
        ]);
        assert!((diamond.area_inside(100.0, 100.0) - 8200.0).abs() < 0.01);
    }
}
