//! The desktop app driven headless through egui_kittest: the real app state, the real pipeline
//! and the demo (or a missing) source. Queries go through the accessibility tree, so no GPU is
//! needed. Every wait is bounded.
#![cfg(feature = "gui")]

use std::path::Path;
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use idshot::save::Side;
use idshot::ui::app::{hint_line, live_rows, photo_rows};
use idshot::ui::{AppOptions, IdshotApp, Screen, Settings, SourceChoice};

/// Real time between harness steps while waiting for the pipeline.
const STEP_WAIT: Duration = Duration::from_millis(15);
/// The longest any wait may take before the test fails (the demo renders every frame on the CPU,
/// and CI machines are slow).
const MAX_WAIT: Duration = Duration::from_secs(90);

/// The one harness every test uses: the app at a typical window size, polled then drawn each step.
fn harness(source: SourceChoice, dir: &Path, settings: Settings) -> Harness<'static, IdshotApp> {
    let app = IdshotApp::new(
        AppOptions {
            save_dir: Some(dir.to_path_buf()),
            ..AppOptions::new(source)
        },
        settings,
    );
    Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_ui_state(
            |ui, app: &mut IdshotApp| {
                app.poll(ui.ctx());
                app.show(ui);
            },
            app,
        )
}

/// Steps until `done` holds, sleeping between steps so the pipeline's threads get to run.
fn step_until(h: &mut Harness<'static, IdshotApp>, what: &str, done: impl Fn(&IdshotApp) -> bool) {
    let deadline = Instant::now() + MAX_WAIT;
    h.step();
    while !done(h.state()) {
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        std::thread::sleep(STEP_WAIT);
        h.step();
    }
    // One more pass so the accessibility tree shows the new state.
    h.step();
}

fn no_auto_capture() -> Settings {
    Settings {
        auto_capture: false,
        ..Settings::default()
    }
}

fn click(h: &mut Harness<'static, IdshotApp>, label: &str) {
    // An exact label wins ("Check" is also part of "Check a photo").
    match h.query_by_label(label) {
        Some(node) => node.click(),
        None => h.get_by_label_contains(label).click(),
    }
    h.step();
    h.step();
}

/// Roles a person operates: each must have a name a screen reader can say.
const CONTROL_ROLES: [Role; 6] = [
    Role::Button,
    Role::CheckBox,
    Role::TextInput,
    Role::Slider,
    Role::ComboBox,
    Role::SpinButton,
];

/// Every control on screen has a non-empty accessible name.
fn assert_controls_named(h: &Harness<'static, IdshotApp>, screen: &str) {
    let unnamed: Vec<String> = h
        .query_all_by(|n| {
            CONTROL_ROLES.contains(&n.role()) && n.label().is_none_or(|l| l.trim().is_empty())
        })
        .map(|n| format!("{n:?}"))
        .collect();
    assert!(unnamed.is_empty(), "{screen}: unnamed controls {unnamed:?}");
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn live_hint_and_checklist_follow_the_checks_and_keys_work() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut h = harness(SourceChoice::Demo, dir.path(), no_auto_capture());
    h.step();
    // The start screen offers every document.
    for doc in ["ID card", "Passport", "Driving licence"] {
        h.get_by_label_contains(doc);
    }
    assert_controls_named(&h, "start");
    click(&mut h, "ID card");
    assert_eq!(h.state().flow.screen, Screen::Capture);
    h.get_by_label_contains("front (1 of 2)");

    // Several frames in a row: what is shown is what the checks say.
    for _ in 0..5 {
        let seen = h.state().update().map(|u| u.seq);
        step_until(&mut h, "a new analysed frame", |a| {
            a.update().map(|u| u.seq) != seen
        });
        let app = h.state();
        let update = app.update().expect("an update");
        let hint = hint_line(Some(update), false);
        h.get_by_role_and_label(Role::Status, &hint);
        h.get_by_role_and_label(Role::Image, "Live camera preview, mirrored");
        assert_controls_named(&h, "capture");
        if let Some(expected) = update.guidance.hint {
            assert_eq!(hint, expected.text(), "the hint line is the guide's hint");
        }
        let rows = live_rows(update);
        assert_eq!(rows.len(), 8, "seven checks and 'held still'");
        for row in &rows {
            h.get_by_label(&row.spoken());
        }
        // The checklist agrees with the report, check by check.
        for (row, check) in rows.iter().zip(update.report.checks.iter()) {
            assert_eq!(row.level == idshot::imageio::Level::Pass, check.pass);
        }
    }

    // M mirrors the preview and back.
    assert!(h.state().settings.mirror, "mirrored by default");
    h.key_press(egui::Key::M);
    h.step();
    assert!(!h.state().settings.mirror);
    h.get_by_label("Mirror: off (M)");
    h.key_press(egui::Key::M);
    h.step();
    assert!(h.state().settings.mirror);

    // Esc goes back to the start.
    h.key_press(egui::Key::Escape);
    h.step();
    assert_eq!(h.state().flow.screen, Screen::Start);
}

#[test]
fn space_captures_then_retake_and_next_side_reach_the_done_screen() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut h = harness(SourceChoice::Demo, dir.path(), no_auto_capture());
    h.step();
    click(&mut h, "Driving licence");
    step_until(&mut h, "the first frame", |a| a.update().is_some());

    // Space: a manual shot of the next frame, then the review screen with the saved photo.
    h.key_press(egui::Key::Space);
    step_until(&mut h, "the review screen", |a| {
        a.flow.screen == Screen::Review
    });
    step_until(&mut h, "the saved photo", IdshotApp::is_review_loaded);
    h.get_by_role_and_label(Role::Image, "The saved photo");
    assert_controls_named(&h, "review");
    h.get_by_label_contains("Document in view:");
    let first = files_in(dir.path());
    assert_eq!(
        first.len(),
        2 + usize::from(first.iter().any(|f| f.contains("-crop")))
    );
    assert!(first.iter().all(|f| f.contains("-front")), "{first:?}");

    // R: retake. The discarded shot's files are gone and the same side is captured again.
    h.key_press(egui::Key::R);
    h.step();
    assert_eq!(h.state().flow.screen, Screen::Capture);
    assert_eq!(h.state().flow.side(), Side::Front);
    assert!(files_in(dir.path()).is_empty(), "retake deletes the shot");

    step_until(&mut h, "a frame after the retake", |a| a.update().is_some());
    click(&mut h, "Take the photo now");
    step_until(&mut h, "the review screen", |a| {
        a.flow.screen == Screen::Review
    });

    // Next side: keeps the front, captures the back.
    click(&mut h, "Next side");
    assert_eq!(h.state().flow.screen, Screen::Capture);
    assert_eq!(h.state().flow.side(), Side::Back);
    h.get_by_label_contains("back (2 of 2)");
    step_until(&mut h, "a frame of the back", |a| a.update().is_some());
    h.key_press(egui::Key::Space);
    step_until(&mut h, "the review of the back", |a| {
        a.flow.screen == Screen::Review
    });
    assert!(
        h.query_by_label("Next side").is_none(),
        "the back is the last side"
    );
    click(&mut h, "Keep");
    assert_eq!(h.state().flow.screen, Screen::Done);

    // The done screen lists every kept file and the folder.
    let files = files_in(dir.path());
    assert!(files.iter().any(|f| f.ends_with("-front.jpg")), "{files:?}");
    assert!(files.iter().any(|f| f.ends_with("-back.jpg")), "{files:?}");
    for f in files
        .iter()
        .filter(|f| f.ends_with(".jpg") || f.ends_with(".json"))
    {
        h.get_by_label_contains(f);
    }
    h.get_by_label_contains(&dir.path().display().to_string());
    assert_controls_named(&h, "done");

    // Delete these captures: asks first; Cancel keeps everything.
    let kept = files.len();
    click(&mut h, "Delete these captures");
    h.get_by_label_contains(&format!("Delete the {kept} files listed above?"));
    click(&mut h, "Cancel");
    assert_eq!(files_in(dir.path()).len(), kept, "cancel deletes nothing");
    assert!(h.query_by_label_contains("listed above?").is_none());
    // Confirmed: every file of this session is gone, and the screen says so.
    click(&mut h, "Delete these captures");
    click(&mut h, "Yes, delete them");
    assert!(
        files_in(dir.path()).is_empty(),
        "{:?}",
        files_in(dir.path())
    );
    h.get_by_label(&format!("Deleted {kept} files."));
    assert!(h.query_by_label("Delete these captures").is_none());
    assert!(h.state().flow.kept.is_empty());
}

#[test]
fn auto_capture_leads_to_the_review_screen() {
    let dir = tempfile::tempdir().expect("temp dir");
    // The demo script settles the card in view; a short hold keeps the test quick.
    let settings = Settings {
        hold_secs: 0.3,
        ..Settings::default()
    };
    let mut h = harness(SourceChoice::Demo, dir.path(), settings);
    h.step();
    click(&mut h, "ID card");
    step_until(&mut h, "an auto-capture", |a| {
        a.flow.screen == Screen::Review
    });
    let shot = h.state().flow.review.clone().expect("a shot under review");
    assert_eq!(shot.trigger, idshot::guidance::Trigger::Auto);
    let saved = shot.saved.expect("saved");
    assert!(saved.original.exists());
    step_until(&mut h, "the saved photo", IdshotApp::is_review_loaded);
    // An auto-capture only happens when every check passed.
    for label in [
        "Document in view: passes",
        "Sharp: passes",
        "No glare: passes",
    ] {
        h.get_by_label(label);
    }
}

#[test]
fn no_source_screen_offers_try_again_demo_and_photo_check() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("no-such-folder");
    let mut h = harness(SourceChoice::Replay(missing), dir.path(), no_auto_capture());
    h.step();
    click(&mut h, "Passport");
    step_until(&mut h, "the no-source screen", |a| {
        matches!(a.flow.screen, Screen::NoSource { .. })
    });
    h.get_by_label("Try again");
    h.get_by_label("Check a photo");

    // Try again with the same missing source lands on the same screen.
    click(&mut h, "Try again");
    step_until(&mut h, "the no-source screen again", |a| {
        matches!(a.flow.screen, Screen::NoSource { .. })
    });

    // Check a photo: a path field and the same verdict as `idshot check`.
    click(&mut h, "Check a photo");
    assert_eq!(h.state().flow.screen, Screen::CheckPhoto);
    let photo = dir.path().join("grey.png");
    image::RgbImage::from_pixel(640, 400, image::Rgb([128, 128, 128]))
        .save(&photo)
        .expect("writes a png");
    let field = h.get_by_label("Photo file (JPEG or PNG):");
    field.focus();
    field.type_text(&photo.display().to_string());
    h.step();
    click(&mut h, "Check");
    let deadline = Instant::now() + MAX_WAIT;
    while h.query_by_label_contains("Not ready").is_none() {
        assert!(Instant::now() < deadline, "gave up waiting for the verdict");
        std::thread::sleep(STEP_WAIT);
        h.step();
    }
    h.get_by_label("Document in view: fails. Hold your ID card up to the camera");
    assert_controls_named(&h, "photo check");

    // Or from a folder: its photos are listed (newest first), a click checks one.
    let photos = dir.path().join("photos");
    std::fs::create_dir(&photos).expect("creates a folder");
    idshot::scene::render(&idshot::scene::SceneSpec::default())
        .image
        .save(photos.join("card.png"))
        .expect("writes the card");
    std::fs::write(photos.join("notes.txt"), "not a photo").expect("writes a text file");
    const FOLDER_FIELD: &str = "Or pick one of the newest photos in a folder:";
    h.get_by_label(FOLDER_FIELD).focus();
    h.step();
    // Replace the folder it starts on (the save folder).
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.step();
    h.get_by_label(FOLDER_FIELD)
        .type_text(&photos.display().to_string());
    h.step();
    click(&mut h, "List photos");
    assert!(h.query_by_label("Check notes.txt").is_none(), "only photos");
    click(&mut h, "Check card.png");
    let deadline = Instant::now() + MAX_WAIT;
    // The click cleared the grey photo's verdict.
    while h.query_by_label_contains("Ready to upload").is_none()
        && h.query_by_label_contains("Not ready").is_none()
    {
        assert!(
            Instant::now() < deadline,
            "gave up waiting for the card's verdict"
        );
        std::thread::sleep(STEP_WAIT);
        h.step();
    }
    // The same verdict as `idshot check` on the same file, check by check.
    let spec = idshot::analysis::Spec::default();
    let mut analyzer = idshot::analysis::Analyzer::new(spec.clone());
    let checked = idshot::cli::check::check_file(&mut analyzer, &spec, &photos.join("card.png"))
        .expect("checks the card");
    let verdict = if checked.ready() {
        "Ready to upload"
    } else {
        "Not ready"
    };
    h.get_by_label_contains(verdict);
    let rows = photo_rows(&checked);
    assert_eq!(rows.len(), checked.file_checks.len() + 7);
    for row in &rows {
        h.get_by_label(&row.spoken());
    }
    assert_eq!(
        h.state().settings.check_folder.as_deref(),
        Some(photos.as_path()),
        "the folder is remembered"
    );

    // Esc returns to the no-source screen; Demo then starts the demo.
    h.key_press(egui::Key::Escape);
    h.step();
    assert!(matches!(h.state().flow.screen, Screen::NoSource { .. }));
    click(&mut h, "Demo");
    assert_eq!(h.state().source(), &SourceChoice::Demo);
    step_until(&mut h, "a demo frame", |a| a.update().is_some());
    assert_eq!(h.state().flow.screen, Screen::Capture);
}

#[test]
fn a_shot_that_cannot_be_saved_is_kept_and_saved_elsewhere() {
    let dir = tempfile::tempdir().expect("temp dir");
    // A folder under a plain file cannot be created, whoever runs the test (root included).
    let blocker = dir.path().join("not-a-folder");
    std::fs::write(&blocker, b"x").expect("write blocker");
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).expect("create elsewhere");
    let mut h = harness(
        SourceChoice::Demo,
        &blocker.join("shots"),
        no_auto_capture(),
    );
    h.step();
    click(&mut h, "ID card");
    step_until(&mut h, "the first frame", |a| a.update().is_some());
    h.key_press(egui::Key::Space);
    step_until(&mut h, "the review screen", |a| {
        a.flow.screen == Screen::Review
    });
    step_until(&mut h, "the failed save", |a| {
        a.flow.review.as_ref().is_some_and(|r| r.saved.is_err())
    });
    h.get_by_label_contains("Not saved:");
    assert!(files_in(&elsewhere).is_empty());

    let field = h.get_by_label("Folder to save the photo in");
    field.click();
    h.step();
    h.get_by_label("Folder to save the photo in")
        .type_text(&elsewhere.to_string_lossy());
    h.step();
    click(&mut h, "Save here");
    step_until(&mut h, "the saved photo", IdshotApp::is_review_loaded);
    let saved = files_in(&elsewhere);
    assert!(
        saved.iter().any(|f| f.ends_with("-front.jpg"))
            && saved.iter().any(|f| f.ends_with(".json")),
        "{saved:?}"
    );
    h.get_by_role_and_label(Role::Image, "The saved photo");
}
