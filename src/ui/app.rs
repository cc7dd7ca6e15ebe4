//! The desktop app: renders the [`Flow`] and the live pipeline's updates, and forwards input.
//! Everything slow (opening the source, analysis, loading the saved shot, checking a photo) runs
//! on other threads; the UI thread only polls.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, bounded};
use egui::{
    Align2, Color32, FontId, Key, Pos2, Rect, RichText, Sense, Shape, Stroke, StrokeKind,
    TextureHandle, TextureOptions, Vec2, pos2, vec2,
};

use crate::analysis::{Analyzer, CheckId, FrameReport, MrzFinding, Spec};
use crate::cli::check::{Checked, check_file};
use crate::guidance::{GuideSpec, Phase, Trigger};
use crate::hints::Hint;
use crate::imageio::Level;
use crate::pipeline::{PipelineConfig, UnsavedShot, Update};

use super::flow::{DocChoice, Effect, Flow, Screen};
use super::geometry::PreviewMap;
use super::live::{Live, SourceChoice, StartOutcome, camera_names};
use super::settings::{HOLD_SECS_MAX, HOLD_SECS_MIN, RESOLUTIONS, Settings};
use super::sound::Shutter;

/// The hint line's text size (points): readable at arm's length. A hint too long for the line
/// at that size shrinks to fit it, down to the smaller size, rather than wrap out of view.
const HINT_SIZE: f32 = 34.0;
const HINT_MIN_SIZE: f32 = 20.0;
const TITLE_SIZE: f32 = 22.0;
const CHECK_SIZE: f32 = 18.0;
/// The fix under a failing check: smaller than the check, still readable from a chair.
const DETAIL_SIZE: f32 = 14.0;
/// The checklist panel's width: its longest label ("Document in view" at CHECK_SIZE, after the
/// OK/FIX mark) must fit on one line at the minimum, not break inside a word.
const CHECKLIST_WIDTH: f32 = 300.0;
const CHECKLIST_MIN_WIDTH: f32 = 250.0;
/// How long the capture flash lasts.
const FLASH_SECS: f32 = 0.35;
/// Outline and corner marker sizes, in points.
const OUTLINE_WIDTH: f32 = 4.0;
const CORNER_RADIUS: f32 = 9.0;
const HOLD_RING_RADIUS: f32 = 34.0;
const HOLD_RING_WIDTH: f32 = 8.0;
/// The photo check lists at most this many of a folder's newest photos.
const MAX_LISTED_PHOTOS: usize = 40;
/// File types the photo check lists (as `idshot check` reads them).
const PHOTO_EXTENSIONS: [&str; 3] = ["jpg", "jpeg", "png"];
/// Frame intervals kept for the pacing figures (about 30 s at 30 fps).
const PACING_WINDOW: usize = 900;

const GREEN: Color32 = Color32::from_rgb(40, 190, 90);
const AMBER: Color32 = Color32::from_rgb(240, 170, 30);
const RED: Color32 = Color32::from_rgb(225, 60, 50);

/// Icons next to every check: the state never rests on colour alone.
pub const ICON_PASS: &str = "OK";
pub const ICON_FAIL: &str = "FIX";
pub const ICON_WARN: &str = "WARN";

/// How the app was asked to start.
#[derive(Clone, Debug)]
pub struct AppOptions {
    pub source: SourceChoice,
    /// Overrides the folder from the settings (tests write into a temporary folder).
    pub save_dir: Option<PathBuf>,
    /// Skip the start screen and capture this document right away.
    pub start_doc: Option<DocChoice>,
    /// Close the window after this long (measuring the frame pacing, taking screenshots).
    pub quit_after: Option<Duration>,
}

impl AppOptions {
    /// The app on a source, with everything else as usual.
    pub fn new(source: SourceChoice) -> Self {
        Self {
            source,
            save_dir: None,
            start_doc: None,
            quit_after: None,
        }
    }
}

/// One row of a checklist.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckRow {
    pub label: String,
    pub level: Level,
    pub detail: Option<String>,
}

impl CheckRow {
    /// The accessible name: the state in words, then the fix.
    pub fn spoken(&self) -> String {
        let state = match self.level {
            Level::Pass => "passes",
            Level::Warn => "warning",
            Level::Fail => "fails",
        };
        match &self.detail {
            Some(d) => format!("{}: {state}. {d}", self.label),
            None => format!("{}: {state}", self.label),
        }
    }
}

/// The live checklist: every check of the report, then "held still" from the guidance.
pub fn live_rows(update: &Update) -> Vec<CheckRow> {
    let mut rows: Vec<CheckRow> = CheckId::ALL
        .iter()
        .map(|&id| {
            let c = update.report.check(id);
            // The guide knows what one frame cannot: a card lost from view while too close is
            // told to move back, and its row says so too instead of asking for the card.
            let hint = match (id, c.hint, update.guidance.hint) {
                (CheckId::Document, Some(Hint::ShowDocument), Some(Hint::MoveBack)) => {
                    Some(Hint::MoveBack)
                }
                (_, hint, _) => hint,
            };
            CheckRow {
                label: id.label().to_owned(),
                level: if c.pass { Level::Pass } else { Level::Fail },
                detail: check_detail(id, c.pass, hint),
            }
        })
        .collect();
    rows.push(CheckRow {
        label: "Held still".to_owned(),
        level: if update.guidance.steady {
            Level::Pass
        } else {
            Level::Fail
        },
        detail: None,
    });
    rows.extend(mrz_row(&update.report));
    rows
}

/// A passport page's machine-readable zone, when the report read one: the page is not ready
/// without it (`FrameReport::with_mrz`), so a zone that does not show fails its row.
fn mrz_row(report: &FrameReport) -> Option<CheckRow> {
    report.mrz.map(|zone| mrz_row_of(zone.present))
}

fn mrz_row_of(present: bool) -> CheckRow {
    CheckRow {
        label: MrzFinding::LABEL.to_owned(),
        level: if present { Level::Pass } else { Level::Fail },
        detail: (!present).then(|| Hint::MrzUnreadable.text().to_owned()),
    }
}

/// The fix under a failing check. "Show the document" is said once, on the document row: with no
/// document every check fails with it.
fn check_detail(id: CheckId, pass: bool, hint: Option<Hint>) -> Option<String> {
    let repeats_show_document = id != CheckId::Document && hint == Some(Hint::ShowDocument);
    if pass || repeats_show_document {
        None
    } else {
        hint.map(|h| h.text().to_owned())
    }
}

/// The hint line for an update: the guide's hint, else what is happening.
pub fn hint_line(update: Option<&Update>, auto_capture: bool) -> String {
    let Some(u) = update else {
        return "Starting the camera…".to_owned();
    };
    if let Some(h) = u.guidance.hint {
        return h.text().to_owned();
    }
    match u.guidance.phase {
        Phase::Holding { .. } => "Perfect, hold it there…".to_owned(),
        Phase::Done => "Got it!".to_owned(),
        Phase::Adjusting | Phase::Searching if u.report.ready && !auto_capture => {
            "Looks good: press Space to take the photo".to_owned()
        }
        Phase::Adjusting | Phase::Searching => Hint::ShowDocument.text().to_owned(),
    }
}

/// Preview frame pacing: intervals between new frames reaching the screen, and source frames
/// that never did (gaps in the frame numbers: dropped by the newest-wins analysis or replaced
/// before a repaint).
#[derive(Debug, Default)]
pub struct Pacing {
    last: Option<(Instant, u64)>,
    intervals_ms: VecDeque<f32>,
    pub frames: u64,
    pub skipped: u64,
}

/// The pacing figures over the kept window of intervals.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PacingFigures {
    pub fps: f32,
    pub median_ms: f32,
    pub p95_ms: f32,
    pub p99_ms: f32,
    pub max_ms: f32,
    pub intervals: usize,
    /// Frames shown and source frames never shown, since the source started.
    pub shown: u64,
    pub skipped: u64,
}

impl Pacing {
    /// A new frame (numbered `seq` by the source) reached the screen at `now`.
    pub fn frame_shown(&mut self, now: Instant, seq: u64) {
        if let Some((last, last_seq)) = self.last {
            if self.intervals_ms.len() == PACING_WINDOW {
                self.intervals_ms.pop_front();
            }
            self.intervals_ms
                .push_back(now.duration_since(last).as_secs_f32() * 1000.0);
            self.skipped += seq.saturating_sub(last_seq).saturating_sub(1);
        }
        self.last = Some((now, seq));
        self.frames += 1;
    }

    /// Restarts the measurement (a new source): the pause in between is not a stutter.
    pub fn reset(&mut self) {
        self.last = None;
    }

    pub fn figures(&self) -> Option<PacingFigures> {
        let mut v: Vec<f32> = self.intervals_ms.iter().copied().collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f32::total_cmp);
        let q = |p: f32| {
            let i = ((v.len() - 1) as f32 * p).round() as usize;
            v.get(i).copied().unwrap_or(0.0)
        };
        let mean = v.iter().sum::<f32>() / v.len() as f32;
        Some(PacingFigures {
            fps: if mean > 0.0 { 1000.0 / mean } else { 0.0 },
            median_ms: q(0.5),
            p95_ms: q(0.95),
            p99_ms: q(0.99),
            max_ms: v.last().copied().unwrap_or(0.0),
            intervals: v.len(),
            shown: self.frames,
            skipped: self.skipped,
        })
    }

    /// "30.0 fps, frame interval median 33.3 ms, p95 36.1 ms, p99 40.2 ms, max 41.0 ms (899
    /// intervals), 900 frames shown, 2 skipped".
    pub fn summary(&self) -> Option<String> {
        let f = self.figures()?;
        Some(format!(
            "{:.1} fps, frame interval median {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} intervals), {} frames shown, {} skipped",
            f.fps, f.median_ms, f.p95_ms, f.p99_ms, f.max_ms, f.intervals, f.shown, f.skipped
        ))
    }
}

/// The reviewed shot, loaded from the saved file on a helper thread.
struct LoadedShot {
    image: egui::ColorImage,
    rows: Vec<CheckRow>,
}

/// The photo check screen: a path typed in, or picked from a folder's newest photos.
#[derive(Default)]
struct PhotoCheck {
    path: String,
    /// The folder being browsed (as typed), and what it held when last listed.
    folder: String,
    listing: Option<Result<Vec<PathBuf>, String>>,
    pending: Option<Receiver<Result<Checked, String>>>,
    result: Option<(String, Result<Checked, String>)>,
}

/// The photos of a folder, newest first, at most [`MAX_LISTED_PHOTOS`]. Only the extensions
/// `idshot check` takes (the content is checked when the photo is).
pub fn list_photos(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let mut photos: Vec<(std::time::SystemTime, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.path())
        .filter(|p| {
            p.extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| PHOTO_EXTENSIONS.iter().any(|e| e.eq_ignore_ascii_case(x)))
        })
        .map(|p| {
            let modified = std::fs::metadata(&p)
                .and_then(|m| m.modified())
                .unwrap_or(std::time::UNIX_EPOCH);
            (modified, p)
        })
        .collect();
    photos.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    Ok(photos
        .into_iter()
        .take(MAX_LISTED_PHOTOS)
        .map(|(_, p)| p)
        .collect())
}

pub struct IdshotApp {
    pub flow: Flow,
    pub settings: Settings,
    source: SourceChoice,
    save_dir_override: Option<PathBuf>,
    live: Live,
    /// The newest update shown.
    update: Option<Update>,
    preview: Option<TextureHandle>,
    pub pacing: Pacing,
    flash_at: Option<f64>,
    /// The shutter click, played with the flash (its sound device opens on the first shot).
    shutter: Shutter,
    review_pending: Option<Receiver<Result<LoadedShot, String>>>,
    review: Option<Result<(TextureHandle, Vec<CheckRow>), String>>,
    photo: PhotoCheck,
    cameras: Vec<String>,
    /// The source's description ("camera X (1920x1080 MJPEG @ 30 fps)").
    source_desc: Option<String>,
    /// One-line problems to show (a failed delete, a folder that would not open).
    notice: Option<String>,
    source_ended: bool,
    /// The document to start on, taken by the first poll.
    start_doc: Option<DocChoice>,
    /// When the window closes by itself.
    quit_at: Option<Instant>,
    /// The done screen's delete: asked to confirm, and what happened.
    confirm_delete: bool,
    deleted: Option<usize>,
    /// A shot the pipeline could not write (full disk, unwritable folder), kept in memory until
    /// the person saves it in another folder: nothing captured is lost.
    unsaved: Option<UnsavedShot>,
    save_elsewhere: String,
}

impl IdshotApp {
    pub fn new(options: AppOptions, settings: Settings) -> Self {
        let cameras = match &options.source {
            SourceChoice::Camera(_) => camera_names(),
            _ => Vec::new(),
        };
        // A camera picked last time, unless the command line named one.
        let source = match options.source {
            SourceChoice::Camera(None) => SourceChoice::Camera(settings.camera.clone()),
            other => other,
        };
        Self {
            flow: Flow::new(),
            settings: settings.sanitized(),
            source,
            save_dir_override: options.save_dir,
            live: Live::default(),
            update: None,
            preview: None,
            pacing: Pacing::default(),
            flash_at: None,
            shutter: Shutter::new(),
            review_pending: None,
            review: None,
            photo: PhotoCheck::default(),
            cameras,
            source_desc: None,
            notice: None,
            source_ended: false,
            start_doc: options.start_doc,
            quit_at: options.quit_after.map(|d| Instant::now() + d),
            confirm_delete: false,
            deleted: None,
            unsaved: None,
            save_elsewhere: String::new(),
        }
    }

    pub fn save_dir(&self) -> PathBuf {
        self.save_dir_override
            .clone()
            .unwrap_or_else(|| self.settings.shot_dir())
    }

    pub fn source(&self) -> &SourceChoice {
        &self.source
    }

    /// The newest analysed update on screen.
    pub fn update(&self) -> Option<&Update> {
        self.update.as_ref()
    }

    pub fn is_review_loaded(&self) -> bool {
        self.review.is_some()
    }

    // ---- logic: polls, never waits ----

    /// Picks up what the helper threads delivered. Call once per frame before [`Self::show`].
    pub fn poll(&mut self, ctx: &egui::Context) {
        if let Some(doc) = self.start_doc.take() {
            self.choose(ctx, doc);
        }
        if let Some(at) = self.quit_at {
            let now = Instant::now();
            if now >= at {
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            } else {
                ctx.request_repaint_after(at - now);
            }
        }
        let mut effects = Vec::new();
        match self.live.poll_start() {
            Some(StartOutcome::Started) => {
                self.source_desc = self.live.pipeline().map(|p| p.source().to_owned());
            }
            Some(StartOutcome::Failed(e)) => effects.extend(self.flow.source_failed(e)),
            None => {}
        }
        let polled = self.live.pipeline().map(|p| {
            (
                p.latest(),
                p.take_shots(),
                p.is_finished(),
                p.source_error(),
                p.take_unsaved().pop(),
            )
        });
        if let Some((latest, shots, finished, source_error, unsaved)) = polled {
            if let Some(u) = unsaved {
                self.unsaved = Some(u);
            }
            if let Some(u) = latest {
                self.show_frame(ctx, u);
            }
            let mut shots = shots.into_iter();
            if let Some(first) = shots.next() {
                self.flash_at = Some(ctx.input(|i| i.time));
                if self.settings.shutter_sound {
                    self.shutter.play();
                }
                effects.extend(self.flow.shot_taken(&first));
                // Two shots at once (Space during an auto-capture): only the first is reviewed.
                for extra in shots {
                    if let Some(Ok(s)) = extra.saved {
                        effects.push(Effect::Discard(
                            std::iter::once(s.original)
                                .chain(s.crop)
                                .chain(std::iter::once(s.sidecar))
                                .collect(),
                        ));
                    }
                }
            } else if finished && !self.source_ended {
                self.source_ended = true;
                if let Some(e) = source_error {
                    effects.extend(self.flow.source_failed(e));
                }
            }
        }
        self.apply(ctx, effects);
        self.poll_review(ctx);
        if let Some(rx) = &self.photo.pending
            && let Ok(result) = rx.try_recv()
        {
            self.photo.pending = None;
            self.photo.result = Some((self.photo.path.clone(), result));
        }
        if self.flash_at.is_some() || self.review_pending.is_some() || self.photo.pending.is_some()
        {
            // Animations and helper threads without a waker: look again soon.
            ctx.request_repaint_after(Duration::from_millis(30));
        }
    }

    fn show_frame(&mut self, ctx: &egui::Context, u: Update) {
        let (w, h) = (u.frame.width() as usize, u.frame.height() as usize);
        let image = egui::ColorImage::from_rgb([w, h], u.frame.as_raw());
        // One texture, updated in place: no new allocation per frame.
        match &mut self.preview {
            Some(t) => t.set(image, TextureOptions::LINEAR),
            None => self.preview = Some(ctx.load_texture("preview", image, TextureOptions::LINEAR)),
        }
        self.pacing.frame_shown(Instant::now(), u.seq);
        self.update = Some(u);
    }

    fn poll_review(&mut self, ctx: &egui::Context) {
        let Some(rx) = &self.review_pending else {
            return;
        };
        if let Ok(result) = rx.try_recv() {
            self.review_pending = None;
            self.review = Some(result.map(|loaded| {
                let tex = ctx.load_texture("review", loaded.image, TextureOptions::LINEAR);
                (tex, loaded.rows)
            }));
        }
    }

    /// Carries out the flow's effects.
    fn apply(&mut self, ctx: &egui::Context, effects: Vec<Effect>) {
        for effect in effects {
            match effect {
                Effect::StartSource { doc, side } => {
                    let guide_spec = GuideSpec {
                        // Auto-capture off: the hold never completes; Space still captures.
                        hold_secs: if self.settings.auto_capture {
                            self.settings.hold_secs
                        } else {
                            f64::INFINITY
                        },
                        ..GuideSpec::default()
                    };
                    let config = PipelineConfig {
                        spec: Spec {
                            kind: doc.kind_choice(),
                            ..Spec::default()
                        },
                        guide_spec,
                        save_dir: Some(self.save_dir()),
                        side,
                        lossless: false,
                    };
                    self.update = None;
                    self.source_desc = None;
                    self.source_ended = false;
                    self.pacing.reset();
                    let opener = self.source.opener(doc, self.settings.resolution);
                    self.live.start(opener, self.source.reopen(), config, ctx);
                }
                Effect::StopSource => {
                    self.live.stop();
                    self.pacing.reset();
                }
                Effect::Discard(files) => {
                    for f in files {
                        if let Err(e) = std::fs::remove_file(&f)
                            && e.kind() != std::io::ErrorKind::NotFound
                        {
                            self.notice = Some(format!("cannot delete {}: {e}", f.display()));
                        }
                    }
                }
                Effect::OpenFolder(dir) => {
                    if let Err(e) = open_folder(&dir) {
                        self.notice = Some(format!("cannot open {}: {e}", dir.display()));
                    }
                }
            }
        }
        if self.flow.screen == Screen::Review
            && self.review.is_none()
            && self.review_pending.is_none()
        {
            self.load_review();
        }
        if self.flow.screen != Screen::Review {
            self.review = None;
            self.review_pending = None;
        }
    }

    fn load_review(&mut self) {
        let Some(shot) = &self.flow.review else {
            return;
        };
        let saved = match &shot.saved {
            Ok(s) => s.clone(),
            Err(e) => {
                self.review = Some(Err(e.clone()));
                return;
            }
        };
        let (tx, rx) = bounded(1);
        let spawned = std::thread::Builder::new()
            .name("idshot-ui-review".into())
            .spawn(move || {
                let _ = tx.send(load_saved(&saved.original, &saved.sidecar));
            });
        match spawned {
            Ok(_) => self.review_pending = Some(rx),
            Err(e) => self.review = Some(Err(format!("cannot start a thread: {e}"))),
        }
    }

    // ---- actions (buttons and keys) ----

    pub fn choose(&mut self, ctx: &egui::Context, doc: DocChoice) {
        let e = self.flow.choose(doc);
        self.apply(ctx, e);
    }

    pub fn capture_now(&mut self) {
        if self.flow.screen == Screen::Capture
            && let Some(p) = self.live.pipeline()
        {
            p.capture_now();
        }
    }

    pub fn retake(&mut self, ctx: &egui::Context) {
        let e = self.flow.retake();
        self.apply(ctx, e);
    }

    pub fn keep(&mut self, ctx: &egui::Context) {
        let e = self.flow.keep();
        self.apply(ctx, e);
    }

    pub fn next_side(&mut self, ctx: &egui::Context) {
        let e = self.flow.next_side();
        self.apply(ctx, e);
    }

    pub fn back(&mut self, ctx: &egui::Context) {
        let e = self.flow.back();
        self.apply(ctx, e);
    }

    pub fn use_demo(&mut self, ctx: &egui::Context) {
        self.source = SourceChoice::Demo;
        let e = self.flow.try_again();
        self.apply(ctx, e);
    }

    pub fn toggle_mirror(&mut self) {
        self.settings.mirror = !self.settings.mirror;
    }

    fn handle_keys(&mut self, ctx: &egui::Context) {
        // Typing a folder or a path must not trigger shortcuts.
        if ctx.egui_wants_keyboard_input() {
            return;
        }
        let (space, r, m, esc) = ctx.input(|i| {
            (
                i.key_pressed(Key::Space),
                i.key_pressed(Key::R),
                i.key_pressed(Key::M),
                i.key_pressed(Key::Escape),
            )
        });
        if space {
            self.capture_now();
        }
        if r && self.flow.screen == Screen::Review {
            self.retake(ctx);
        }
        if m {
            self.toggle_mirror();
        }
        if esc {
            self.back(ctx);
        }
    }

    // ---- rendering ----

    /// Draws the current screen and handles its input.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        self.handle_keys(&ctx);
        if let Some(n) = &self.notice {
            let mut dismiss = false;
            egui::Panel::bottom("notice").show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.label(RichText::new(n).color(RED));
                    dismiss = ui.button("Dismiss").clicked();
                });
            });
            if dismiss {
                self.notice = None;
            }
        }
        if self.flow.screen != Screen::Done {
            self.confirm_delete = false;
            self.deleted = None;
        }
        match self.flow.screen.clone() {
            Screen::Start => self.show_start(ui),
            Screen::Capture => self.show_capture(ui),
            Screen::NoSource { error } => self.show_no_source(ui, &error),
            Screen::Review => self.show_review(ui),
            Screen::Done => self.show_done(ui),
            Screen::CheckPhoto => self.show_photo_check(ui),
        }
    }

    fn show_start(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        egui::Panel::right("settings")
            .default_size(320.0)
            .show(ui, |ui| self.settings_ui(ui));
        egui::CentralPanel::default().show(ui, |ui| {
            ui.add_space(40.0);
            ui.vertical_centered(|ui| {
                ui.label(RichText::new("What are you photographing?").size(TITLE_SIZE * 1.4));
                ui.add_space(24.0);
                for doc in DocChoice::ALL {
                    let sides: Vec<&str> = doc.sides().iter().map(|s| doc.side_label(*s)).collect();
                    let text = format!("{}  ({})", doc.label(), sides.join(" then "));
                    let button = egui::Button::new(RichText::new(text).size(TITLE_SIZE))
                        .min_size(vec2(360.0, 56.0));
                    if ui.add(button).clicked() {
                        self.choose(&ctx, doc);
                    }
                    ui.add_space(10.0);
                }
                ui.add_space(24.0);
                if ui
                    .button(RichText::new("Check a photo you already took").size(CHECK_SIZE))
                    .clicked()
                {
                    let e = self.flow.check_photo();
                    self.apply(&ctx, e);
                }
            });
        });
    }

    fn settings_ui(&mut self, ui: &mut egui::Ui) {
        ui.heading("Settings");
        ui.add_space(8.0);
        match &self.source {
            SourceChoice::Camera(_) => {
                let current = self.settings.camera.clone();
                let shown = current.clone().unwrap_or_else(|| "First camera".to_owned());
                let mut picked = None;
                // Labels above their boxes: beside them they wrap letter by letter in the panel.
                let label = ui.label("Camera");
                egui::ComboBox::from_id_salt("camera")
                    .width(ui.available_width())
                    .selected_text(shown)
                    .show_ui(ui, |ui| {
                        if ui
                            .selectable_label(current.is_none(), "First camera")
                            .clicked()
                        {
                            picked = Some(None);
                        }
                        for name in &self.cameras {
                            let on = current.as_deref() == Some(name.as_str());
                            if ui.selectable_label(on, name).clicked() {
                                picked = Some(Some(name.clone()));
                            }
                        }
                    })
                    .response
                    .labelled_by(label.id);
                if let Some(p) = picked {
                    self.settings.camera = p.clone();
                    self.source = SourceChoice::Camera(p);
                }
                if ui.button("Look for cameras again").clicked() {
                    self.cameras = camera_names();
                }
                if self.cameras.is_empty() {
                    ui.label("No camera found.");
                }
            }
            SourceChoice::Demo => {
                ui.label("Source: demo scene (no camera)");
            }
            SourceChoice::Replay(dir) => {
                ui.label(format!("Source: frames in {}", dir.display()));
            }
        }
        if let Some(d) = &self.source_desc {
            ui.label(format!("Running: {d}"));
        }
        ui.add_space(8.0);
        if self.source.honours_resolution() {
            let mut picked = self.settings.resolution;
            let label = ui.label("Resolution");
            egui::ComboBox::from_id_salt("resolution")
                .width(ui.available_width())
                .selected_text(Settings::resolution_label(picked))
                .show_ui(ui, |ui| {
                    for r in std::iter::once(None).chain(RESOLUTIONS.into_iter().map(Some)) {
                        ui.selectable_value(&mut picked, r, Settings::resolution_label(r));
                    }
                })
                .response
                .labelled_by(label.id);
            // Takes effect when the next side's capture starts.
            self.settings.resolution = picked;
        }
        ui.add_space(8.0);
        let label = ui.label("Save photos in");
        let mut folder = self.save_dir().display().to_string();
        let edit = ui
            .add(
                egui::TextEdit::singleline(&mut folder)
                    .desired_width(f32::INFINITY)
                    .hint_text("folder"),
            )
            .labelled_by(label.id);
        if edit.changed() && self.save_dir_override.is_none() {
            self.settings.folder = Some(PathBuf::from(folder));
        }
        ui.add_space(8.0);
        ui.checkbox(&mut self.settings.mirror, "Mirror the preview (M)");
        ui.checkbox(
            &mut self.settings.auto_capture,
            "Take the photo automatically",
        );
        ui.checkbox(&mut self.settings.shutter_sound, "Shutter sound");
        ui.add(
            egui::Slider::new(&mut self.settings.hold_secs, HOLD_SECS_MIN..=HOLD_SECS_MAX)
                .text("Hold time (s)")
                .step_by(0.1),
        );
    }

    fn show_capture(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        let title = format!("{}: {}", self.flow.doc.label(), self.flow.side_progress());
        egui::Panel::top("capture-top").show(ui, |ui| {
            ui.horizontal(|ui| {
                if ui.button("< Back (Esc)").clicked() {
                    self.back(&ctx);
                }
                ui.label(RichText::new(title).size(TITLE_SIZE).strong());
                ui.separator();
                let mirror = if self.settings.mirror {
                    "Mirror: on (M)"
                } else {
                    "Mirror: off (M)"
                };
                if ui.button(mirror).clicked() {
                    self.toggle_mirror();
                }
                if ui.button("Take the photo now (Space)").clicked() {
                    self.capture_now();
                }
            });
        });
        checklist_panel("checklist").show(ui, |ui| {
            ui.heading("Checklist");
            ui.add_space(6.0);
            match &self.update {
                Some(u) => checklist_ui(ui, &live_rows(u)),
                None => {
                    ui.label("Waiting for the first frame…");
                }
            }
            ui.add_space(12.0);
            if let Some(u) = &self.update
                && u.guidance.offer_manual
            {
                if let Some(b) = u.guidance.blocking {
                    ui.label(format!("Still not passing: {}", blocker_label(b)));
                }
                if ui.button("Take it anyway").clicked() {
                    self.capture_now();
                }
            }
            ui.with_layout(egui::Layout::bottom_up(egui::Align::Min), |ui| {
                // Short figures for whoever tunes the app; the full pacing is printed on exit.
                if let Some(f) = self.pacing.figures() {
                    ui.small(format!(
                        "Preview {:.0} fps, interval p95 {:.0} ms",
                        f.fps, f.p95_ms
                    ));
                }
                if let Some(p) = self.live.pipeline() {
                    let st = p.stats();
                    if let Some(m) = st.latency_median_ms {
                        ui.small(format!(
                            "Analysis latency {m:.0} ms, {} dropped",
                            st.dropped
                        ));
                    }
                }
                if let Some(d) = &self.source_desc {
                    ui.small(d.clone());
                }
            });
        });
        egui::CentralPanel::default().show(ui, |ui| {
            let avail = ui.available_rect_before_wrap();
            let hint_h = HINT_SIZE * 1.8;
            let preview_area =
                Rect::from_min_max(avail.min, pos2(avail.max.x, avail.max.y - hint_h));
            let hint_area = Rect::from_min_max(pos2(avail.min.x, avail.max.y - hint_h), avail.max);
            self.preview_ui(ui, preview_area);
            let spoken = if self.settings.mirror {
                "Live camera preview, mirrored"
            } else {
                "Live camera preview"
            };
            let r = ui.allocate_rect(preview_area, Sense::hover());
            r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, spoken));
            if let Some(u) = &self.update
                && let Phase::Holding { progress } = u.guidance.phase
            {
                // The hold ring is painted; this gives it a name and a value for screen readers.
                let id = ui.scope_id().with("hold-ring");
                let map = self.preview_map(u, preview_area);
                let ring_area = Rect::from_center_size(
                    self.hold_ring_centre(&map),
                    Vec2::splat(HOLD_RING_RADIUS * 2.0),
                );
                let ring = ui.interact(ring_area, id, Sense::hover());
                ring.widget_info(|| {
                    let mut info = egui::WidgetInfo::labeled(
                        egui::Role::ProgressIndicator,
                        true,
                        "Holding still",
                    );
                    info.value = Some(f64::from(progress));
                    info
                });
            }
            // A camera that dropped out mid-stream is being reopened: say so instead of a stale hint.
            let source_lost = self
                .live
                .pipeline()
                .filter(|p| !p.is_finished())
                .and_then(|p| p.source_error());
            let hint = if self.live.is_starting() {
                "Starting the camera…".to_owned()
            } else if let Some(e) = source_lost {
                format!("The camera stopped ({e}). Waiting for it to come back…")
            } else if self.source_ended && self.update.is_some() {
                "The video ended. Press Esc to go back.".to_owned()
            } else {
                hint_line(self.update.as_ref(), self.settings.auto_capture)
            };
            let colour = match self.update.as_ref().map(|u| u.guidance.phase) {
                Some(Phase::Holding { .. } | Phase::Done) => GREEN,
                _ => Color32::WHITE,
            };
            let mut hint_ui = ui.new_child(egui::UiBuilder::new().max_rect(hint_area));
            let size = hint_size(ui.ctx(), &hint, hint_area.width());
            hint_ui.vertical_centered(|ui| {
                let r = ui.label(RichText::new(&hint).size(size).strong().color(colour));
                r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Status, true, &hint));
            });
            ui.allocate_rect(avail, Sense::hover());
        });
    }

    /// Where the live frame is drawn in `area`.
    fn preview_map(&self, u: &Update, area: Rect) -> PreviewMap {
        PreviewMap::fit(
            u.frame.width(),
            u.frame.height(),
            area,
            self.settings.mirror,
        )
    }

    /// The guide frame for the chosen document.
    fn guide(&self, map: &PreviewMap) -> Rect {
        map.guide(self.flow.doc.kind(), &Spec::default())
    }

    /// The hold ring, clear of the document held in the guide.
    fn hold_ring_centre(&self, map: &PreviewMap) -> Pos2 {
        let diameter = 2.0 * (HOLD_RING_RADIUS + HOLD_RING_WIDTH);
        map.badge_centre(self.guide(map), diameter)
    }

    fn preview_ui(&self, ui: &mut egui::Ui, area: Rect) {
        let painter = ui.painter_at(area);
        painter.rect_filled(area, 0.0, Color32::from_gray(20));
        let (Some(tex), Some(u)) = (&self.preview, &self.update) else {
            return;
        };
        let map = self.preview_map(u, area);
        painter.image(tex.id(), map.rect, map.uv(), Color32::WHITE);

        // The guide frame at the target size, in the chosen document's shape.
        let guide = self.guide(&map);
        painter.rect_stroke(
            guide,
            12.0,
            Stroke::new(2.0, Color32::from_white_alpha(160)),
            StrokeKind::Middle,
        );

        let colour = outline_colour(u);
        for g in &u.report.glare_regions {
            painter.rect_stroke(
                map.region_to_screen(g),
                2.0,
                Stroke::new(2.0, Color32::from_rgb(90, 200, 255)),
                StrokeKind::Outside,
            );
        }
        if let Some(doc) = &u.report.document {
            let pts: Vec<Pos2> = doc.quad.0.iter().map(|p| map.to_screen(*p)).collect();
            painter.add(Shape::closed_line(
                pts.clone(),
                Stroke::new(OUTLINE_WIDTH, colour),
            ));
            for p in pts {
                painter.circle(p, CORNER_RADIUS, colour, Stroke::new(2.0, Color32::BLACK));
            }
        }
        if let Phase::Holding { progress } = u.guidance.phase {
            hold_ring(&painter, self.hold_ring_centre(&map), progress);
        }
        if let Some(at) = self.flash_at {
            let age = (ui.input(|i| i.time) - at) as f32;
            if age < FLASH_SECS {
                let alpha = ((1.0 - age / FLASH_SECS) * 220.0) as u8;
                painter.rect_filled(map.rect, 0.0, Color32::from_white_alpha(alpha));
            }
        }
    }

    fn show_no_source(&mut self, ui: &mut egui::Ui, error: &str) {
        let ctx = ui.ctx().clone();
        egui::CentralPanel::default().show(ui, |ui| {
            ui.add_space(80.0);
            ui.vertical_centered(|ui| {
                ui.label(RichText::new("No camera").size(TITLE_SIZE * 1.6).strong());
                ui.add_space(8.0);
                ui.label(RichText::new(error).size(CHECK_SIZE));
                ui.add_space(6.0);
                ui.label(
                    RichText::new(
                        "Plug a camera in, or close the other program using it, then try again.",
                    )
                    .size(CHECK_SIZE),
                );
                ui.add_space(24.0);
                let big = |t: &str| {
                    egui::Button::new(RichText::new(t).size(TITLE_SIZE)).min_size(vec2(300.0, 50.0))
                };
                if ui.add(big("Try again")).clicked() {
                    self.cameras = camera_names();
                    let e = self.flow.try_again();
                    self.apply(&ctx, e);
                }
                ui.add_space(8.0);
                if ui.add(big("Demo")).clicked() {
                    self.use_demo(&ctx);
                }
                ui.add_space(8.0);
                if ui.add(big("Check a photo")).clicked() {
                    let e = self.flow.check_photo();
                    self.apply(&ctx, e);
                }
            });
        });
    }

    fn show_review(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        let trigger = self.flow.review.as_ref().map(|s| s.trigger);
        let title = format!(
            "{}: {} — is this photo good?",
            self.flow.doc.label(),
            self.flow.side_progress()
        );
        egui::Panel::top("review-top").show(ui, |ui| {
            ui.label(RichText::new(title).size(TITLE_SIZE).strong());
        });
        egui::Panel::bottom("review-actions").show(ui, |ui| {
            ui.add_space(6.0);
            ui.horizontal(|ui| {
                let big = |t: &str| {
                    egui::Button::new(RichText::new(t).size(TITLE_SIZE)).min_size(vec2(180.0, 48.0))
                };
                if ui.add(big("Retake (R)")).clicked() {
                    self.retake(&ctx);
                }
                if self.flow.has_next_side() {
                    if ui.add(big("Next side")).clicked() {
                        self.next_side(&ctx);
                    }
                    if ui.add(big("Keep and finish")).clicked() {
                        self.keep(&ctx);
                    }
                } else if ui.add(big("Keep")).clicked() {
                    self.keep(&ctx);
                }
                if ui.add(big("Open folder")).clicked() {
                    let e = self.flow.open_folder(&self.save_dir());
                    self.apply(&ctx, e);
                }
            });
            ui.add_space(6.0);
        });
        checklist_panel("review-checks").show(ui, |ui| {
            ui.heading("Checklist");
            if trigger == Some(Trigger::Manual) {
                ui.label("Taken by hand (Space): the checks below were not all passing.");
            }
            match &self.review {
                Some(Ok((_, rows))) => checklist_ui(ui, rows),
                Some(Err(_)) => {}
                None => {
                    ui.label("Loading…");
                }
            }
            match self.flow.review.as_ref().map(|s| s.saved.clone()) {
                Some(Ok(s)) => {
                    ui.add_space(12.0);
                    ui.label(format!("Saved as {}", s.original.display()));
                }
                Some(Err(e)) => {
                    ui.add_space(12.0);
                    ui.label(RichText::new(format!("Not saved: {e}")).color(RED));
                    self.save_elsewhere_ui(ui);
                }
                None => {}
            }
        });
        egui::CentralPanel::default().show(ui, |ui| {
            match &self
                .review
                .as_ref()
                .map(|r| r.as_ref().map(|(t, _)| t.clone()))
            {
                Some(Ok(tex)) => {
                    let area = ui.available_rect_before_wrap();
                    let size = tex.size_vec2();
                    let map = PreviewMap::fit(size.x as u32, size.y as u32, area, false);
                    ui.painter()
                        .image(tex.id(), map.rect, map.uv(), Color32::WHITE);
                    // The shutter flash fades on the shot itself: the person sees what was taken.
                    if let Some(at) = self.flash_at {
                        let age = (ui.input(|i| i.time) - at) as f32;
                        if age < FLASH_SECS {
                            let alpha = ((1.0 - age / FLASH_SECS) * 220.0) as u8;
                            ui.painter().rect_filled(
                                map.rect,
                                0.0,
                                Color32::from_white_alpha(alpha),
                            );
                        } else {
                            self.flash_at = None;
                        }
                    }
                    let r = ui.allocate_rect(area, Sense::hover());
                    r.widget_info(|| {
                        egui::WidgetInfo::labeled(egui::Role::Image, true, "The saved photo")
                    });
                }
                Some(Err(e)) => {
                    ui.label(
                        RichText::new(format!("The photo could not be shown: {e}")).color(RED),
                    );
                }
                None => {
                    ui.spinner();
                }
            }
        });
    }

    /// The shot that could not be written stays in memory; this saves it into another folder.
    fn save_elsewhere_ui(&mut self, ui: &mut egui::Ui) {
        if self.unsaved.is_none() {
            return;
        }
        ui.label("The photo is kept in memory. Save it in another folder:");
        let field = ui.text_edit_singleline(&mut self.save_elsewhere);
        field.widget_info(|| {
            egui::WidgetInfo::labeled(egui::Role::TextInput, true, "Folder to save the photo in")
        });
        if !ui.button("Save here").clicked() {
            return;
        }
        let dir = PathBuf::from(self.save_elsewhere.trim());
        let Some(shot) = &self.unsaved else { return };
        match shot.save_to(&dir) {
            Ok(saved) => {
                if let Some(review) = &mut self.flow.review {
                    review.saved = Ok(saved);
                }
                self.unsaved = None;
                self.notice = None;
                // Show the shot as written, like any other.
                self.review = None;
                self.load_review();
            }
            Err(e) => self.notice = Some(format!("cannot save in {}: {e}", dir.display())),
        }
    }

    fn show_done(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        egui::CentralPanel::default().show(ui, |ui| {
            ui.add_space(40.0);
            ui.label(RichText::new("All done").size(TITLE_SIZE * 1.6).strong());
            ui.add_space(8.0);
            let dir = self.flow.kept.iter().find_map(|s| {
                s.saved
                    .as_ref()
                    .ok()
                    .and_then(|s| s.original.parent().map(Path::to_path_buf))
            });
            let dir = dir.unwrap_or_else(|| self.save_dir());
            if self.deleted.is_none() {
                ui.label(
                    RichText::new(format!("Your photos are in {}", dir.display())).size(CHECK_SIZE),
                );
            }
            ui.add_space(12.0);
            for shot in &self.flow.kept {
                let side = self.flow.doc.side_label(shot.side);
                match &shot.saved {
                    Ok(_) => {
                        ui.label(RichText::new(side).size(CHECK_SIZE).strong());
                        for f in shot.files() {
                            let name = f.file_name().map_or_else(
                                || f.display().to_string(),
                                |n| n.to_string_lossy().into_owned(),
                            );
                            ui.label(RichText::new(format!("   {name}")).size(CHECK_SIZE));
                        }
                        ui.add_space(6.0);
                    }
                    Err(e) => {
                        ui.label(RichText::new(format!("{side}: not saved: {e}")).color(RED));
                    }
                }
            }
            ui.add_space(20.0);
            ui.horizontal(|ui| {
                if ui
                    .button(RichText::new("Open folder").size(TITLE_SIZE))
                    .clicked()
                {
                    let e = self.flow.open_folder(&dir);
                    self.apply(&ctx, e);
                }
                if ui
                    .button(RichText::new("Another document").size(TITLE_SIZE))
                    .clicked()
                {
                    self.confirm_delete = false;
                    self.deleted = None;
                    let e = self.flow.restart();
                    self.apply(&ctx, e);
                }
                let files = self.flow.kept_files().len();
                if files > 0
                    && !self.confirm_delete
                    && ui
                        .button(RichText::new("Delete these captures").size(TITLE_SIZE))
                        .clicked()
                {
                    self.confirm_delete = true;
                }
            });
            if self.confirm_delete {
                self.confirm_delete_ui(ui, &ctx);
            }
            if let Some(n) = self.deleted {
                ui.add_space(12.0);
                ui.label(
                    RichText::new(format!("Deleted {n} files."))
                        .size(CHECK_SIZE)
                        .strong(),
                );
            }
        });
    }

    /// The confirmation before "Delete these captures": what goes, and that it cannot be undone.
    fn confirm_delete_ui(&mut self, ui: &mut egui::Ui, ctx: &egui::Context) {
        let files = self.flow.kept_files().len();
        ui.add_space(16.0);
        egui::Frame::group(ui.style())
            .stroke(Stroke::new(2.0, RED))
            .inner_margin(12.0)
            .show(ui, |ui| {
                ui.label(
                    RichText::new(format!(
                        "Delete the {files} files listed above? This cannot be undone."
                    ))
                    .size(CHECK_SIZE)
                    .strong(),
                );
                ui.add_space(8.0);
                ui.horizontal(|ui| {
                    if ui
                        .button(RichText::new("Yes, delete them").size(TITLE_SIZE))
                        .clicked()
                    {
                        self.confirm_delete = false;
                        let before = self.notice.clone();
                        let e = self.flow.delete_kept();
                        self.apply(ctx, e);
                        // A failed delete says so in the notice line instead.
                        if self.notice == before {
                            self.deleted = Some(files);
                        }
                    }
                    if ui
                        .button(RichText::new("Cancel").size(TITLE_SIZE))
                        .clicked()
                    {
                        self.confirm_delete = false;
                    }
                });
            });
    }

    fn show_photo_check(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        if self.photo.folder.is_empty() {
            // The last folder listed, else the nearest existing folder to where shots go.
            let start = self.settings.check_folder.clone().unwrap_or_else(|| {
                let dir = self.save_dir();
                dir.ancestors()
                    .find(|d| d.is_dir())
                    .map_or(dir.clone(), Path::to_path_buf)
            });
            self.photo.folder = start.display().to_string();
            self.list_folder();
        }
        egui::Panel::top("photo-top").show(ui, |ui| {
            ui.horizontal(|ui| {
                if ui.button("< Back (Esc)").clicked() {
                    self.back(&ctx);
                }
                ui.label(
                    RichText::new("Check a photo you already took")
                        .size(TITLE_SIZE)
                        .strong(),
                );
            });
        });
        egui::Panel::right("photo-result")
            .default_size(460.0)
            .show(ui, |ui| self.photo_result_ui(ui));
        egui::CentralPanel::default().show(ui, |ui| {
            let mut go = false;
            let label = ui.label(RichText::new("Photo file (JPEG or PNG):").size(CHECK_SIZE));
            ui.horizontal(|ui| {
                let edit = ui
                    .add(
                        egui::TextEdit::singleline(&mut self.photo.path)
                            .desired_width(ui.available_width() - 90.0)
                            .hint_text("/home/me/Pictures/id-front.jpg"),
                    )
                    .labelled_by(label.id);
                go |= edit.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
                go |= ui
                    .add_enabled(self.photo.pending.is_none(), egui::Button::new("Check"))
                    .clicked();
            });
            ui.add_space(16.0);
            let label = ui.label(
                RichText::new("Or pick one of the newest photos in a folder:").size(CHECK_SIZE),
            );
            let mut list = false;
            ui.horizontal(|ui| {
                let edit = ui
                    .add(
                        egui::TextEdit::singleline(&mut self.photo.folder)
                            .desired_width(ui.available_width() - 90.0)
                            .hint_text("/home/me/Pictures"),
                    )
                    .labelled_by(label.id);
                list |= edit.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
                list |= ui.button("List photos").clicked();
            });
            if list {
                self.list_folder();
            }
            ui.add_space(8.0);
            let mut picked = None;
            match &self.photo.listing {
                Some(Ok(photos)) if photos.is_empty() => {
                    ui.label("No JPEG or PNG photos in this folder.");
                }
                Some(Ok(photos)) => {
                    egui::ScrollArea::vertical().show(ui, |ui| {
                        for p in photos {
                            let name = p.file_name().map_or_else(
                                || p.display().to_string(),
                                |n| n.to_string_lossy().into_owned(),
                            );
                            let button = egui::Button::new(RichText::new(&name).size(CHECK_SIZE))
                                .min_size(vec2(ui.available_width(), 0.0));
                            let r = ui.add_enabled(self.photo.pending.is_none(), button);
                            let spoken = format!("Check {name}");
                            r.widget_info(|| {
                                egui::WidgetInfo::labeled(egui::Role::Button, true, &spoken)
                            });
                            if r.clicked() {
                                picked = Some(p.clone());
                            }
                        }
                    });
                }
                Some(Err(e)) => {
                    ui.label(RichText::new(e).color(RED));
                }
                None => {}
            }
            if let Some(p) = picked {
                self.photo.path = p.display().to_string();
                go = true;
            }
            if go && !self.photo.path.trim().is_empty() {
                self.start_photo_check();
            }
        });
    }

    /// Lists the typed folder (a directory read: quick, and only when asked) and remembers it.
    fn list_folder(&mut self) {
        let dir = PathBuf::from(self.photo.folder.trim());
        let listing = list_photos(&dir);
        if listing.is_ok() {
            self.settings.check_folder = Some(dir);
        }
        self.photo.listing = Some(listing);
    }

    /// The verdict on the checked photo, as the checklist.
    fn photo_result_ui(&self, ui: &mut egui::Ui) {
        ui.heading("Verdict");
        ui.add_space(6.0);
        if self.photo.pending.is_some() {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Checking…");
            });
        }
        match &self.photo.result {
            Some((shown, Ok(checked))) => {
                let (text, colour) = if checked.ready() {
                    (format!("{ICON_PASS}  Ready to upload"), GREEN)
                } else {
                    (format!("{ICON_FAIL}  Not ready"), RED)
                };
                ui.label(RichText::new(text).size(TITLE_SIZE).strong().color(colour));
                ui.label(shown.as_str());
                ui.add_space(8.0);
                egui::ScrollArea::vertical().show(ui, |ui| {
                    checklist_ui(ui, &photo_rows(checked));
                });
            }
            Some((shown, Err(e))) => {
                ui.label(RichText::new(format!("{ICON_FAIL}  Cannot check it")).size(TITLE_SIZE));
                ui.label(RichText::new(format!("{shown}: {e}")).color(RED));
            }
            None if self.photo.pending.is_none() => {
                ui.label("Pick a photo: its checklist shows here, the same as `idshot check`.");
            }
            None => {}
        }
    }

    fn start_photo_check(&mut self) {
        let path = PathBuf::from(self.photo.path.trim());
        let (tx, rx) = bounded(1);
        let spawned = std::thread::Builder::new()
            .name("idshot-ui-check".into())
            .spawn(move || {
                let spec = Spec::default();
                let mut analyzer = Analyzer::new(spec.clone());
                let _ = tx.send(check_file(&mut analyzer, &spec, &path));
            });
        match spawned {
            Ok(_) => {
                self.photo.pending = Some(rx);
                self.photo.result = None;
            }
            Err(e) => {
                self.photo.result = Some((
                    self.photo.path.clone(),
                    Err(format!("cannot start a thread: {e}")),
                ))
            }
        }
    }

    /// One line for the log on exit: how smooth the preview was.
    pub fn pacing_report(&self) -> Option<String> {
        self.pacing.summary()
    }
}

fn blocker_label(b: crate::guidance::Blocker) -> &'static str {
    match b {
        crate::guidance::Blocker::Check(id) => id.label(),
        crate::guidance::Blocker::Mrz => MrzFinding::LABEL,
        crate::guidance::Blocker::Motion => "Held still",
    }
}

/// Red: no document or several faults; amber: one fault left; green: everything passes.
fn outline_colour(u: &Update) -> Color32 {
    let failing =
        u.report.checks.iter().filter(|c| !c.pass).count() + usize::from(u.report.mrz_missing());
    match (u.guidance.phase, failing) {
        (Phase::Holding { .. } | Phase::Done, _) => GREEN,
        (_, 0) if u.report.document.is_some() => GREEN,
        (_, 0 | 1) => AMBER,
        _ => RED,
    }
}

/// The hint's text size: [`HINT_SIZE`], or smaller where the hint would not fit `width` on one line.
fn hint_size(ctx: &egui::Context, hint: &str, width: f32) -> f32 {
    let natural = ctx.fonts_mut(|f| {
        f.layout_no_wrap(
            hint.to_owned(),
            FontId::proportional(HINT_SIZE),
            Color32::WHITE,
        )
        .size()
        .x
    });
    // A little room either side of the centred line.
    let room = 0.95 * width;
    if natural <= room || natural <= 0.0 {
        HINT_SIZE
    } else {
        (HINT_SIZE * room / natural).max(HINT_MIN_SIZE)
    }
}

fn hold_ring(painter: &egui::Painter, centre: Pos2, progress: f32) {
    painter.circle_filled(
        centre,
        HOLD_RING_RADIUS + HOLD_RING_WIDTH,
        Color32::from_black_alpha(140),
    );
    painter.circle_stroke(
        centre,
        HOLD_RING_RADIUS,
        Stroke::new(HOLD_RING_WIDTH, Color32::from_gray(80)),
    );
    let steps = 48;
    let end = progress.clamp(0.0, 1.0) * std::f32::consts::TAU;
    let pts: Vec<Pos2> = (0..=steps)
        .map(|i| {
            let a = -std::f32::consts::FRAC_PI_2 + end * i as f32 / steps as f32;
            centre + HOLD_RING_RADIUS * Vec2::angled(a)
        })
        .collect();
    if progress > 0.0 {
        painter.add(Shape::line(pts, Stroke::new(HOLD_RING_WIDTH, GREEN)));
    }
    painter.text(
        centre,
        Align2::CENTER_CENTER,
        "Hold",
        FontId::proportional(14.0),
        Color32::WHITE,
    );
}

/// The right-hand panel that holds a checklist (live and on review), one width rule for both.
fn checklist_panel(id: &'static str) -> egui::Panel {
    egui::Panel::right(id)
        .default_size(CHECKLIST_WIDTH)
        .min_size(CHECKLIST_MIN_WIDTH)
}

fn checklist_ui(ui: &mut egui::Ui, rows: &[CheckRow]) {
    for row in rows {
        let (icon, colour) = match row.level {
            Level::Pass => (ICON_PASS, GREEN),
            Level::Warn => (ICON_WARN, AMBER),
            Level::Fail => (ICON_FAIL, RED),
        };
        let spoken = row.spoken();
        let r = ui
            .horizontal(|ui| {
                ui.label(RichText::new(icon).size(CHECK_SIZE).color(colour));
                ui.vertical(|ui| {
                    ui.label(RichText::new(&row.label).size(CHECK_SIZE));
                    if let Some(d) = &row.detail {
                        ui.label(RichText::new(d).size(DETAIL_SIZE));
                    }
                });
            })
            .response;
        r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::ListItem, true, &spoken));
        ui.add_space(4.0);
    }
}

/// The photo check's checklist: the file checks, then the image checks.
pub fn photo_rows(checked: &Checked) -> Vec<CheckRow> {
    let files = checked.file_checks.iter().map(|c| CheckRow {
        label: c.id.label().to_owned(),
        level: c.level,
        detail: Some(match c.hint {
            Some(h) => format!("{} — {h}", c.value),
            None => c.value.clone(),
        }),
    });
    let report = &checked.report;
    let image = CheckId::ALL.iter().map(|&id| {
        let c = report.check(id);
        CheckRow {
            label: id.label().to_owned(),
            level: if c.pass { Level::Pass } else { Level::Fail },
            detail: check_detail(id, c.pass, c.hint),
        }
    });
    files.chain(image).chain(mrz_row(report)).collect()
}

/// Loads a saved shot and its sidecar's checks for the review screen.
fn load_saved(original: &Path, sidecar: &Path) -> Result<LoadedShot, String> {
    let img = crate::imageio::read_image(original)
        .map_err(|e| e.to_string())?
        .rgb;
    let image =
        egui::ColorImage::from_rgb([img.width() as usize, img.height() as usize], img.as_raw());
    let text = std::fs::read_to_string(sidecar)
        .map_err(|e| format!("cannot read {}: {e}", sidecar.display()))?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("bad sidecar {}: {e}", sidecar.display()))?;
    let mut rows: Vec<CheckRow> = CheckId::ALL
        .iter()
        .map(|&id| {
            let c = &json["checks"][id.name()];
            let pass = c["pass"].as_bool().unwrap_or(false);
            CheckRow {
                label: id.label().to_owned(),
                level: if pass { Level::Pass } else { Level::Fail },
                detail: if pass {
                    None
                } else {
                    c["hint"].as_str().map(str::to_owned)
                },
            }
        })
        .collect();
    // The sidecar keeps the whole report: a passport's machine-readable lines, when read.
    rows.extend(json["report"]["mrz"]["present"].as_bool().map(mrz_row_of));
    Ok(LoadedShot { image, rows })
}

fn open_folder(dir: &Path) -> std::io::Result<()> {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(target_os = "windows") {
        "explorer"
    } else {
        "xdg-open"
    };
    // Spawned, not waited for: the file manager may stay open.
    std::process::Command::new(opener)
        .arg(dir)
        .spawn()
        .map(|_| ())
}

impl eframe::App for IdshotApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.poll(ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, super::settings::SETTINGS_KEY, &self.settings);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        if let Some(p) = self.pacing_report() {
            eprintln!("idshot: preview pacing: {p}");
        }
        if let Some(p) = self.live.pipeline() {
            let st = p.stats();
            eprintln!(
                "idshot: pipeline: {} frames captured, {} analysed, {} dropped by the newest-wins channel",
                st.captured, st.analysed, st.dropped
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_hint_shrinks_to_fit_its_line() {
        let ctx = egui::Context::default();
        let mut output = ctx.run_ui(egui::RawInput::default(), |ui| {
            let ctx = ui.ctx();
            assert_eq!(hint_size(ctx, Hint::HoldStill.text(), 1000.0), HINT_SIZE);
            let long = Hint::ResolutionTooLow.text();
            let size = hint_size(ctx, long, 700.0);
            assert!((HINT_MIN_SIZE..HINT_SIZE).contains(&size), "{size}");
            let width = ctx.fonts_mut(|f| {
                f.layout_no_wrap(long.to_owned(), FontId::proportional(size), Color32::WHITE)
                    .size()
                    .x
            });
            assert!(width <= 700.0, "{width}");
            // Never below the smaller size, even where that cannot fit.
            assert_eq!(hint_size(ctx, long, 100.0), HINT_MIN_SIZE);
        });
        // No renderer here to take the font atlas.
        output.textures_delta.clear();
    }

    #[test]
    fn pacing_reports_intervals_and_skipped_frames() {
        let mut p = Pacing::default();
        assert!(p.figures().is_none());
        let t0 = Instant::now();
        // Frames 0..=9 every 33 ms, then frame 12 after a 100 ms stall (10 and 11 never shown).
        for i in 0..10u64 {
            p.frame_shown(t0 + Duration::from_millis(33 * i), i);
        }
        p.frame_shown(t0 + Duration::from_millis(33 * 9 + 100), 12);
        let f = p.figures().expect("figures");
        assert_eq!(f.intervals, 10);
        assert_eq!(f.shown, 11);
        assert_eq!(f.skipped, 2);
        assert!((f.median_ms - 33.0).abs() < 0.5, "{f:?}");
        assert!((f.max_ms - 100.0).abs() < 0.5, "{f:?}");
        assert!((f.p99_ms - 100.0).abs() < 0.5, "{f:?}");
        // A restart is not a stall.
        p.reset();
        p.frame_shown(t0 + Duration::from_secs(60), 0);
        assert_eq!(p.figures().map(|f| f.intervals), Some(10));
    }

    #[test]
    fn list_photos_keeps_photos_newest_first() {
        let dir = tempfile::tempdir().expect("temp dir");
        let old = dir.path().join("old.JPG");
        let new = dir.path().join("new.png");
        std::fs::write(&old, b"x").expect("writes");
        std::fs::write(dir.path().join("notes.txt"), b"x").expect("writes");
        std::fs::create_dir(dir.path().join("folder.jpg")).expect("creates");
        std::fs::write(&new, b"x").expect("writes");
        let past = std::time::SystemTime::now() - Duration::from_secs(3600);
        std::fs::File::options()
            .write(true)
            .open(&old)
            .and_then(|f| f.set_modified(past))
            .expect("sets the time");
        assert_eq!(list_photos(dir.path()), Ok(vec![new, old]));
        let missing = list_photos(&dir.path().join("nope")).expect_err("no folder");
        assert!(missing.starts_with("cannot list "), "{missing}");
    }

    /// A passport page shows a row for its machine-readable lines (failed, with the fix, when they
    /// do not show: the page is then not ready); an ID card shows none.
    #[test]
    fn a_passport_gets_a_machine_readable_lines_row_and_a_card_none() {
        use crate::scene::{SceneSpec, render};
        let mut analyzer = Analyzer::new(Spec::default());
        let passport = render(&SceneSpec {
            kind: crate::analysis::DocKind::Td3,
            ..SceneSpec::default()
        });
        let report = analyzer.analyze(&passport.image);
        let row = mrz_row(&report).expect("a row for the passport");
        assert_eq!(
            (row.label.as_str(), row.level),
            (MrzFinding::LABEL, Level::Pass)
        );
        let mut unread = report.clone();
        if let Some(zone) = unread.mrz.as_mut() {
            zone.present = false;
        }
        let row = mrz_row(&unread).expect("a row for the passport");
        assert_eq!(row.level, Level::Fail);
        assert_eq!(row.detail.as_deref(), Some(Hint::MrzUnreadable.text()));
        let card = analyzer.analyze(&render(&SceneSpec::default()).image);
        assert!(mrz_row(&card).is_none());
    }

    #[test]
    fn live_rows_say_show_the_document_once() {
        let frame = image::RgbImage::from_pixel(320, 200, image::Rgb([90, 90, 90]));
        let report = Analyzer::new(Spec::default()).analyze(&frame);
        let mut guide = crate::guidance::Guide::new(GuideSpec::default());
        let guidance = guide.update(&report, 0.0, 0);
        let update = Update {
            seq: 0,
            t_secs: 0.0,
            name: None,
            frame: std::sync::Arc::new(frame),
            report,
            guidance,
            latency: Duration::ZERO,
        };
        let rows = live_rows(&update);
        let with_detail: Vec<&str> = rows.iter().filter_map(|r| r.detail.as_deref()).collect();
        assert_eq!(with_detail, vec![Hint::ShowDocument.text()]);
        assert!(rows.iter().all(|r| r.level == Level::Fail));
        // The same empty frame just after a card was seen too close: the guide says to move
        // back, and the document row agrees with it.
        let too_close = Update {
            guidance: crate::guidance::Guidance {
                hint: Some(Hint::MoveBack),
                ..update.guidance.clone()
            },
            ..update
        };
        let rows = live_rows(&too_close);
        let with_detail: Vec<&str> = rows.iter().filter_map(|r| r.detail.as_deref()).collect();
        assert_eq!(with_detail, vec![Hint::MoveBack.text()]);
    }
}
