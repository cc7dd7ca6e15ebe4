//! The synthetic scene generator: the truth it reports must be what the pixels show.

use std::sync::Arc;

use idshot::analysis::{DocKind, Point, Quad};
use idshot::scene::{
    Background, Finger, Glare, Placement, Rendered, SceneSpec, Truth, page_point,
    procedural_document, quad_fill, render,
};
use image::RgbImage;

/// Small frames keep the tests fast in the unoptimised test build.
const W: u32 = 640;
const H: u32 = 360;

fn small(spec: SceneSpec) -> SceneSpec {
    SceneSpec {
        width: W,
        height: H,
        ..spec
    }
}

fn pose(center: (f32, f32), fill: f32, pitch: f32, yaw: f32, roll: f32) -> Placement {
    Placement::Pose {
        center,
        fill,
        pitch_deg: pitch,
        yaw_deg: yaw,
        roll_deg: roll,
        hfov_deg: 65.0,
    }
}

/// A bright page on a near-black wall, no noise, no blur: edges are unambiguous.
fn contrast_scene(placement: Placement) -> SceneSpec {
    small(SceneSpec {
        background: Background::Plain([8, 8, 8]),
        placement,
        blur_px: 0.0,
        noise: 0.0,
        ..SceneSpec::default()
    })
}

fn luma(img: &RgbImage, x: f32, y: f32) -> f32 {
    let (xi, yi) = (x.floor() as i64, y.floor() as i64);
    if xi < 0 || yi < 0 || xi >= img.width() as i64 || yi >= img.height() as i64 {
        return f32::NAN;
    }
    let p = img.get_pixel(xi as u32, yi as u32).0;
    0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32
}

/// Every side's midpoint: 1.5 px inside is page, 1.5 px outside is background.
fn assert_edges_match(r: &Rendered) {
    let c = r.truth.corners.0;
    for i in 0..4 {
        let (a, b) = (c[i], c[(i + 1) % 4]);
        let mid = a.lerp(b, 0.5);
        let (ex, ey) = (b.x - a.x, b.y - a.y);
        let n = (ex * ex + ey * ey).sqrt();
        // Inward normal for a clockwise (on screen) TL, TR, BR, BL outline.
        let (nx, ny) = (-ey / n, ex / n);
        let inside = luma(&r.image, mid.x + 1.5 * nx, mid.y + 1.5 * ny);
        let outside = luma(&r.image, mid.x - 1.5 * nx, mid.y - 1.5 * ny);
        assert!(inside > 90.0, "side {i}: inside luma {inside} at {mid:?}");
        assert!(
            outside < 40.0,
            "side {i}: outside luma {outside} at {mid:?}"
        );
    }
}

#[test]
fn frontal_card_extent_matches_the_truth_within_a_pixel() {
    let r = render(&contrast_scene(Placement::default()));
    let q = r.truth.corners;
    let (lo, hi) = q.bounds();
    let bright = |x: u32, y: u32| luma(&r.image, x as f32, y as f32) > 60.0;
    let cy = ((lo.y + hi.y) / 2.0) as u32;
    let cx = ((lo.x + hi.x) / 2.0) as u32;
    let left = (0..W)
        .find(|&x| bright(x, cy))
        .expect("card on the middle row");
    let right = (0..W)
        .rev()
        .find(|&x| bright(x, cy))
        .expect("card on the middle row")
        + 1;
    let top = (0..H)
        .find(|&y| bright(cx, y))
        .expect("card on the middle column");
    let bottom = (0..H)
        .rev()
        .find(|&y| bright(cx, y))
        .expect("card on the middle column")
        + 1;
    for (got, want, what) in [
        (left, lo.x, "left"),
        (right, hi.x, "right"),
        (top, lo.y, "top"),
        (bottom, hi.y, "bottom"),
    ] {
        assert!(
            (got as f32 - want).abs() <= 1.0,
            "{what}: pixels {got}, truth {want}"
        );
    }
    assert_edges_match(&r);
}

#[test]
fn tilted_and_rolled_pages_have_their_edges_where_the_truth_says() {
    for (kind, placement) in [
        (DocKind::Id1, pose((0.45, 0.5), 0.55, 15.0, -20.0, 12.0)),
        (DocKind::Td3, pose((0.55, 0.48), 0.5, -10.0, 25.0, -7.0)),
    ] {
        let r = render(&SceneSpec {
            kind,
            ..contrast_scene(placement)
        });
        assert_edges_match(&r);
    }
}

#[test]
fn corner_placement_puts_the_page_exactly_on_the_given_quad() {
    let quad = Quad([
        Point::new(120.0, 70.0),
        Point::new(500.0, 90.0),
        Point::new(520.0, 300.0),
        Point::new(100.0, 290.0),
    ]);
    let r = render(&contrast_scene(Placement::Corners(quad)));
    assert_eq!(r.truth.corners, quad);
    assert_edges_match(&r);
    assert!(
        r.truth.tilt_deg > 1.0 && r.truth.tilt_deg < 45.0,
        "tilt {}",
        r.truth.tilt_deg
    );
}

#[test]
fn same_spec_same_pixels_other_seed_other_pixels() {
    let spec = small(SceneSpec {
        glare: Some(Glare::default()),
        fingers: vec![Finger::Corner(2)],
        motion_px: 3.0,
        noise: 3.0,
        background: Background::Clutter,
        ..SceneSpec::default()
    });
    let (a, b) = (render(&spec), render(&spec));
    assert!(
        a.image == b.image,
        "pixels differ between identical renders"
    );
    assert_eq!(a.truth, b.truth);
    let c = render(&SceneSpec {
        seed: spec.seed + 1,
        ..spec
    });
    assert!(a.image != c.image);
}

/// Mean squared horizontal+vertical gradient over the page interior.
fn gradient_energy(r: &Rendered) -> f64 {
    let (lo, hi) = r.truth.corners.bounds();
    let inset = 0.15 * (hi.x - lo.x);
    let (x0, x1) = ((lo.x + inset) as u32, (hi.x - inset) as u32);
    let (y0, y1) = ((lo.y + inset) as u32, (hi.y - inset) as u32);
    let mut sum = 0.0f64;
    let mut n = 0usize;
    for y in y0..y1 {
        for x in x0..x1 {
            let l = luma(&r.image, x as f32, y as f32);
            let dx = luma(&r.image, x as f32 + 1.0, y as f32) - l;
            let dy = luma(&r.image, x as f32, y as f32 + 1.0) - l;
            sum += (dx * dx + dy * dy) as f64;
            n += 1;
        }
    }
    sum / n.max(1) as f64
}

#[test]
fn defocus_and_motion_blur_remove_fine_detail() {
    let sharp = render(&small(SceneSpec {
        noise: 0.0,
        ..SceneSpec::default()
    }));
    let defocused = render(&small(SceneSpec {
        noise: 0.0,
        blur_px: 3.0,
        ..SceneSpec::default()
    }));
    let moved = render(&small(SceneSpec {
        noise: 0.0,
        motion_px: 12.0,
        motion_angle_deg: 30.0,
        ..SceneSpec::default()
    }));
    let (e0, e1, e2) = (
        gradient_energy(&sharp),
        gradient_energy(&defocused),
        gradient_energy(&moved),
    );
    assert!(
        e0 > 20.0,
        "the sharp page should have fine print, energy {e0}"
    );
    assert!(e1 < 0.25 * e0, "defocus: {e1} vs {e0}");
    assert!(e2 < 0.5 * e0, "motion: {e2} vs {e0}");
    assert_eq!(
        (defocused.truth.blur_px, moved.truth.motion_px),
        (3.0, 12.0)
    );
}

#[test]
fn glare_is_reported_only_when_present_and_matches_clipped_pixels() {
    let clean = render(&small(SceneSpec::default()));
    assert_eq!(clean.truth.glare_frac, 0.0);
    let glared = render(&small(SceneSpec {
        glare: Some(Glare::default()),
        ..SceneSpec::default()
    }));
    let g = glared.truth.glare_frac;
    assert!(g > 0.01 && g < 0.2, "glare_frac {g}");
    // The clipped pixels are really there, around the highlight's centre.
    let centre = page_point(&glared.truth, 0.62 * 85.6, 0.4 * 53.98).expect("quad");
    let p = glared.image.get_pixel(centre.x as u32, centre.y as u32).0;
    assert!(p.iter().all(|&c| c >= 250), "highlight centre {p:?}");
    let weak = render(&small(SceneSpec {
        glare: Some(Glare {
            strength: 0.2,
            ..Glare::default()
        }),
        ..SceneSpec::default()
    }));
    assert!(
        weak.truth.glare_frac < g / 4.0,
        "a faint sheen clips little: {}",
        weak.truth.glare_frac
    );
}

#[test]
fn fingers_occlude_exactly_the_corners_they_cover() {
    for corner in 0..4 {
        let r = render(&small(SceneSpec {
            fingers: vec![Finger::Corner(corner)],
            ..SceneSpec::default()
        }));
        assert_eq!(r.truth.occluded_corners, vec![corner]);
        // The pixel at the probe point shows skin, not the page.
        let (w, h) = DocKind::Id1.size_mm();
        let (px, py) = [
            (3.0, 3.0),
            (w - 3.0, 3.0),
            (w - 3.0, h - 3.0),
            (3.0, h - 3.0),
        ][corner];
        let p = page_point(&r.truth, px, py).expect("quad");
        let c = r.image.get_pixel(p.x as u32, p.y as u32).0;
        assert!(c[0] > c[2], "corner {corner} should look like skin: {c:?}");
    }
    let side = render(&small(SceneSpec {
        fingers: vec![Finger::Side { side: 2, pos: 0.5 }],
        ..SceneSpec::default()
    }));
    assert!(side.truth.occluded_corners.is_empty());
    assert!(
        side.truth.occluded_frac > 0.01 && side.truth.occluded_frac < 0.2,
        "{}",
        side.truth.occluded_frac
    );
    let none = render(&small(SceneSpec::default()));
    assert_eq!(none.truth.occluded_frac, 0.0);
}

#[test]
fn fill_and_ppmm_agree_with_the_quad_geometry() {
    for placement in [
        Placement::default(),
        pose((0.5, 0.5), 0.5, 0.0, 0.0, 20.0),
        pose((0.4, 0.6), 0.6, 18.0, -12.0, 5.0),
        pose((0.9, 0.5), 0.7, 0.0, 0.0, 0.0),
    ] {
        let r = render(&small(SceneSpec {
            placement: placement.clone(),
            ..SceneSpec::default()
        }));
        let t = &r.truth;
        let geometric = quad_fill(&t.corners, W, H);
        // Rounded corners remove (4 - pi) r^2, ~0.2% of an ID-1 card.
        assert!(
            (t.fill - geometric).abs() < 0.005 * geometric + 1e-4,
            "{placement:?}: fill {} vs {geometric}",
            t.fill
        );
        let (wm, hm) = DocKind::Id1.size_mm();
        let mean_ppmm = (t.corners.area() / (wm * hm)).sqrt();
        assert!(
            (t.ppmm - mean_ppmm).abs() < 0.06 * mean_ppmm,
            "{placement:?}: ppmm {} vs {mean_ppmm}",
            t.ppmm
        );
    }
    let frontal = render(&small(SceneSpec::default())).truth;
    let width_ppmm = frontal.corners.sides()[0] / 85.6;
    assert!((frontal.ppmm - width_ppmm).abs() < 1e-3 * width_ppmm);
}

#[test]
fn pose_truth_reports_tilt_and_roll() {
    let r = render(&small(SceneSpec {
        placement: pose((0.5, 0.5), 0.5, 20.0, 0.0, -6.0),
        ..SceneSpec::default()
    }));
    assert!((r.truth.tilt_deg - 20.0).abs() < 1e-3);
    assert_eq!(r.truth.roll_deg, -6.0);
    // The same outline given as corners decomposes to the same tilt.
    let again = render(&small(SceneSpec {
        placement: Placement::Corners(r.truth.corners),
        ..SceneSpec::default()
    }));
    assert!(
        (again.truth.tilt_deg - 20.0).abs() < 0.5,
        "{}",
        again.truth.tilt_deg
    );
}

#[test]
fn default_scene_passes_every_acceptance_rule() {
    // A passport page needs a 1080p frame to reach 8 px/mm (88 mm x 8 px/mm ~ 700 px tall).
    for (kind, width, height) in [(DocKind::Id1, 1280, 720), (DocKind::Td3, 1920, 1080)] {
        let spec = SceneSpec {
            kind,
            width,
            height,
            ..SceneSpec::default()
        };
        let r = render(&spec);
        let t: &Truth = &r.truth;
        let margin = 0.02 * spec.height.min(spec.width) as f32;
        for p in t.corners.0 {
            assert!(
                p.x >= margin
                    && p.y >= margin
                    && p.x <= spec.width as f32 - margin
                    && p.y <= spec.height as f32 - margin
            );
        }
        assert!((0.30..=0.85).contains(&t.fill), "{kind:?} fill {}", t.fill);
        assert!(t.ppmm >= 8.0, "{kind:?} ppmm {}", t.ppmm);
        let blur_mm = (t.blur_px.powi(2) + (t.motion_px / 2.0).powi(2)).sqrt() / t.ppmm;
        assert!(blur_mm <= 0.08, "{kind:?} blur {blur_mm} mm");
        assert!(t.tilt_deg <= 10.0 && t.roll_deg.abs() <= 8.0);
        assert!(
            (80.0..=200.0).contains(&t.luma_mean),
            "{kind:?} luma {}",
            t.luma_mean
        );
        assert_eq!(t.glare_frac, 0.0);
        assert!(t.occluded_corners.is_empty());
    }
}

#[test]
fn exposure_moves_the_page_luma_across_the_acceptance_band() {
    // Exposure is a gain on linear light, so its effect on 8-bit luma is compressed by the sRGB
    // curve: 0.3 is dim but acceptable, 2.5 washes the card out, 0.06 and 4 are clear failures.
    let luma_at = |exposure: f32| {
        render(&small(SceneSpec {
            exposure,
            ..SceneSpec::default()
        }))
        .truth
        .luma_mean
    };
    let levels = [0.06, 0.3, 1.0, 2.5, 4.0].map(luma_at);
    assert!(levels.windows(2).all(|w| w[0] < w[1]), "{levels:?}");
    let [very_dark, dim, normal, washed, blown] = levels;
    assert!(very_dark < 45.0, "{levels:?}");
    assert!((80.0..=120.0).contains(&dim), "{levels:?}");
    assert!((80.0..=200.0).contains(&normal), "{levels:?}");
    assert!(washed > 200.0, "{levels:?}");
    assert!(blown > 235.0, "{levels:?}");
}

#[test]
fn a_supplied_page_image_replaces_the_procedural_document() {
    let red = Arc::new(RgbImage::from_pixel(300, 189, image::Rgb([200, 30, 30])));
    let r = render(&small(SceneSpec {
        document_image: Some(red),
        noise: 0.0,
        ..SceneSpec::default()
    }));
    let c = r.truth.corners.centroid();
    let p = r.image.get_pixel(c.x as u32, c.y as u32).0;
    assert!(p[0] > 120 && p[1] < 40 && p[2] < 40, "{p:?}");
}

#[test]
fn procedural_document_has_the_physical_page_size() {
    let td3 = procedural_document(DocKind::Td3, 1, 10.0);
    assert_eq!((td3.width(), td3.height()), (1250, 880));
    let id1 = procedural_document(DocKind::Id1, 1, 10.0);
    assert_eq!((id1.width(), id1.height()), (856, 540));
}

#[test]
fn odd_specs_render_without_panicking() {
    let degenerate = Quad([Point::new(5.0, 5.0); 4]);
    let specs = [
        SceneSpec {
            width: 1,
            height: 1,
            ..SceneSpec::default()
        },
        small(SceneSpec {
            placement: Placement::Corners(degenerate),
            ..SceneSpec::default()
        }),
        small(SceneSpec {
            placement: pose((0.5, 0.5), 0.0, 0.0, 0.0, 0.0),
            ..SceneSpec::default()
        }),
        small(SceneSpec {
            placement: pose((3.0, -2.0), 0.5, 89.0, 80.0, 400.0),
            ..SceneSpec::default()
        }),
        small(SceneSpec {
            exposure: f32::NAN,
            blur_px: -2.0,
            noise: -1.0,
            ..SceneSpec::default()
        }),
        small(SceneSpec {
            fingers: vec![Finger::Corner(7), Finger::Side { side: 9, pos: 4.0 }],
            ..SceneSpec::default()
        }),
    ];
    for spec in specs {
        let r = render(&spec);
        assert_eq!(
            (r.image.width(), r.image.height()),
            (spec.width.max(1), spec.height.max(1))
        );
        assert!(r.truth.fill.is_finite() && r.truth.luma_mean.is_finite());
    }
}

#[test]
fn off_frame_page_reports_partial_fill_and_out_of_frame_corners() {
    let r = render(&small(SceneSpec {
        placement: pose((0.95, 0.5), 0.6, 0.0, 0.0, 0.0),
        ..SceneSpec::default()
    }));
    assert!(
        r.truth.corners.0[1].x > W as f32,
        "TR should be outside: {:?}",
        r.truth.corners
    );
    let full = r.truth.corners.area() / (W * H) as f32;
    assert!(
        r.truth.fill < 0.7 * full,
        "fill {} vs full {full}",
        r.truth.fill
    );
}

/// An open booklet: the truth is still the data page; above it lies the pale facing page, around
/// both the cover's dark rim, beyond the rim the background; an ID card ignores the flag.
#[test]
fn a_booklet_shows_the_facing_page_above_and_the_cover_rim_around_the_data_page() {
    let spec = |booklet, kind| SceneSpec {
        background: Background::Plain([120, 160, 120]),
        placement: pose((0.5, 0.65), 0.45, 0.0, 0.0, 0.0),
        blur_px: 0.0,
        noise: 0.0,
        kind,
        booklet,
        ..small(SceneSpec::default())
    };
    let open = render(&spec(true, DocKind::Td3));
    let closed = render(&spec(false, DocKind::Td3));
    assert_eq!(open.truth.corners, closed.truth.corners);
    let at = |x_mm: f32, y_mm: f32| {
        let p = page_point(&open.truth, x_mm, y_mm).expect("page point");
        (luma(&open.image, p.x, p.y), luma(&closed.image, p.x, p.y))
    };
    let (facing, background) = at(62.5, -30.0);
    assert!(
        facing > 170.0 && background < 160.0,
        "facing page {facing}, background {background}"
    );
    for (x_mm, y_mm) in [(-1.5, 44.0), (126.5, 44.0), (62.5, 89.5)] {
        let (rim, background) = at(x_mm, y_mm);
        assert!(
            rim < 60.0 && background > 90.0,
            "rim at ({x_mm}, {y_mm}): {rim} vs {background}"
        );
    }
    let (beyond, background) = at(-6.0, 44.0);
    assert!(
        (beyond - background).abs() < 2.0,
        "beyond the rim {beyond} vs {background}"
    );
    let card = render(&spec(true, DocKind::Id1));
    assert_eq!(card.image, render(&spec(false, DocKind::Id1)).image);
}
