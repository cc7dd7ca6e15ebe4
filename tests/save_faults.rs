//! Saving when it cannot: an unwritable folder, a full disk (simulated through
//! `write_shot_with_free_space`). The error is clear, no partial or temporary file is left, and
//! the capture stays in memory to be saved elsewhere.

use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use idshot::analysis::{
    Check, CheckId, DocKind, DocumentFound, FrameReport, Measures, Point, Quad, Spec,
};
use idshot::guidance::{CaptureDecision, GuideSpec, Trigger};
use idshot::pipeline::{Pipeline, PipelineConfig};
use idshot::save::{SaveError, Shot, Side, write_shot, write_shot_with_free_space};
use idshot::source::{DemoSource, factory};
use image::{Rgb, RgbImage};

fn frame() -> RgbImage {
    RgbImage::from_fn(320, 240, |x, y| {
        Rgb([(x * 255 / 320) as u8, (y * 255 / 240) as u8, 60])
    })
}

fn report() -> FrameReport {
    let quad = Quad([
        Point::new(40.0, 30.0),
        Point::new(280.0, 30.0),
        Point::new(280.0, 181.0),
        Point::new(40.0, 181.0),
    ]);
    FrameReport::from_checks(
        320,
        240,
        Some(DocumentFound {
            quad,
            kind: DocKind::Id1,
            confidence: 0.9,
        }),
        CheckId::ALL.map(|id| Check::passed(id, Some(0.0))),
        Measures::default(),
    )
}

fn decision() -> CaptureDecision {
    CaptureDecision {
        seq: 3,
        trigger: Trigger::Auto,
        failing: vec![],
        considered: vec![3],
        t_secs: 0.1,
    }
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Saves the shot with `free` bytes of disk left.
fn save_with_free(dir: &Path, free: u64) -> Result<idshot::save::SavedShot, SaveError> {
    let (img, rep, dec) = (frame(), report(), decision());
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
    let now = UNIX_EPOCH + Duration::from_secs(1_795_000_000);
    write_shot_with_free_space(dir, &shot, now, free)
}

#[test]
fn a_full_disk_at_any_point_leaves_no_file_and_says_so() {
    let roomy = tempfile::tempdir().expect("tempdir");
    let saved = save_with_free(roomy.path(), u64::MAX).expect("saves with room");
    let sizes: Vec<u64> = [
        Some(&saved.original),
        saved.crop.as_ref(),
        Some(&saved.sidecar),
    ]
    .into_iter()
    .flatten()
    .map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
    .collect();
    let total: u64 = sizes.iter().sum();
    // Full before anything, inside each file, and one byte short of the last.
    let mut cut_points = vec![0, 1, sizes[0] / 2, sizes[0], sizes[0] + sizes[1] / 2];
    cut_points.push(total - 1);
    for free in cut_points {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = save_with_free(dir.path(), free).expect_err("the disk is full");
        let text = err.to_string();
        assert!(
            matches!(&err, SaveError::Write { source, .. } if source.kind() == std::io::ErrorKind::StorageFull),
            "{free}: {err:?}"
        );
        assert!(text.starts_with("cannot write "), "{text}");
        assert!(text.contains("No space left on device"), "{text}");
        assert!(!text.contains('\n'));
        assert_eq!(
            names_in(dir.path()),
            Vec::<String>::new(),
            "free {free}: nothing left behind"
        );
    }
}

#[test]
fn an_unwritable_folder_is_a_clear_error() {
    let root = tempfile::tempdir().expect("tempdir");
    // A regular file where a folder should be: fails for root too, unlike permissions.
    let blocker = root.path().join("not-a-folder");
    std::fs::write(&blocker, b"x").expect("write");
    let err = save_with_free(&blocker.join("shots"), u64::MAX).expect_err("cannot save");
    assert!(matches!(err, SaveError::Folder { .. }), "{err:?}");
    assert!(err.to_string().contains("not-a-folder"), "{err}");
    assert_eq!(names_in(root.path()), vec!["not-a-folder".to_owned()]);

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let locked = root.path().join("locked");
        std::fs::create_dir(&locked).expect("mkdir");
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o500)).expect("chmod");
        if std::fs::write(locked.join("probe"), b"").is_ok() {
            eprintln!(
                "skipped the read-only folder: running as root, mode 0500 does not stop writes"
            );
            let _ = std::fs::remove_file(locked.join("probe"));
        } else {
            let err = save_with_free(&locked, u64::MAX).expect_err("read-only folder");
            assert!(matches!(err, SaveError::Write { .. }), "{err:?}");
            assert_eq!(names_in(&locked), Vec::<String>::new());
        }
        let _ = std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o700));
    }
}

#[test]
fn a_shot_the_pipeline_could_not_save_can_be_saved_elsewhere() {
    let root = tempfile::tempdir().expect("tempdir");
    let blocker = root.path().join("gone");
    std::fs::write(&blocker, b"x").expect("write");
    let config = PipelineConfig {
        save_dir: Some(blocker.join("shots")),
        ..PipelineConfig::default()
    };
    let source = DemoSource::new(320, 180, 30.0).unpaced().with_limit(5);
    let pipeline = Pipeline::start(factory(source), config).expect("starts");
    pipeline.capture_now();
    while !pipeline.is_finished() {
        std::thread::sleep(Duration::from_millis(5));
    }
    let shots = pipeline.take_shots();
    let unsaved = pipeline.take_unsaved();
    pipeline.stop();
    assert_eq!(shots.len(), 1);
    let error = match &shots[0].saved {
        Some(Err(e)) => e.clone(),
        other => panic!("the save fails: {other:?}"),
    };
    assert!(error.contains("cannot create the folder"), "{error}");
    assert_eq!(unsaved.len(), 1, "the capture is still in memory");
    let kept = &unsaved[0];
    assert_eq!(kept.error, error);
    assert_eq!(kept.decision.seq, shots[0].decision.seq);
    assert_eq!(kept.frame.dimensions(), (320, 180));

    let elsewhere = root.path().join("elsewhere");
    let saved = kept.save_to(&elsewhere).expect("saved elsewhere");
    let written = image::open(&saved.original).expect("readable").to_rgb8();
    assert_eq!(written.dimensions(), (320, 180));
    let mut names = names_in(&elsewhere);
    names.retain(|n| n.starts_with('.'));
    assert_eq!(names, Vec::<String>::new(), "no temporary files");
}

/// Every name in `dir` and below, for "nothing else was written".
fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p.clone());
            }
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn a_normal_save_writes_the_three_files_and_nothing_else() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (img, rep, dec) = (frame(), report(), decision());
    let (spec, gspec) = (Spec::default(), GuideSpec::default());
    let shot = Shot {
        frame: &img,
        report: &rep,
        decision: &dec,
        spec: &spec,
        guide_spec: &gspec,
        side: Side::Back,
        source: "test",
    };
    let saved = write_shot(dir.path(), &shot, UNIX_EPOCH).expect("saves");
    let mut expected = vec![saved.original, saved.sidecar];
    expected.extend(saved.crop);
    expected.sort();
    assert_eq!(all_files(dir.path()), expected);
}
