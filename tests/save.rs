//! Saving: atomic, never overwrites, pixels as captured, size limit, owner-only permissions.

use std::time::{Duration, UNIX_EPOCH};

use idshot::analysis::{
    Check, CheckId, DocKind, DocumentFound, FrameReport, Measures, Point, Quad, Spec,
};
use idshot::guidance::{CaptureDecision, GuideSpec, Trigger};
use idshot::save::{MAX_SHOT_BYTES, Shot, Side, default_dir_from, rectify, timestamp, write_shot};
use image::{Rgb, RgbImage};

/// A smooth gradient (JPEG keeps it within a few levels) that is not left-right symmetric.
fn frame(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, 60])
    })
}

fn report(w: u32, h: u32) -> FrameReport {
    let quad = Quad([
        Point::new(40.0, 30.0),
        Point::new(280.0, 30.0),
        Point::new(280.0, 181.0),
        Point::new(40.0, 181.0),
    ]);
    let doc = DocumentFound {
        quad,
        kind: DocKind::Id1,
        confidence: 0.9,
    };
    FrameReport::from_checks(
        w,
        h,
        Some(doc),
        CheckId::ALL.map(|id| Check::passed(id, Some(0.0))),
        Measures::default(),
    )
}

fn decision() -> CaptureDecision {
    CaptureDecision {
        seq: 7,
        trigger: Trigger::Auto,
        failing: vec![],
        considered: vec![5, 6, 7],
        t_secs: 1.0,
    }
}

#[test]
fn saves_original_crop_and_sidecar_with_the_source_pixels() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (img, rep, dec) = (frame(320, 240), report(320, 240), decision());
    let (spec, gspec) = (Spec::default(), GuideSpec::default());
    let shot = Shot {
        frame: &img,
        report: &rep,
        decision: &dec,
        spec: &spec,
        guide_spec: &gspec,
        side: Side::Front,
        source: "test",
    };
    let now = UNIX_EPOCH + Duration::from_secs(1_795_428_900); // 2026-11-23 10:15:00 UTC
    let saved = write_shot(dir.path(), &shot, now).expect("saved");
    assert_eq!(
        saved.original.file_name().and_then(|n| n.to_str()),
        Some("2026-11-23_101500_id-front.jpg")
    );
    assert!(saved.jpeg_quality >= 92);
    let back = image::open(&saved.original).expect("decodes").into_rgb8();
    assert_eq!(back.dimensions(), img.dimensions());
    let diff: f64 = back
        .as_raw()
        .iter()
        .zip(img.as_raw())
        .map(|(a, b)| (*a as f64 - *b as f64).abs())
        .sum::<f64>()
        / img.as_raw().len() as f64;
    assert!(
        diff < 2.0,
        "mean abs diff {diff}: not the source pixels (mirrored?)"
    );
    let crop = image::open(saved.crop.as_ref().expect("crop")).expect("crop decodes");
    assert!(
        crop.width() <= 240 && crop.width() >= 230,
        "no upscaling: {}",
        crop.width()
    );
    let side: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&saved.sidecar).expect("sidecar")).expect("json");
    assert_eq!(side["frames_considered"], serde_json::json!([5, 6, 7]));
    assert_eq!(side["checks"]["focus"]["pass"], serde_json::json!(true));
    assert!(side["spec"]["fill_min"].is_number());
    // Atomic writes leave no temporary files behind.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("ls")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for p in [&saved.original, &saved.sidecar] {
            assert_eq!(
                std::fs::metadata(p).expect("meta").permissions().mode() & 0o777,
                0o600
            );
        }
    }

    // The same second again: a new name, the first shot untouched.
    let before = std::fs::read(&saved.original).expect("read");
    let again = write_shot(dir.path(), &shot, now).expect("saved again");
    assert_ne!(again.original, saved.original);
    assert!(
        again
            .original
            .to_string_lossy()
            .ends_with("_id-front-2.jpg")
    );
    assert_eq!(std::fs::read(&saved.original).expect("read"), before);
}

#[test]
fn rectified_crop_is_upright_and_not_upscaled() {
    let img = frame(320, 240);
    let quad = Quad([
        Point::new(40.0, 30.0),
        Point::new(280.0, 30.0),
        Point::new(280.0, 181.0),
        Point::new(40.0, 181.0),
    ]);
    let crop = rectify(&img, &quad, DocKind::Id1).expect("crop");
    assert!(crop.width() <= 240 && crop.height() <= 151);
    // Left of the crop is darker red than its right, as in the source.
    let (l, r) = (
        crop.get_pixel(2, 50)[0],
        crop.get_pixel(crop.width() - 3, 50)[0],
    );
    assert!(l + 100 < r, "{l} {r}");
}

#[test]
fn huge_noisy_frame_stays_under_the_size_limit_or_is_refused_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = 1u32;
    let img = RgbImage::from_fn(3000, 2000, |_, _| {
        s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        Rgb([(s >> 24) as u8, (s >> 16) as u8, (s >> 8) as u8])
    });
    let (rep, dec, spec, gspec) = (
        report(3000, 2000),
        decision(),
        Spec::default(),
        GuideSpec::default(),
    );
    let shot = Shot {
        frame: &img,
        report: &rep,
        decision: &dec,
        spec: &spec,
        guide_spec: &gspec,
        side: Side::Back,
        source: "t",
    };
    match write_shot(dir.path(), &shot, UNIX_EPOCH) {
        Ok(saved) => assert!(saved.original_bytes <= MAX_SHOT_BYTES),
        Err(_) => assert_eq!(
            std::fs::read_dir(dir.path()).expect("ls").count(),
            0,
            "no partial files"
        ),
    }
}

#[test]
fn default_folder_follows_xdg_then_home() {
    let home = Some("/home/ada".to_owned());
    assert_eq!(
        default_dir_from(Some("/pics".into()), home.clone(), None),
        Some("/pics/idshot".into())
    );
    let dirs = "# comment\nXDG_PICTURES_DIR=\"$HOME/Bilder\"\n";
    assert_eq!(
        default_dir_from(None, home.clone(), Some(dirs)),
        Some("/home/ada/Bilder/idshot".into())
    );
    assert_eq!(
        default_dir_from(None, home, None),
        Some("/home/ada/Pictures/idshot".into())
    );
    assert_eq!(default_dir_from(None, None, None), None);
    assert_eq!(timestamp(UNIX_EPOCH), "1970-01-01_000000");
}
