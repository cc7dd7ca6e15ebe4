//! Overlay geometry: where frame pixels land in the preview rectangle, with mirroring. Pure
//! functions, so the overlay can be tested without a window.

use egui::{Pos2, Rect, Vec2, pos2, vec2};

use crate::analysis::{DocKind, Point, Region, Spec};

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

    /// The guide frame: the size the analysis targets for `kind` in this frame
    /// ([`Spec::target_size`]), centred.
    pub fn guide(&self, kind: DocKind, spec: &Spec) -> Rect {
        let (w, h) = spec.target_size(kind, self.frame_w as u32, self.frame_h as u32);
        let scale = self.rect.width() / self.frame_w;
        Rect::from_center_size(self.rect.center(), Vec2::new(w * scale, h * scale))
    }

    /// Where a round badge `diameter` across goes so it hides none of the document held in
    /// `guide`: in the space right of the guide when it fits there, else at the preview's foot.
    pub fn badge_centre(&self, guide: Rect, diameter: f32) -> Pos2 {
        let beside = self.rect.max.x - guide.max.x;
        if beside >= diameter {
            pos2(guide.max.x + beside / 2.0, self.rect.center().y)
        } else {
            pos2(self.rect.center().x, self.rect.max.y - diameter)
        }
    }
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
    fn guide_has_the_document_aspect_and_the_target_size() {
        let m = map(false);
        let spec = Spec::default();
        for kind in DocKind::ALL {
            let g = m.guide(kind, &spec);
            assert!((g.width() / g.height() - kind.aspect()).abs() < 1e-3);
            let (tw, _) = spec.target_size(kind, 1280, 720);
            assert!((g.width() - tw * 1000.0 / 1280.0).abs() < 1e-2);
            assert!(m.rect.contains_rect(g));
            assert!((g.center() - m.rect.center()).length() < 1e-3);
            // The hold ring sits clear of the guide, inside the preview.
            let c = m.badge_centre(g, 84.0);
            let ring = Rect::from_center_size(c, Vec2::splat(84.0));
            assert!(
                m.rect.contains_rect(ring) && !ring.intersects(g),
                "{kind:?}"
            );
        }
        // No room beside a guide that spans the preview: the ring goes to the foot.
        let wide = m.rect.shrink2(vec2(10.0, 100.0));
        let c = m.badge_centre(wide, 84.0);
        assert!((c.x - m.rect.center().x).abs() < 1e-3 && c.y > wide.center().y);
    }
}
