//! Overlay geometry: where frame pixels land in the preview rectangle, with mirroring. Pure
//! functions, so the overlay can be tested without a window.

use egui::{Pos2, Rect, Vec2, pos2, vec2};

use crate::analysis::{DocKind, Point, Region};

/// The guide frame covers this fraction of the frame's area: the middle of the distance check's
/// pass band, so a card matched to the guide passes with room either side.
pub const GUIDE_FILL: f32 = 0.45;

/// Where a frame is drawn: its size in pixels, the screen rectangle it fills, and whether the
/// preview is mirrored (left-right, like a mirror).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PreviewMap {
    pub frame_w: f32,
    pub frame_h: f32,
    pub rect: Rect,
    pub mirrored: bool,
}

impl PreviewMap {
    /// The largest rectangle of the frame's aspect centred in `avail` (letterboxed, never cropped).
    pub fn fit(frame_w: u32, frame_h: u32, avail: Rect, mirrored: bool) -> Self {
        let (fw, fh) = (frame_w.max(1) as f32, frame_h.max(1) as f32);
        let scale = (avail.width() / fw).min(avail.height() / fh).max(0.0);
        let size = vec2(fw * scale, fh * scale);
        Self {
            frame_w: fw,
            frame_h: fh,
            rect: Rect::from_center_size(avail.center(), size),
            mirrored,
        }
    }

    /// A frame pixel position on screen.
    pub fn to_screen(&self, p: Point) -> Pos2 {
        let u = p.x / self.frame_w;
        let v = p.y / self.frame_h;
        let u = if self.mirrored { 1.0 - u } else { u };
        pos2(
            self.rect.min.x + u * self.rect.width(),
            self.rect.min.y + v * self.rect.height(),
        )
    }

    /// A frame-pixel box on screen (mirroring swaps its left and right edges).
    pub fn region_to_screen(&self, r: &Region) -> Rect {
        Rect::from_two_pos(self.to_screen(r.min), self.to_screen(r.max))
    }

    /// Texture coordinates for drawing the frame: mirroring flips them, never the pixels.
    pub fn uv(&self) -> Rect {
        if self.mirrored {
            Rect::from_min_max(pos2(1.0, 0.0), pos2(0.0, 1.0))
        } else {
            Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0))
        }
    }

    /// The guide frame: the document's aspect, [`GUIDE_FILL`] of the frame's area, centred.
    pub fn guide(&self, kind: DocKind) -> Rect {
        guide_rect(self.rect, kind.aspect(), GUIDE_FILL)
    }
}

/// A rectangle of `aspect` (width / height) covering `fill` of `within`'s area, centred, and
/// shrunk to fit inside it when the aspect does not allow that area.
pub fn guide_rect(within: Rect, aspect: f32, fill: f32) -> Rect {
    let area = within.area() * fill.clamp(0.0, 1.0);
    let aspect = if aspect.is_finite() && aspect > 0.0 {
        aspect
    } else {
        1.0
    };
    let mut h = (area / aspect).sqrt();
    let mut w = h * aspect;
    let shrink = (within.width() / w).min(within.height() / h).min(1.0);
    if shrink.is_finite() {
        w *= shrink;
        h *= shrink;
    }
    Rect::from_center_size(within.center(), Vec2::new(w, h))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(mirrored: bool) -> PreviewMap {
        // A 1280x720 frame in a 1000x1000 area at (100, 50): 1000x562.5, letterboxed vertically.
        PreviewMap::fit(
            1280,
            720,
            Rect::from_min_size(pos2(100.0, 50.0), vec2(1000.0, 1000.0)),
            mirrored,
        )
    }

    #[test]
    fn fit_letterboxes_and_keeps_the_aspect() {
        let m = map(false);
        assert!((m.rect.width() - 1000.0).abs() < 1e-3);
        assert!((m.rect.height() - 562.5).abs() < 1e-3);
        assert!((m.rect.center().y - 550.0).abs() < 1e-3);
    }

    #[test]
    fn corners_map_to_the_rect_corners_and_mirroring_swaps_left_and_right() {
        let m = map(false);
        let tl = m.to_screen(Point::new(0.0, 0.0));
        let br = m.to_screen(Point::new(1280.0, 720.0));
        assert!(tl.distance(m.rect.left_top()) < 1e-3);
        assert!(br.distance(m.rect.right_bottom()) < 1e-3);

        let mm = map(true);
        assert!(
            mm.to_screen(Point::new(0.0, 0.0))
                .distance(mm.rect.right_top())
                < 1e-3
        );
        // A point a quarter in from the left appears a quarter in from the right.
        let p = mm.to_screen(Point::new(320.0, 360.0));
        assert!((p.x - (mm.rect.max.x - 250.0)).abs() < 1e-3);
        assert!((p.y - mm.rect.center().y).abs() < 1e-3);
    }

    #[test]
    fn mirrored_regions_stay_well_formed() {
        let r = Region {
            min: Point::new(100.0, 100.0),
            max: Point::new(300.0, 200.0),
        };
        let plain = map(false).region_to_screen(&r);
        let mirrored = map(true).region_to_screen(&r);
        assert!(mirrored.width() > 0.0 && (mirrored.width() - plain.width()).abs() < 1e-3);
        assert!(
            mirrored.min.x > plain.max.x,
            "the box moves to the other side"
        );
        assert_eq!(map(true).uv().min, pos2(1.0, 0.0));
    }

    #[test]
    fn guide_has_the_document_aspect_and_target_area() {
        let m = map(false);
        for kind in DocKind::ALL {
            let g = m.guide(kind);
            assert!((g.width() / g.height() - kind.aspect()).abs() < 1e-3);
            assert!((g.area() / m.rect.area() - GUIDE_FILL).abs() < 1e-3);
            assert!(m.rect.contains_rect(g));
        }
        // A very wide document in a square area is shrunk to fit rather than spilling out.
        let square = Rect::from_min_size(Pos2::ZERO, vec2(100.0, 100.0));
        let g = guide_rect(square, 10.0, 0.9);
        assert!(square.contains_rect(g));
        assert!((g.width() / g.height() - 10.0).abs() < 1e-3);
    }
}
