//! The per-frame verdict on scenes whose answer is known by construction (always run), and on the
//! shared dev frames with their ground truth (skipped when ../shared is absent).

use idshot::analysis::{Analyzer, CheckId, DocKind, Point, Quad, Spec};
use idshot::hints::Hint;
use idshot::scene::{Finger, Glare, SceneSpec, render};

fn verdict(spec: &SceneSpec) -> (idshot::analysis::FrameReport, idshot::scene::Truth) {
    let scene = render(spec);
    (
        Analyzer::new(Spec::default()).analyze(&scene.image),
        scene.truth,
    )
}

/// A document at `center` (frame fractions), `fill` of the frame's width, turned by
/// `(pitch, yaw, roll)` in degrees, seen through the scenes' default lens.
fn posed(
    center: (f32, f32),
    fill: f32,
    (pitch, yaw, roll): (f32, f32, f32),
) -> idshot::scene::Placement {
    idshot::scene::Placement::Pose {
        center,
        fill,
        pitch_deg: pitch,
        yaw_deg: yaw,
        roll_deg: roll,
        hfov_deg: idshot::scene::DEFAULT_HFOV_DEG,
    }
}

/// A card centred in the frame, `fill` of its width, pitched by `pitch_deg`.
fn centred(fill: f32, pitch_deg: f32) -> idshot::scene::Placement {
    posed((0.5, 0.5), fill, (pitch_deg, 0.0, 0.0))
}

/// A card facing the camera at `center` (frame fractions), `fill` of the frame's width, rolled by
/// `roll_deg`.
fn held_at(center: (f32, f32), fill: f32, roll_deg: f32) -> idshot::scene::Placement {
    posed(center, fill, (0.0, 0.0, roll_deg))
}

fn max_corner_error(a: &Quad, b: &Quad) -> f32 {
    a.0.iter()
        .zip(b.0.iter())
        .map(|(p, q)| p.dist(*q))
        .fold(0.0, f32::max)
}

/// Whether the report outlines the scene's document right: every corner within 2% of its diagonal
/// (as the synthetic audit counts it).
fn outlined_right(report: &idshot::analysis::FrameReport, truth: &idshot::scene::Truth) -> bool {
    let diagonal = truth.corners.0[0].dist(truth.corners.0[2]);
    report
        .document
        .as_ref()
        .is_some_and(|doc| max_corner_error(&doc.quad, &truth.corners) < 0.02 * diagonal)
}

#[test]
fn a_well_placed_card_is_found_precisely_and_ready() {
    let (report, truth) = verdict(&SceneSpec::default());
    let doc = report.document.expect("document found");
    // Truth uses pixel-edge coordinates, the analysis pixel centres: half a pixel apart.
    assert!(
        max_corner_error(&doc.quad, &truth.corners) < 3.0,
        "{:?} vs {:?}",
        doc.quad,
        truth.corners
    );
    assert!(report.ready, "{:?}", report.checks);
}

#[test]
fn blur_fails_focus_only() {
    let (report, _) = verdict(&SceneSpec {
        blur_px: 4.0,
        ..SceneSpec::default()
    });
    assert!(report.document.is_some());
    assert!(!report.check(CheckId::Focus).pass, "{:?}", report.measures);
    assert!(report.check(CheckId::Corners).pass && report.check(CheckId::Distance).pass);
}

#[test]
fn glare_patch_fails_glare() {
    let (report, truth) = verdict(&SceneSpec {
        glare: Some(Glare::default()),
        ..SceneSpec::default()
    });
    assert!(
        truth.glare_frac > 0.02,
        "scene must really clip: {}",
        truth.glare_frac
    );
    assert!(!report.check(CheckId::Glare).pass, "{:?}", report.measures);
    assert!(!report.glare_regions.is_empty());
}

#[test]
fn a_far_card_asks_to_move_closer() {
    let spec = SceneSpec {
        placement: centred(0.25, 0.0),
        ..SceneSpec::default()
    };
    let (report, _) = verdict(&spec);
    assert!(report.document.is_some());
    assert!(
        !report.check(CheckId::Distance).pass,
        "{:?}",
        report.measures
    );
}

#[test]
fn a_tilted_card_fails_tilt() {
    let spec = SceneSpec {
        placement: centred(0.6, 40.0),
        ..SceneSpec::default()
    };
    let (report, truth) = verdict(&spec);
    assert!(truth.tilt_deg > 30.0);
    assert!(!report.check(CheckId::Tilt).pass, "{:?}", report.measures);
}

/// The angle between two sides' directions, 0..=90 degrees.
fn angle_between_sides(a: (Point, Point), b: (Point, Point)) -> f32 {
    let heading = |(p, q): (Point, Point)| (q.y - p.y).atan2(q.x - p.x).to_degrees();
    let apart = (heading(a) - heading(b)).rem_euclid(180.0);
    apart.min(180.0 - apart)
}

/// A card tipped back 50 degrees and turned, held near the frame's side: in perspective its two
/// sides that converge make 55 degrees (the corners of a dev frame's card, f0096), yet it is one
/// card, outlined as a whole (and judged too tilted). Those sides were once taken for no pair.
#[test]
fn a_steeply_tilted_card_near_the_frame_edge_is_outlined_whole() {
    let corners = [
        (60.0, 50.0),
        (1245.0, 395.0),
        (915.0, 680.0),
        (110.0, 490.0),
    ];
    let spec = SceneSpec {
        placement: idshot::scene::Placement::Corners(Quad(corners.map(|(x, y)| Point::new(x, y)))),
        ..SceneSpec::default()
    };
    let (report, truth) = verdict(&spec);
    let [tl, tr, br, bl] = truth.corners.0;
    let converging =
        angle_between_sides((tl, tr), (bl, br)).max(angle_between_sides((tr, br), (tl, bl)));
    assert!(
        converging > 50.0,
        "the scene no longer shows the case: {converging:.1} degrees"
    );
    assert!(
        outlined_right(&report, &truth),
        "{:?} vs {:?}",
        report.document.map(|d| d.quad),
        truth.corners
    );
    assert!(!report.check(CheckId::Tilt).pass, "{:?}", report.measures);
}

#[test]
fn a_plain_frame_has_no_document() {
    let frame = image::RgbImage::from_pixel(1280, 720, image::Rgb([90, 110, 120]));
    let report = Analyzer::new(Spec::default()).analyze(&frame);
    assert!(report.document.is_none() && !report.ready);
}

/// A frame too dark or too bright to find a document in asks for better light, not for the
/// document: a person holding a card up in a dim room is told what to fix. Exposure fails with the
/// frame's mean luma whether or not an outline is found.
#[test]
fn a_frame_too_dark_or_too_bright_to_see_into_asks_for_light() {
    use idshot::hints::Hint;
    let mut analyzer = Analyzer::new(Spec::default());
    // A mid-grey empty frame: nothing wrong with the light, so the hint is to show the document.
    let grey = image::RgbImage::from_pixel(1280, 720, image::Rgb([120, 120, 120]));
    let report = analyzer.analyze(&grey);
    assert!(report.document.is_none());
    assert_eq!(report.hint, Some(Hint::ShowDocument));

    for (exposure, background, hint) in [
        (0.004, idshot::scene::Background::Dark, Hint::TooDark),
        (
            6.0,
            idshot::scene::Background::Plain([250, 250, 250]),
            Hint::TooBright,
        ),
    ] {
        for seed in 1..=3u64 {
            let (report, _) = verdict(&SceneSpec {
                seed,
                exposure,
                noise: 8.0,
                background: background.clone(),
                ..SceneSpec::default()
            });
            let check = report.check(CheckId::Exposure);
            assert!(!report.ready && !check.pass, "seed {seed} {hint:?}");
            assert_eq!(check.hint, Some(hint), "seed {seed}");
            if report.document.is_none() {
                assert_eq!(report.hint, Some(hint), "seed {seed}");
                let luma = check.value.expect("the frame's luma is measured");
                assert!(
                    if hint == Hint::TooDark {
                        luma < 45.0
                    } else {
                        luma > 235.0
                    },
                    "seed {seed}: luma {luma}"
                );
            }
        }
    }
}

/// A blank object of a card's shape on wood, sharp and well placed: a phone's dark screen, a book's
/// plain cover. Nothing is printed on it, so it is no document; the same scenes with a card are.
/// Known gap: the outline can instead take two frame borders and two of the object's sides, whose
/// inside holds the object's other edges and the background, and reads as printed (the allowance
/// below; on desk and foliage backgrounds half the scenes).
#[test]
fn a_blank_card_shaped_object_is_no_document() {
    use std::sync::Arc;
    const SEEDS: u64 = 6;
    let mut taken = Vec::new();
    for seed in 1..=SEEDS {
        for blank in [[28u8, 28, 32], [60, 90, 170]] {
            let plain = image::RgbImage::from_pixel(856, 540, image::Rgb(blank));
            let spec = SceneSpec {
                seed,
                background: idshot::scene::Background::Wood,
                document_image: Some(Arc::new(plain)),
                ..SceneSpec::default()
            };
            if verdict(&spec).0.document.is_some() {
                taken.push((seed, blank));
            }
            let printed = SceneSpec {
                document_image: None,
                ..spec
            };
            assert!(
                verdict(&printed).0.document.is_some(),
                "seed {seed}: the printed card is not found"
            );
        }
    }
    assert!(
        taken.len() <= 2,
        "blank objects taken for documents: {taken:?}"
    );
}

#[test]
fn a_thumb_on_a_corner_fails_corners() {
    let (report, truth) = verdict(&SceneSpec {
        fingers: vec![Finger::Corner(1)],
        ..SceneSpec::default()
    });
    assert_eq!(truth.occluded_corners, vec![1]);
    assert!(
        !report.check(CheckId::Corners).pass,
        "{:?}",
        report.measures
    );
}

/// A fingertip over a corner, on every kind of background and at every corner in turn: the
/// outline is still found, and the corners check fails with the covered corner named.
#[test]
fn a_fingertip_over_any_corner_on_any_background_fails_corners() {
    for (i, background) in idshot::scene::Background::VARIED.iter().enumerate() {
        let corner = i % 4;
        let (report, truth) = verdict(&SceneSpec {
            background: background.clone(),
            seed: 40 + i as u64,
            fingers: vec![Finger::Corner(corner)],
            ..SceneSpec::default()
        });
        assert_eq!(truth.occluded_corners, vec![corner], "{background:?}");
        let found = report.document.as_ref().expect("document found");
        assert!(
            max_corner_error(&found.quad, &truth.corners) < 12.0,
            "{background:?}: {:?} vs {:?}",
            found.quad,
            truth.corners
        );
        assert!(!report.check(CheckId::Corners).pass, "{background:?}");
        assert_eq!(
            report.measures.covered_corners,
            1 << corner,
            "{background:?}: corner {corner}"
        );
        assert!(!report.ready);
    }
}

/// Reads the shared dev frames (absent outside this project's machines: then it says so and passes).
#[test]
fn dev_frames_are_located_and_never_falsely_ready() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/dev/frames");
    let Ok(gt) = std::fs::read_to_string(dir.join("gt.jsonl")) else {
        eprintln!("skipped: {} is absent", dir.display());
        return;
    };
    let mut analyzer = Analyzer::new(Spec::default());
    let (mut whole, mut located, mut false_ready, mut must_fail) = (0, 0, 0, 0);
    for line in gt.lines() {
        let row: serde_json::Value = serde_json::from_str(line).expect("gt line");
        let file = row["file"].as_str().expect("file");
        let frame = image::open(dir.join(file)).expect("frame").to_rgb8();
        let report = analyzer.analyze(&frame);
        if row["expect"]["ready"] == "fail" {
            must_fail += 1;
            false_ready += report.ready as u32;
        }
        if row["expect"]["corners"] == "pass" {
            whole += 1;
            let truth: Vec<(f32, f32)> = row["doc"]["corners"]
                .as_array()
                .expect("corners")
                .iter()
                .map(|p| {
                    (
                        p[0].as_f64().unwrap_or(0.0) as f32,
                        p[1].as_f64().unwrap_or(0.0) as f32,
                    )
                })
                .collect();
            let diag = ((truth[0].0 - truth[2].0).hypot(truth[0].1 - truth[2].1)).max(1.0);
            let close = report.document.is_some_and(|d| {
                d.quad
                    .0
                    .iter()
                    .zip(&truth)
                    .all(|(p, t)| (p.x - t.0).hypot(p.y - t.1) < 0.03 * diag)
            });
            located += close as u32;
        }
    }
    // Measured 2026-11-24 (stop 15): FALSE-READY 0/130; 145/157 whole documents with every corner
    // within 3% of the diagonal (122 at stop 1). The floors guard against regressions: FALSE-READY
    // at its target of 1%, located a little under today's 92%.
    assert!(
        false_ready * 100 <= must_fail,
        "false ready {false_ready}/{must_fail}"
    );
    assert!(located * 100 >= 90 * whole, "located {located}/{whole}");
}

/// Webcams in a dim room: the gain lifts sensor noise to the level of the card's faint edges,
/// which break into dots on the working copy. The document is still found (and the light check,
/// not the document check, says what is wrong).
#[test]
fn a_card_in_a_dark_noisy_frame_is_found_and_fails_exposure_only() {
    let mut found = 0;
    let mut unread = 0;
    let seeds = 1..=6u64;
    for seed in seeds.clone() {
        let (report, truth) = verdict(&SceneSpec {
            seed,
            // Mean luma ~6 of 255 on the card, noise sd 5: old versions found none of these.
            exposure: 0.004,
            noise: 5.0,
            background: idshot::scene::Background::Dark,
            ..SceneSpec::default()
        });
        let Some(doc) = report.document else {
            continue;
        };
        assert!(
            max_corner_error(&doc.quad, &truth.corners) < 12.0,
            "seed {seed}: {:?} vs {:?}",
            doc.quad,
            truth.corners
        );
        // Only the light fails: sharpness that cannot be read in the dark is not called blurry
        // (the exposure check fails for it, and the frame cannot be ready).
        let failing: Vec<CheckId> = report
            .checks
            .iter()
            .filter(|c| !c.pass)
            .map(|c| c.id)
            .collect();
        assert_eq!(
            failing,
            [CheckId::Exposure],
            "seed {seed}: {:?}",
            report.checks
        );
        unread += u32::from(report.check(CheckId::Focus).value.is_none());
        found += 1;
    }
    assert!(found >= 5, "found {found} of {}", seeds.count());
    // The case guarded here: 6 of 6 are too noisy to read their blur in (2026-11-25).
    assert!(
        unread >= 1,
        "focus read on every frame: the unread case goes untested"
    );
}

/// The demo's finger-on-corner phase, as a person sees it in the app: a fingertip resting on the
/// card's top-right corner, the rest of both sides in view. No frame of it may be ready (it once
/// was on most frames: the corner probe skipped the rounded corner itself).
#[test]
fn the_demo_finger_on_a_corner_is_never_ready() {
    use idshot::analysis::{DocKind, KindChoice};
    let spec = Spec {
        kind: KindChoice::IdCard,
        ..Spec::default()
    };
    let mut analyzer = Analyzer::new(spec);
    for seed in 1..=3u64 {
        for t in [4.9f32, 5.1, 5.3, 5.5, 5.7] {
            let scene = render(&idshot::scene::demo::demo_spec(
                t,
                1280,
                720,
                DocKind::Id1,
                seed,
            ));
            let report = analyzer.analyze(&scene.image);
            assert!(
                !report.ready,
                "seed {seed}, t {t}: ready with a finger on the corner; {:?}",
                report.measures
            );
        }
    }
}

/// Known weakness, kept visible: a card held square in front of slats or blinds running parallel
/// to its sides. Its side lines up with slat edges above and below it, reads as one line across the
/// whole frame (background structure) and ranks last, so the outline closes on a slat or the
/// frame border instead (3 of these 8 are found, 1 before the slats' ends were read as sides).
/// Cards turned a few degrees are found (the audit has them).
#[test]
#[ignore = "known weakness: a card held square to slats parallel to its sides is not found"]
fn a_card_held_square_over_slats_is_found() {
    let mut found = 0;
    let seeds = 1..=8u64;
    for seed in seeds.clone() {
        let (report, truth) = verdict(&SceneSpec {
            seed,
            background: idshot::scene::Background::Slats,
            ..SceneSpec::default()
        });
        found += usize::from(outlined_right(&report, &truth));
    }
    assert!(found >= 7, "found {found} of {}", seeds.count());
}

/// A card held over slats turned a few degrees from them: its sides across the slats show only
/// where a slat darker or lighter than the card meets them, but the slats stop all along them. Most
/// are outlined close to the card, not as a strip of slats or a frame border's rectangle (15 of
/// 24 within 5% of the diagonal and 11 right before the slats' ends were read as sides; 19 and 13
/// with them).
#[test]
fn cards_turned_a_little_over_slats_are_outlined_where_the_slats_stop() {
    let (mut close, mut right) = (0, 0);
    let seeds = 1..=24u64;
    for seed in seeds.clone() {
        let roll_deg = [-4.0f32, -2.0, 2.5, 5.0][(seed % 4) as usize];
        let (report, truth) = verdict(&SceneSpec {
            seed,
            background: idshot::scene::Background::Slats,
            placement: posed((0.5, 0.5), 0.6, (3.0, -2.0, roll_deg)),
            ..SceneSpec::default()
        });
        let diagonal = truth.corners.0[0].dist(truth.corners.0[2]);
        close += usize::from(
            report
                .document
                .as_ref()
                .is_some_and(|doc| max_corner_error(&doc.quad, &truth.corners) < 0.05 * diagonal),
        );
        right += usize::from(outlined_right(&report, &truth));
    }
    let scenes = seeds.count();
    assert!(close >= 17, "{close} of {scenes} outlined within 5%");
    assert!(right >= 12, "{right} of {scenes} outlined right");
}

/// The same cards over slats, held still and then moving: a slat's shading right beside a side
/// widens that pair's edge reading, and a pair blurrier than the other reads as motion, so still
/// cards were told to hold still (11 of the 13 outlined right passed). The print inside overrules
/// that where it reads sharp alike both ways (`print_focus`): all 13 pass. Moving cards smear their
/// print one way, and the print passes none of them.
#[test]
fn a_still_card_over_slats_passes_focus_and_a_moving_one_does_not() {
    let (mut outlined, mut sharp, mut moving_passed) = (0, 0, 0);
    let seeds = 1..=24u64;
    for seed in seeds.clone() {
        let roll_deg = [-4.0f32, -2.0, 2.5, 5.0][(seed % 4) as usize];
        let scene = |motion_px: f32| SceneSpec {
            seed,
            background: idshot::scene::Background::Slats,
            placement: posed((0.5, 0.5), 0.6, (3.0, -2.0, roll_deg)),
            motion_px,
            motion_angle_deg: if seed % 2 == 0 { 0.0 } else { 90.0 },
            ..SceneSpec::default()
        };
        let (still, truth) = verdict(&scene(0.0));
        if outlined_right(&still, &truth) {
            outlined += 1;
            sharp += usize::from(still.check(CheckId::Focus).pass);
        }
        // 12 px of motion on a card 0.6 of a 1280 px frame wide (about 9 px/mm): 0.65 mm of blur.
        let (moving, _) = verdict(&scene(12.0));
        let focus = moving.check(CheckId::Focus);
        assert!(
            !(focus.pass && moving.measures.print_blur_mm.is_some()),
            "seed {seed}: the print passed a moving card"
        );
        moving_passed += usize::from(moving.document.is_some() && focus.pass);
    }
    assert_eq!(
        sharp, outlined,
        "{sharp} of {outlined} still cards outlined right pass focus"
    );
    // Known weakness, kept from growing: two cards moving along horizontal slats read sharp at
    // every side (the outline's edges, not the print, pass them).
    assert!(
        moving_passed <= 2,
        "{moving_passed} moving cards passed focus"
    );
}

/// Direct light on a white card on a white desk: paper and desk both clip to white, and no
/// edge is left between them, only the print. The document is outlined from its print
/// (`analysis::washed`), roughly, and the person is told to get out of the light. Without the
/// print's outline none of these had a document (overlaps 0.94-0.98 with it, 2026-11-25).
#[test]
fn a_washed_out_card_on_a_white_desk_is_outlined_from_its_print() {
    for seed in 1..=12u64 {
        let kind = if seed % 3 == 0 {
            DocKind::Td3
        } else {
            DocKind::Id1
        };
        let (report, truth) = verdict(&SceneSpec {
            seed,
            kind,
            background: idshot::scene::Background::Plain([240, 240, 240]),
            placement: posed(
                (0.5 + 0.01 * seed as f32, 0.5),
                0.6,
                (3.0, -4.0, -6.0 + 1.5 * seed as f32),
            ),
            exposure: 5.0,
            ..SceneSpec::default()
        });
        let overlap = report.document.as_ref().map_or(0.0, |d| {
            d.quad.overlap_in_frame(&truth.corners, 1280, 720, 64)
        });
        assert!(overlap > 0.85, "seed {seed} {kind:?}: overlap {overlap}");
        assert_eq!(report.hint, Some(Hint::TooBright), "seed {seed}");
        // Its corners are guessed, not seen: they do not pass.
        let corners = report.check(CheckId::Corners);
        assert_eq!(
            (corners.pass, corners.hint),
            (false, Some(Hint::TooBright)),
            "seed {seed}"
        );
        assert!(
            !report.ready && !report.check(CheckId::Exposure).pass,
            "seed {seed}"
        );
    }
}

/// The same light on the varied backgrounds with no document: grain lines and the like in
/// clipped white are marks in white too, but they run across the frame, and are no print.
/// Nothing is outlined from them as print. (Some of these frames are taken for documents by their
/// edges, clipped or not, as their unlit versions are: slats' strips, clutter's boxes.)
#[test]
fn a_washed_out_frame_without_a_document_has_none() {
    for (k, background) in idshot::scene::Background::VARIED.into_iter().enumerate() {
        for seed in 1..=3u64 {
            let off_frame = Quad([
                Point::new(5000.0, 5000.0),
                Point::new(5800.0, 5000.0),
                Point::new(5800.0, 5500.0),
                Point::new(5000.0, 5500.0),
            ]);
            let (report, _) = verdict(&SceneSpec {
                seed,
                background: background.clone(),
                placement: idshot::scene::Placement::Corners(off_frame),
                exposure: 6.0,
                ..SceneSpec::default()
            });
            let from_print = report
                .document
                .as_ref()
                .is_some_and(|d| d.confidence == idshot::analysis::washed::ESTIMATE_CONFIDENCE);
            assert!(
                !from_print,
                "background {k} seed {seed}: {:?}",
                report.document
            );
        }
    }
}

/// A card held further off over wood grain: the grain gives many long lines parallel to the card's
/// sides, each longer than the card's own. Most such cards must still be outlined by their own
/// sides (the misses close on a grain line a few pixels outside a side: a known weakness).
#[test]
fn most_far_cards_over_wood_grain_are_outlined() {
    let (mut found, mut scenes) = (0, 0);
    for seed in 1..=16u64 {
        for (fill, roll_deg) in [(0.26f32, -1.3f32), (0.3, 1.0), (0.34, -0.5)] {
            let (report, truth) = verdict(&SceneSpec {
                seed,
                background: idshot::scene::Background::Wood,
                placement: posed((0.52, 0.49), fill, (4.0, 0.8, roll_deg)),
                noise: 2.8,
                ..SceneSpec::default()
            });
            found += usize::from(outlined_right(&report, &truth));
            scenes += 1;
        }
    }
    // Four in five: 37 of 48 (77%) when a bucket kept 10 lines, 39 with 14.
    assert!(5 * found >= 4 * scenes, "outlined {found} of {scenes}");
}

/// A passport open in its booklet, low in the frame: the facing page above carries the data
/// page's sides on to the frame's top edge (they run on past the page's corners and cross the
/// whole frame), and the cover's dark rim gives a second edge a few pixels outside each side.
/// The data page is outlined, not the cover nor the facing page, at rolls from -2 to 3 degrees
/// (square to the frame, the page's edge and the rim's are two peaks 8 px apart in one column).
#[test]
fn a_passport_open_in_its_booklet_is_outlined_by_its_data_page() {
    for seed in 1..=6 {
        let spec = SceneSpec {
            kind: idshot::analysis::DocKind::Td3,
            seed,
            background: idshot::scene::Background::Foliage,
            booklet: true,
            placement: held_at((0.5, 0.6), 0.55, 4.0 - seed as f32),
            ..SceneSpec::default()
        };
        let scene = render(&spec);
        let report = Analyzer::new(Spec::default()).analyze(&scene.image);
        let doc = report.document.expect("data page found");
        let error = max_corner_error(&doc.quad, &scene.truth.corners);
        assert!(
            error < 6.0,
            "seed {seed}: corners off by {error:.1} px: {:?} vs {:?}",
            doc.quad,
            scene.truth.corners
        );
    }
}

/// The demo settles where the app's guide frame is ([`Spec::target_size`]), so following the
/// guide must pass: with either document at 720p. A passport page cannot reach the least
/// resolution in a 640x480 frame with its corners inside, and the hint says to raise the
/// resolution rather than to come closer.
#[test]
fn the_demo_settles_ready_in_the_guide_and_vga_asks_for_resolution() {
    use idshot::analysis::{DocKind, KindChoice};
    use idshot::hints::Hint;
    let cases = [
        (DocKind::Id1, KindChoice::IdCard, 1280, 720),
        (DocKind::Td3, KindChoice::Passport, 1280, 720),
        (DocKind::Id1, KindChoice::IdCard, 640, 480),
        (DocKind::Td3, KindChoice::Passport, 640, 480),
    ];
    for (kind, choice, w, h) in cases {
        let mut analyzer = Analyzer::new(Spec {
            kind: choice,
            ..Spec::default()
        });
        let scene = render(&idshot::scene::demo::demo_spec(9.0, w, h, kind, 1));
        let report = analyzer.analyze(&scene.image);
        let fits = Spec::default().resolution_suffices(kind, w, h);
        assert_eq!(report.ready, fits, "{kind:?} {w}x{h}: {:?}", report.checks);
        if !fits {
            let distance = report.checks.iter().find(|c| c.id == CheckId::Distance);
            assert_eq!(
                distance.and_then(|c| c.hint),
                Some(Hint::ResolutionTooLow),
                "{kind:?} {w}x{h}"
            );
        }
    }
}

/// A fingertip over a passport page's corner, on every background and at each corner in turn:
/// a finger's own outline (its nail, its rim) can line up with one side and show a step there,
/// so the corners check must fail on the side it hides, the corner and the skin inside.
#[test]
fn a_fingertip_over_a_passport_corner_fails_corners() {
    let mut seen = Vec::new();
    for (i, background) in idshot::scene::Background::VARIED.iter().enumerate() {
        for round in 0..4usize {
            let corner = (i + round) % 4;
            let (report, truth) = verdict(&SceneSpec {
                kind: idshot::analysis::DocKind::Td3,
                background: background.clone(),
                seed: 70 + (4 * i + round) as u64,
                placement: centred(0.62, 0.0),
                fingers: vec![Finger::Corner(corner)],
                ..SceneSpec::default()
            });
            assert_eq!(truth.occluded_corners, vec![corner], "{background:?}");
            if report.check(CheckId::Corners).pass || report.ready {
                seen.push((background.clone(), corner));
            }
        }
    }
    assert!(seen.is_empty(), "covered corners passed: {seen:?}");
}

/// A pale card or passport page on a pale desk in a dim, noisy frame (sensor noise sd 14): the
/// working copy's edges break into dots and the best outline there is a doubtful one (a photo box,
/// a band of print); the second look on the coarser copy finds the document. 6 of these 16 were
/// outlined without it.
#[test]
fn a_document_on_a_pale_desk_in_a_noisy_frame_is_outlined() {
    let mut right = 0;
    let mut total = 0;
    for seed in 1..=8u64 {
        for kind in [
            idshot::analysis::DocKind::Id1,
            idshot::analysis::DocKind::Td3,
        ] {
            let (report, truth) = verdict(&SceneSpec {
                seed,
                kind,
                exposure: 0.12,
                noise: 14.0,
                background: idshot::scene::Background::Desk,
                ..SceneSpec::default()
            });
            total += 1;
            let limit = 0.02 * truth.corners.0[0].dist(truth.corners.0[2]);
            if report
                .document
                .is_some_and(|d| max_corner_error(&d.quad, &truth.corners) < limit)
            {
                right += 1;
            }
        }
    }
    assert!(right >= 12, "outlined {right} of {total}");
}

/// A card held too close, off to one side: its outline runs off the frame. It is outlined by its
/// sides in view and the frame borders past which it runs on, not by a printed box inside it (the
/// photo, a text column), and it is never ready (a corner is out of view).
#[test]
fn a_card_running_off_the_frame_is_outlined_by_its_sides_in_view() {
    use idshot::scene::Background;
    let (mut right, mut total) = (0, 0);
    for (background, center) in [
        (Background::Plain([40, 40, 45]), (0.72, 0.5)),
        (Background::Wood, (0.3, 0.62)),
        (Background::Desk, (0.5, 0.75)),
        (Background::Gradient, (0.7, 0.3)),
        (Background::Foliage, (0.25, 0.5)),
    ] {
        for seed in 1..=4u64 {
            let (report, truth) = verdict(&SceneSpec {
                seed,
                background: background.clone(),
                placement: held_at(center, 0.85, 2.0),
                ..SceneSpec::default()
            });
            assert!(
                !report.ready,
                "{background:?} seed {seed}: ready on a cut-off card"
            );
            total += 1;
            let overlap = report.document.map_or(0.0, |d| {
                d.quad.overlap_in_frame(&truth.corners, 1280, 720, 160)
            });
            right += u32::from(overlap >= 0.9);
        }
    }
    // 16 of 20; with the portrait prior on cut-off outlines, a printed box inside the card won
    // on most backgrounds and one card was ready.
    assert!(right >= 14, "outlined {right} of {total}");
}

/// A card facing the camera, turned a little and running off the frame: its tilt is read from
/// the sides in view. The frame border that closes its outline is no side of the card's; read as
/// one, it made a turned card look tilted out of plane (the border upright, the card's far side
/// turned) and a portrait-shaped piece in view look turned a quarter.
#[test]
fn a_card_facing_the_camera_is_read_as_facing_it_when_it_runs_off_the_frame() {
    use idshot::scene::Background;
    let (mut facing, mut outlined) = (0, 0);
    for (background, center, roll) in [
        (Background::Plain([40, 40, 45]), (0.2, 0.5), 5.0),
        (Background::Wood, (0.8, 0.5), -5.0),
        (Background::Gradient, (0.22, 0.45), -4.0),
        (Background::Foliage, (0.78, 0.55), 4.0),
        (Background::Dark, (0.5, 0.8), 6.0),
        (Background::Clutter, (0.5, 0.2), -6.0),
    ] {
        for seed in 1..=3u64 {
            let (report, truth) = verdict(&SceneSpec {
                seed,
                background: background.clone(),
                placement: held_at(center, 0.6, roll),
                ..SceneSpec::default()
            });
            let Some(doc) = report.document.as_ref() else {
                continue;
            };
            if doc.quad.overlap_in_frame(&truth.corners, 1280, 720, 160) < 0.9 {
                continue;
            }
            outlined += 1;
            let tilt = report.check(CheckId::Tilt);
            facing += u32::from(tilt.pass);
            assert!(
                !tilt.pass || tilt.value.is_some_and(|t| t < 10.0),
                "{background:?} seed {seed}: {tilt:?}"
            );
        }
    }
    assert!(outlined >= 12, "outlined {outlined} of 18");
    assert!(facing == outlined, "read as facing {facing} of {outlined}");
}

/// Documents pushed off the frame (scenes from the cut-off audit, where each was ready): the
/// outline closed on a box printed on the document (a photo's edges, a panel's rule) with two of
/// the document's own sides, which has the right shape and every corner in view. The document's
/// paper runs on past the printed side, so its corners are not these: never ready.
#[test]
fn a_box_printed_on_a_cut_off_document_is_not_taken_for_the_document() {
    use idshot::analysis::DocKind;
    use idshot::hints::Hint;
    use idshot::scene::Background;
    let pushed_off = |kind, seed, background, center, fill, angles, noise| SceneSpec {
        width: 1920,
        height: 1080,
        kind,
        seed,
        background,
        placement: posed(center, fill, angles),
        noise,
        ..SceneSpec::default()
    };
    for spec in [
        pushed_off(
            DocKind::Id1,
            24057,
            Background::Gradient,
            (0.3317, 0.5),
            0.7997,
            (-1.682, 5.387, -3.926),
            1.862,
        ),
        pushed_off(
            DocKind::Td3,
            186246,
            Background::Desk,
            (0.31, 0.5),
            0.9257,
            (-3.476, 0.353, -3.991),
            1.624,
        ),
        pushed_off(
            DocKind::Id1,
            132183,
            Background::Dark,
            (0.3074, 0.6752),
            0.8697,
            (-0.438, -1.779, 2.282),
            1.994,
        ),
    ] {
        let (report, _) = verdict(&spec);
        assert!(!report.ready, "ready on a cut-off document: {spec:?}");
        let corners = report.checks.iter().find(|c| c.id == CheckId::Corners);
        assert_eq!(
            corners.map(|c| (c.pass, c.hint)),
            Some((false, Some(Hint::CornersOutside))),
            "{spec:?}"
        );
    }
}

/// A passport data page wholly in view reports its machine-readable zone and is ready; the same
/// frame with the zone painted over in the page's paper colour reports none and is not ready though
/// every check passes; an ID-1 card gets no reading.
#[test]
fn a_passport_page_shows_its_machine_readable_zone_and_one_painted_over_does_not() {
    use idshot::analysis::DocKind;
    let mut analyzer = Analyzer::new(Spec::default());
    for seed in 1..=3u64 {
        let scene = render(&SceneSpec {
            seed,
            kind: DocKind::Td3,
            ..SceneSpec::default()
        });
        let report = analyzer.analyze(&scene.image);
        assert_eq!(report.document.map(|d| d.kind), Some(DocKind::Td3));
        assert_eq!(report.mrz.map(|z| z.present), Some(true), "seed {seed}");
        assert!(report.ready, "seed {seed}: {:?}", report.hint);
        // The page's bottom band, from 70% of its height down to its edge, in page coordinates.
        let [tl, tr, br, bl] = scene.truth.corners.0;
        let band = [
            tl.lerp(bl, 0.7),
            tr.lerp(br, 0.7),
            tr.lerp(br, 0.995),
            tl.lerp(bl, 0.995),
        ];
        let inside = |x: f32, y: f32| {
            (0..4).all(|i| {
                let (a, b) = (band[i], band[(i + 1) % 4]);
                (b.x - a.x) * (y - a.y) - (b.y - a.y) * (x - a.x) >= 0.0
            })
        };
        // The paper's colour from the page's left margin just above the band.
        let margin = tl.lerp(bl, 0.68).lerp(tr.lerp(br, 0.68), 0.01);
        let paper = *scene
            .image
            .get_pixel(margin.x.round() as u32, margin.y.round() as u32);
        let mut erased = scene.image.clone();
        for (x, y, px) in erased.enumerate_pixels_mut() {
            if inside(x as f32, y as f32) {
                *px = paper;
            }
        }
        let report = analyzer.analyze(&erased);
        assert_eq!(report.mrz.map(|z| z.present), Some(false), "seed {seed}");
        // Every check still passes on the page, but a passport shot without its two lines is
        // rejected: not ready, and the person is told why.
        assert!(report.checks.iter().all(|c| c.pass), "seed {seed}");
        assert!(!report.ready, "seed {seed}");
        assert_eq!(report.hint, Some(Hint::MrzUnreadable), "seed {seed}");
    }
    let (card, _) = verdict(&SceneSpec::default());
    assert_eq!(card.mrz, None);
}

/// A card held off to a corner of the frame at enough resolution (about 9 px/mm): it is told to
/// bring its corners into view, never to come closer. Its visible part can have a passport page's
/// aspect; read at a passport's size it would seem too far.
#[test]
fn a_card_running_off_a_corner_is_not_told_to_come_closer() {
    use idshot::hints::Hint;
    use idshot::scene::Background;
    let mut judged = 0;
    for (background, center) in [
        (Background::Plain([40, 40, 45]), (0.78, 0.7)),
        (Background::Gradient, (0.22, 0.7)),
        (Background::Desk, (0.78, 0.3)),
        (Background::Wood, (0.22, 0.3)),
    ] {
        for seed in 1..=3u64 {
            let (report, truth) = verdict(&SceneSpec {
                seed,
                background: background.clone(),
                placement: held_at(center, 0.62, -4.0),
                ..SceneSpec::default()
            });
            let Some(distance) = report.checks.iter().find(|c| c.id == CheckId::Distance) else {
                continue;
            };
            // Only where its sides in view are found: an inner box's outline is another matter.
            let outlined = report
                .document
                .is_some_and(|d| d.quad.overlap_in_frame(&truth.corners, 1280, 720, 160) >= 0.9);
            if outlined {
                judged += 1;
                assert_ne!(
                    distance.hint,
                    Some(Hint::MoveCloser),
                    "{background:?} seed {seed}: {report:?}"
                );
            }
        }
    }
    assert!(judged >= 6, "{judged} of 12 outlined");
}

/// The same dim room with a quiet sensor (noise 1.5): the card's paper is as dark as the desk, and
/// at the frame's own levels its sides barely step (a level or two) while its photo and printed
/// boxes show crisply, so the first look is sure of a box printed on the card. The brightened
/// look sees the card's sides and its outline, around the box, replaces it (seed 11's audit scenes
/// 81, 142, 266: outlined on the photo or a printed band before).
#[test]
fn a_pale_card_on_a_pale_desk_in_a_dim_room_is_outlined_not_its_photo() {
    let mut analyzer = Analyzer::new(Spec::default());
    let (mut right, mut scenes) = (0, 0);
    for exposure in [0.02, 0.03, 0.04] {
        // Seeds spread out as the audit spreads them: the desk's colour and the card's print vary.
        for k in 1..=10u64 {
            let seed = k * 7919 + 13;
            let scene = render(&SceneSpec {
                seed,
                background: idshot::scene::Background::Desk,
                placement: posed((0.5, 0.5), 0.62, (2.0, -3.0, 1.5)),
                exposure,
                noise: 1.5,
                ..SceneSpec::default()
            });
            let report = analyzer.analyze(&scene.image);
            right += u32::from(outlined_right(&report, &scene.truth));
            scenes += 1;
            assert!(!report.ready, "exposure {exposure} seed {seed}");
        }
    }
    // 30 of 30; 25 without the brightened look after a sure one.
    assert!(right >= 28, "outlined right on {right} of {scenes}");
}

/// A card on a pale desk in a dim room (mean luma about 20-27, sensor noise 12): the card is a few
/// grey levels off the desk, and its sides show only once many pixels are averaged across them
/// (the brightened last look). Found on nearly all of them (2 of these 12 without that look), and
/// none is ready: the light is too low.
#[test]
fn a_card_on_a_pale_desk_in_a_dim_room_is_found_and_told_to_find_light() {
    let mut analyzer = Analyzer::new(Spec::default());
    let mut found = 0;
    for exposure in [0.02, 0.03] {
        for seed in 1..=6u64 {
            let scene = render(&SceneSpec {
                seed,
                background: idshot::scene::Background::Desk,
                exposure,
                noise: 12.0,
                ..SceneSpec::default()
            });
            let report = analyzer.analyze(&scene.image);
            found += u32::from(outlined_right(&report, &scene.truth));
            let exposure_check = report.check(CheckId::Exposure);
            assert!(!report.ready, "exposure {exposure} seed {seed}");
            assert_eq!(
                (exposure_check.pass, exposure_check.hint),
                (false, Some(Hint::TooDark)),
                "exposure {exposure} seed {seed}"
            );
        }
    }
    assert!(found >= 10, "outlined right on {found} of 12");
}

/// A streak of light across the whole frame, over a card in a dim room (f0005: a lamp's reflection
/// on a glossy desk and card): a bright band from one frame edge to the other, `width` px wide,
/// rising by `slope` px per px, its core clipped. Added in place over the rendered frame.
fn add_streak_across(image: &mut image::RgbImage, centre_y: f32, width: f32, slope: f32) {
    let (w, h) = image.dimensions();
    let cx = w as f32 / 2.0;
    for y in 0..h {
        for x in 0..w {
            let offset = (y as f32 - centre_y - slope * (x as f32 - cx)).abs();
            // Full light inside the band's core, falling off over a few pixels at its edges.
            let light = (1.0 - (offset - 0.5 * width) / 6.0).clamp(0.0, 1.0);
            if light > 0.0 {
                let px = image.get_pixel_mut(x, y);
                for c in px.0.iter_mut() {
                    *c = (*c as f32 + light * 400.0).min(255.0) as u8;
                }
            }
        }
    }
}

/// A card on a pale desk in a dim room, crossed by a streak of light from one frame edge to the
/// other: the streak is outlined as crisply as any document, closed by the two frame edges, but no
/// document cut off by the frame is ten times as long as it is wide. The streak breaks the card's
/// sides, so the card is seldom outlined whole (2 of 12), but the streak never is (8 of 12 before
/// the aspect bound); none is ready (the light is too low, and the streak is glare).
#[test]
fn a_streak_of_light_across_the_frame_is_not_taken_for_the_document() {
    let mut analyzer = Analyzer::new(Spec::default());
    let (mut on_streak, mut right) = (0, 0);
    for (k, (centre, slope)) in [(0.45, 0.05), (0.55, -0.04), (0.4, 0.0), (0.6, 0.07)]
        .into_iter()
        .enumerate()
    {
        for seed in 1..=3u64 {
            let mut scene = render(&SceneSpec {
                seed: seed * 31 + k as u64,
                background: idshot::scene::Background::Desk,
                placement: held_at((0.5, 0.5), 0.62, 2.0),
                exposure: 0.015,
                noise: 8.0,
                ..SceneSpec::default()
            });
            let h = scene.image.height() as f32;
            add_streak_across(&mut scene.image, centre * h, 0.05 * h, slope);
            let report = analyzer.analyze(&scene.image);
            assert!(!report.ready, "streak {k} seed {seed}");
            let Some(doc) = report.document.as_ref() else {
                continue;
            };
            // The streak's outline: no side longer than the band, both ends on frame borders.
            let heights = [
                doc.quad.0[0].dist(doc.quad.0[3]),
                doc.quad.0[1].dist(doc.quad.0[2]),
            ];
            on_streak += u32::from(heights.iter().all(|&s| s < 0.1 * h));
            right += u32::from(outlined_right(&report, &scene.truth));
        }
    }
    assert_eq!(on_streak, 0, "{right} of 12 outlined right");
}

/// A card held so close that it runs off the top and bottom of the frame: no move sideways brings
/// its corners in, so where it is outlined from edge to edge it is told to move back, not to bring
/// its corners into view. (6 of these 16 are outlined from edge to edge; on the others a printed
/// box on the card is outlined instead, cut by one frame edge, and the person is told to bring the
/// corners in: moving back shows the card whole either way.)
#[test]
fn a_card_taller_than_the_frame_is_told_to_move_back() {
    let mut spanning = 0;
    for seed in 1..=8u64 {
        for fill in [0.91, 0.94] {
            let (report, _) = verdict(&SceneSpec {
                seed,
                placement: centred(fill, 0.0),
                ..SceneSpec::default()
            });
            let Some(doc) = report.document.as_ref() else {
                continue;
            };
            let ys = doc.quad.0.map(|p| p.y);
            let edge_to_edge = ys.iter().any(|&y| y < 2.0) && ys.iter().any(|&y| y > 717.0);
            if !edge_to_edge {
                continue;
            }
            spanning += 1;
            let corners = report.check(CheckId::Corners);
            assert!(!corners.pass, "seed {seed} fill {fill}");
            assert_eq!(
                corners.hint,
                Some(Hint::MoveBack),
                "seed {seed} fill {fill}"
            );
            assert_eq!(report.hint, Some(Hint::MoveBack), "seed {seed} fill {fill}");
        }
    }
    assert!(spanning >= 3, "{spanning} of 16 outlined from edge to edge");
}
