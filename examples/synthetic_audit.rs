//! Audits the analysis on scenes made here, where every answer is known by construction:
//! random placements on every background, each clean or with one fault, documents running off the
//! frame, plus the demo's loop.
//!
//! `cargo run --release --no-default-features --example synthetic_audit -- [--scenes 400] [--cut-off 60] [--seed 1] [--list] [--jpeg 85]`
//!
//! It reports how often the outline is right (largest corner error under 2% of the document's
//! diagonal), how often a clean scene is ready, how often a faulted one is (wrongly) ready, and how
//! often "ready" stood on a wrong outline: the failures a person would see.

use idshot::analysis::{Analyzer, DocKind, Quad, Spec};
use idshot::hints::Hint;
use idshot::scene::rng::Rng;
use idshot::scene::{Background, DEFAULT_HFOV_DEG, Finger, Glare, Placement, SceneSpec, render};

/// An outline is right when no corner is further than this fraction of the diagonal from the truth.
const RIGHT_OUTLINE_FRAC: f32 = 0.02;

/// A clean scene's document is this much over the least resolution the distance check wants, so
/// the estimate's noise does not make it fail.
const PPMM_HEADROOM: f32 = 1.06;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Fault {
    None,
    Blur,
    Glare,
    Finger,
    Dark,
    Tilt,
    Far,
}

/// Every fault, in the table's order.
const FAULTS: [Fault; 7] = [
    Fault::None,
    Fault::Blur,
    Fault::Glare,
    Fault::Finger,
    Fault::Dark,
    Fault::Tilt,
    Fault::Far,
];

fn scene(rng: &mut Rng, index: u64) -> (SceneSpec, Fault) {
    // A quarter of the scenes are clean, the rest share the faults evenly.
    let fault = if rng.chance(0.25) {
        Fault::None
    } else {
        rng.pick(&FAULTS, Fault::None)
    };
    let kind = if rng.chance(0.7) {
        DocKind::Id1
    } else {
        DocKind::Td3
    };
    let (w, h) = rng.pick(&[(1280, 720), (1920, 1080), (1280, 720)], (1280, 720));
    let fill = match fault {
        Fault::Far => rng.range(0.25, 0.4),
        // Wide enough to pass distance, narrow enough that every corner keeps its margin.
        _ if kind == DocKind::Id1 => rng.range(0.55, 0.72),
        // A passport page at 1280x720 passes distance only from about 0.64 of the width.
        _ => {
            let least = PPMM_HEADROOM * Spec::default().ppmm_min * kind.size_mm().0 / w as f32;
            let low = least.max(0.5);
            rng.range(low, (low + 0.05).max(0.62))
        }
    };
    let (pitch, yaw) = match fault {
        Fault::Tilt => (rng.range(-35.0, 35.0), rng.pick(&[-30.0, 30.0], 30.0)),
        _ => (rng.range(-6.0, 6.0), rng.range(-6.0, 6.0)),
    };
    let mut spec = SceneSpec {
        width: w,
        height: h,
        kind,
        seed: index * 7919 + 13,
        background: audited_background(rng),
        placement: Placement::Pose {
            center: (0.5 + rng.range(-0.03, 0.03), 0.5 + rng.range(-0.03, 0.03)),
            fill,
            pitch_deg: pitch,
            yaw_deg: yaw,
            roll_deg: rng.range(-3.0, 3.0),
            hfov_deg: DEFAULT_HFOV_DEG,
        },
        noise: rng.range(0.5, 3.0),
        // Every other passport open in its booklet, as passports are photographed (chosen by
        // index so the other scenes' random draws stay as they were).
        booklet: index.is_multiple_of(2),
        ..SceneSpec::default()
    };
    match fault {
        Fault::Blur => spec.blur_px = rng.range(3.0, 6.0) * w as f32 / 1280.0,
        Fault::Glare => {
            spec.glare = Some(Glare {
                center: (rng.range(0.25, 0.75), rng.range(0.3, 0.7)),
                strength: rng.range(2.5, 4.0),
                ..Glare::default()
            })
        }
        Fault::Finger => spec.fingers = vec![Finger::Corner(rng.below(4))],
        Fault::Dark => spec.exposure = rng.range(0.02, 0.05),
        Fault::None | Fault::Tilt | Fault::Far => {}
    }
    (spec, fault)
}

fn corner_error(found: &Quad, truth: &Quad) -> f32 {
    let diag = truth.0[0].dist(truth.0[2]).max(truth.0[1].dist(truth.0[3]));
    let worst = found
        .0
        .iter()
        .zip(truth.0.iter())
        .map(|(p, q)| p.dist(*q))
        .fold(0.0, f32::max);
    worst / diag.max(1.0)
}

/// Any background, slats included: the tests leave slats out of `Background::VARIED` while a card
/// held square to them is still lost (see `tests/analysis.rs`); the audit counts them.
fn audited_background(rng: &mut Rng) -> Background {
    let kinds = Background::VARIED.len();
    let pick = rng.below(kinds + 1);
    Background::VARIED
        .get(pick)
        .cloned()
        .unwrap_or(Background::Slats)
}

#[derive(Default)]
struct Tally {
    scenes: u32,
    right: u32,
    ready: u32,
    ready_on_wrong_outline: u32,
    /// Scenes whose truth passes corners and distance clear of their limits, and of those the
    /// ready ones: a clean page placed a few pixels inside the corner margin is rightly not ready.
    passable: u32,
    ready_passable: u32,
    /// Passport pages outlined right and wholly in view, and of those the ones whose
    /// machine-readable zone was read as present.
    zones_read: u32,
    zones_present: u32,
}

/// Slack on the truth's side of a limit: a scene this close to one is left out of the clean
/// scenes that must be ready (the measured value may fall either side).
const LIMIT_SLACK: f32 = 0.1;

/// Whether the scene's truth keeps every corner inside the margin and the document at a distance
/// the checks pass, each clear of its limit by LIMIT_SLACK.
fn truth_passes(truth: &idshot::scene::Truth, width: u32, height: u32, spec: &Spec) -> bool {
    let margin = truth.corners.corner_margin(width as f32, height as f32);
    margin >= (1.0 + LIMIT_SLACK) * spec.corner_margin_frac
        && truth.ppmm >= (1.0 + LIMIT_SLACK) * spec.ppmm_min
        && truth.fill >= (1.0 + LIMIT_SLACK) * spec.fill_min
        && truth.fill <= (1.0 - LIMIT_SLACK) * spec.fill_max
        && truth.occluded_corners.is_empty()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let value = |name: &str, default: u64| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let list = args.iter().any(|a| a == "--list");
    // Scenes go through a JPEG round trip at this quality first, as a webcam's MJPEG frames do
    // (chroma at half resolution, block artefacts); 0 analyses the rendered pixels as they are.
    let jpeg_quality = value("--jpeg", 0).min(100) as u8;
    // Writes each listed scene as PNG into this folder, to look at.
    let save_dir = args
        .iter()
        .position(|a| a == "--save")
        .and_then(|i| args.get(i + 1))
        .map(std::path::PathBuf::from);
    // Multiplies every scene's light: 2 or more clips white paper and pale desks alike, as a
    // webcam in direct sunlight or under a desk lamp does.
    let light_gain: f32 = args
        .iter()
        .position(|a| a == "--exposure")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(1.0);
    let scenes = value("--scenes", 400);
    let mut rng = Rng::new(value("--seed", 1));
    let mut analyzer = Analyzer::new(Spec::default());
    let mut tallies: Vec<Tally> = FAULTS.iter().map(|_| Tally::default()).collect();
    for index in 0..scenes {
        let (mut spec, fault) = scene(&mut rng, index);
        spec.exposure *= light_gain;
        let rendered = render(&spec);
        let image = as_camera_sends(&rendered.image, jpeg_quality);
        let report = analyzer.analyze(&image);
        let error = report.document.as_ref().map_or(f32::INFINITY, |d| {
            corner_error(&d.quad, &rendered.truth.corners)
        });
        let right = error < RIGHT_OUTLINE_FRAC;
        let slot = FAULTS.iter().position(|f| *f == fault).unwrap_or(0);
        let tally = &mut tallies[slot];
        tally.scenes += 1;
        tally.right += u32::from(right);
        tally.ready += u32::from(report.ready);
        tally.ready_on_wrong_outline += u32::from(report.ready && !right);
        if let (true, DocKind::Td3, Some(zone)) = (right, spec.kind, report.mrz) {
            tally.zones_read += 1;
            tally.zones_present += u32::from(zone.present);
        }
        let passable = truth_passes(&rendered.truth, spec.width, spec.height, analyzer.spec());
        if passable {
            tally.passable += 1;
            tally.ready_passable += u32::from(report.ready);
        }
        let wrong_verdict = (fault == Fault::None) != report.ready;
        if list && (!right || wrong_verdict) {
            let failing: Vec<&str> = report
                .checks
                .iter()
                .filter(|c| !c.pass)
                .map(|c| c.id.name())
                .collect();
            println!(
                "scene {index:4} {fault:?} {:?} {:?} {}x{} err {:.3} ready {} failing {failing:?} covered {:?}/{:04b} clear {passable}",
                spec.background,
                spec.kind,
                spec.width,
                spec.height,
                error,
                report.ready,
                rendered.truth.occluded_corners,
                report.measures.covered_corners
            );
            save(
                &rendered.image,
                save_dir.as_deref(),
                &format!("scene_{index:04}.png"),
            );
        }
    }
    println!("fault    scenes  outline-right  ready  ready-on-wrong-outline");
    for (fault, t) in FAULTS.iter().zip(&tallies) {
        let pct = |n: u32| 100.0 * n as f32 / t.scenes.max(1) as f32;
        println!(
            "{:<8} {:6}  {:12.1}%  {:5.1}%  {:5}",
            format!("{fault:?}"),
            t.scenes,
            pct(t.right),
            pct(t.ready),
            t.ready_on_wrong_outline
        );
    }
    if let Some(clean) = tallies.first() {
        println!(
            "clean scenes clear of every limit: {} of {}, ready {:.1}%",
            clean.passable,
            clean.scenes,
            100.0 * clean.ready_passable as f32 / clean.passable.max(1) as f32
        );
    }
    let zone = |t: &Tally| format!("{}/{}", t.zones_present, t.zones_read);
    let zones: Vec<String> = FAULTS
        .iter()
        .zip(&tallies)
        .map(|(fault, t)| format!("{fault:?} {}", zone(t)))
        .collect();
    println!(
        "passport pages outlined right, MRZ read as present: {}",
        zones.join(", ")
    );
    cut_off_audit(
        &mut analyzer,
        value("--seed", 1),
        value("--cut-off", CUT_OFF_SCENES),
        (list, save_dir.as_deref()),
        jpeg_quality,
    );
    demo_loop(&mut analyzer, list, jpeg_quality);
}

/// Writes a listed scene into `dir`, when there is one, to look at.
fn save(image: &image::RgbImage, dir: Option<&std::path::Path>, name: &str) {
    if let Some(dir) = dir {
        let path = dir.join(name);
        if let Err(e) = image.save(&path) {
            eprintln!("cannot save {}: {e}", path.display());
        }
    }
}

/// Cut-off scenes audited by default: a person holding the document too close or off to one side.
const CUT_OFF_SCENES: u64 = 60;
/// A cut-off document's outline is right when the parts in view overlap this much (intersection
/// over union inside the frame): its corners off the frame cannot be placed, only its sides.
const RIGHT_VISIBLE_IOU: f32 = 0.9;
/// The in-view overlap is counted on a grid of this many points across the frame's width.
const OVERLAP_GRID: u32 = 256;

/// Documents running off one or two sides of the frame, on every background. None may be ready
/// (a corner is out of view), and the outline should follow the sides in view: an outline closed
/// on a printed box inside the document is the mistake a person would see. A separate random stream
/// (from the seed), so the table above keeps its scenes.
fn cut_off_audit(
    analyzer: &mut Analyzer,
    seed: u64,
    scenes: u64,
    (list, save_dir): (bool, Option<&std::path::Path>),
    jpeg_quality: u8,
) {
    let mut rng = Rng::new(seed.wrapping_mul(0x9E37_79B9).wrapping_add(0xC07));
    let (mut right, mut ready, mut told) = (0u32, 0u32, 0u32);
    for index in 0..scenes {
        let kind = if rng.chance(0.7) {
            DocKind::Id1
        } else {
            DocKind::Td3
        };
        let (w, h) = rng.pick(&[(1280, 720), (1920, 1080)], (1280, 720));
        // Pushed off one side, or off two at a corner; wide enough that a real side runs off.
        let off = |rng: &mut Rng| {
            let shift = rng.range(0.15, 0.3);
            if rng.chance(0.5) { shift } else { -shift }
        };
        let (dx, dy) = match rng.below(3) {
            0 => (off(&mut rng), 0.0),
            1 => (0.0, off(&mut rng)),
            _ => (off(&mut rng), off(&mut rng)),
        };
        let spec = SceneSpec {
            width: w,
            height: h,
            kind,
            seed: index * 6007 + 29,
            background: audited_background(&mut rng),
            placement: Placement::Pose {
                center: (0.5 + dx, 0.5 + dy),
                fill: rng.range(0.7, 1.0),
                pitch_deg: rng.range(-6.0, 6.0),
                yaw_deg: rng.range(-6.0, 6.0),
                roll_deg: rng.range(-5.0, 5.0),
                hfov_deg: DEFAULT_HFOV_DEG,
            },
            noise: rng.range(0.5, 3.0),
            ..SceneSpec::default()
        };
        let rendered = render(&spec);
        let report = analyzer.analyze(&as_camera_sends(&rendered.image, jpeg_quality));
        let overlap = report.document.as_ref().map_or(0.0, |d| {
            d.quad
                .overlap_in_frame(&rendered.truth.corners, w, h, OVERLAP_GRID)
        });
        right += u32::from(overlap >= RIGHT_VISIBLE_IOU);
        ready += u32::from(report.ready);
        // What the person is told first: to bring the corners in (or to move back, which does).
        let told_right = matches!(report.hint, Some(Hint::CornersOutside | Hint::MoveBack));
        told += u32::from(told_right);
        if list && (overlap < RIGHT_VISIBLE_IOU || report.ready || !told_right) {
            println!(
                "cut-off {index:3} {:?} {kind:?} {w}x{h} in-view overlap {overlap:.3} ready {} hint {:?}",
                spec.background, report.ready, report.hint
            );
            save(
                &rendered.image,
                save_dir,
                &format!("cut_off_{index:04}.png"),
            );
        }
    }
    println!(
        "cut-off: {scenes} scenes, outline right in view {:.1}%, ready {ready} (each one false), \
         told to bring the corners in or move back {:.1}%",
        100.0 * right as f32 / scenes.max(1) as f32,
        100.0 * told as f32 / scenes.max(1) as f32
    );
}

/// The scene as a camera would deliver it: JPEG-encoded at `quality` and decoded, or untouched at 0.
fn as_camera_sends(image: &image::RgbImage, quality: u8) -> std::borrow::Cow<'_, image::RgbImage> {
    if quality == 0 {
        return std::borrow::Cow::Borrowed(image);
    }
    let mut encoded = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut encoded, quality);
    let decoded = image
        .write_with_encoder(encoder)
        .map_err(|e| e.to_string())
        .and_then(|()| image::load_from_memory(&encoded).map_err(|e| e.to_string()));
    match decoded {
        Ok(decoded) => std::borrow::Cow::Owned(decoded.to_rgb8()),
        Err(e) => {
            eprintln!("JPEG round trip failed ({e}); analysing the rendered scene");
            std::borrow::Cow::Borrowed(image)
        }
    }
}

/// Every frame of the demo's loop at 30 fps, for a few seeds and both kinds: a ready frame must
/// stand on the right outline.
fn demo_loop(analyzer: &mut Analyzer, list: bool, jpeg_quality: u8) {
    let (mut frames, mut ready, mut wrong) = (0u32, 0u32, 0u32);
    for seed in 1..=3u64 {
        for kind in [DocKind::Id1, DocKind::Td3] {
            let mut t = 0.0f32;
            while t < idshot::scene::demo::DEMO_LOOP_SECS {
                let spec = idshot::scene::demo::demo_spec(t, 1280, 720, kind, seed);
                let rendered = render(&spec);
                let report = analyzer.analyze(&as_camera_sends(&rendered.image, jpeg_quality));
                frames += 1;
                if report.ready {
                    ready += 1;
                    let error = report.document.as_ref().map_or(f32::INFINITY, |d| {
                        corner_error(&d.quad, &rendered.truth.corners)
                    });
                    if error >= RIGHT_OUTLINE_FRAC {
                        wrong += 1;
                        if list {
                            println!(
                                "demo seed {seed} {kind:?} t {t:.2} ready with error {error:.3}"
                            );
                        }
                    }
                }
                t += 1.0 / 10.0;
            }
        }
    }
    println!("demo loop: {frames} frames, {ready} ready, {wrong} ready on a wrong outline");
}
