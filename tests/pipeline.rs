//! The pipeline end to end through its real threads and channels.

use std::path::Path;

use idshot::pipeline::{Event, Pipeline, PipelineConfig};
use idshot::source::{DemoSource, ReplaySource, SourceError, factory};

const SEQ: &str = "../shared/data/dev/seq00";

#[test]
fn lossless_replay_reports_every_frame_once_in_order() {
    if !Path::new(SEQ).exists() {
        eprintln!("skipped: {SEQ} absent");
        return;
    }
    let source = ReplaySource::open(Path::new(SEQ), 30.0)
        .expect("opens")
        .unpaced();
    let n = source.len() as u64;
    let pipeline = Pipeline::start(
        factory(source),
        PipelineConfig {
            lossless: true,
            ..Default::default()
        },
    )
    .expect("starts");
    let mut seqs = Vec::new();
    while let Some(ev) = pipeline.next_event() {
        if let Event::Frame(u) = ev {
            assert_eq!(u.report.width, u.frame.width());
            seqs.push(u.seq);
        }
    }
    assert_eq!(seqs, (0..n).collect::<Vec<_>>());
    let stats = pipeline.stop();
    assert_eq!((stats.captured, stats.analysed, stats.dropped), (n, n, 0));
    assert!(stats.latency_median_ms.is_some());
}

#[test]
fn live_demo_drops_stale_frames_instead_of_queueing_and_saves_a_manual_shot() {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = DemoSource::new(320, 180, 30.0).unpaced().with_limit(40);
    let config = PipelineConfig {
        save_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let pipeline = Pipeline::start(factory(source), config).expect("starts");
    pipeline.capture_now();
    while !pipeline.is_finished() {
        std::thread::yield_now();
    }
    let shots = pipeline.take_shots();
    let stats = pipeline.stop();
    assert_eq!(stats.captured, 40);
    // Every frame is either analysed or counted as dropped: nothing waits in a backlog.
    assert_eq!(stats.analysed + stats.dropped, 40);
    assert_eq!(shots.len(), 1, "the manual shot");
    let saved = shots[0]
        .saved
        .as_ref()
        .expect("a save folder")
        .as_ref()
        .expect("saved");
    assert!(saved.original.exists() && saved.sidecar.exists());
}

#[test]
fn unreadable_folder_is_a_clear_error() {
    let err = ReplaySource::open(Path::new("/nonexistent/frames"), 30.0).expect_err("fails");
    assert!(matches!(err, SourceError::Unreadable { .. }));
    let empty = tempfile::tempdir().expect("tempdir");
    assert!(ReplaySource::open(empty.path(), 30.0).is_err());
}

#[cfg(feature = "camera")]
#[test]
fn camera_source_reports_no_camera_cleanly() {
    use idshot::source::camera::{CameraSelector, CameraSource, list_cameras};
    let cams = list_cameras().expect("listing works without cameras");
    if cams.is_empty() {
        let f: idshot::source::SourceFactory = Box::new(|| {
            CameraSource::open(&CameraSelector::Index(0), None)
                .map(|c| Box::new(c) as Box<dyn idshot::source::FrameSource>)
        });
        let err = Pipeline::start(f, PipelineConfig::default()).expect_err("no camera here");
        assert!(matches!(err, SourceError::NoCamera), "{err}");
    }
}
