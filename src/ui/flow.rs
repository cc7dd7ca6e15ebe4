//! The app's flow as plain data: which screen is up, which side is being captured, which shots
//! were kept. Transitions are methods that return the [`Effect`]s the shell must carry out
//! (start or stop the source, delete a discarded shot, open a folder), so the whole flow is
//! tested without a window, a camera or a thread.

use std::path::{Path, PathBuf};

use crate::analysis::{DocKind, KindChoice};
use crate::guidance::Trigger;
use crate::pipeline::ShotEvent;
use crate::save::{SavedShot, Side};

/// What the person says they are holding.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DocChoice {
    #[default]
    IdCard,
    Passport,
    DrivingLicence,
}

impl DocChoice {
    pub const ALL: [DocChoice; 3] = [
        DocChoice::IdCard,
        DocChoice::Passport,
        DocChoice::DrivingLicence,
    ];

    pub fn label(self) -> &'static str {
        match self {
            DocChoice::IdCard => "ID card",
            DocChoice::Passport => "Passport",
            DocChoice::DrivingLicence => "Driving licence",
        }
    }

    /// The sides to capture, in order.
    pub fn sides(self) -> &'static [Side] {
        match self {
            DocChoice::IdCard | DocChoice::DrivingLicence => &[Side::Front, Side::Back],
            DocChoice::Passport => &[Side::Front],
        }
    }

    pub fn kind(self) -> DocKind {
        match self {
            DocChoice::Passport => DocKind::Td3,
            DocChoice::IdCard | DocChoice::DrivingLicence => DocKind::Id1,
        }
    }

    pub fn kind_choice(self) -> KindChoice {
        match self {
            DocChoice::Passport => KindChoice::Passport,
            DocChoice::IdCard | DocChoice::DrivingLicence => KindChoice::IdCard,
        }
    }

    /// What the side is called for this document ("data page" for a passport).
    pub fn side_label(self, side: Side) -> &'static str {
        match (self, side) {
            (DocChoice::Passport, _) => "data page",
            (_, Side::Front) => "front",
            (_, Side::Back) => "back",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Screen {
    /// Choose the document (and settings).
    Start,
    /// Live preview of the current side.
    Capture,
    /// The source could not be opened (or failed): Try again, Demo, Check a photo.
    NoSource { error: String },
    /// The shot just taken, to keep or retake.
    Review,
    /// Every side captured: the files and where they are.
    Done,
    /// Checking a photo already taken (same verdict as `idshot check`).
    CheckPhoto,
}

/// A shot on the review screen or kept.
#[derive(Clone, Debug, PartialEq)]
pub struct TakenShot {
    pub side: Side,
    pub trigger: Trigger,
    /// The files written, or why they could not be.
    pub saved: Result<SavedShot, String>,
}

impl TakenShot {
    pub fn from_event(side: Side, event: &ShotEvent) -> Self {
        let saved = match &event.saved {
            Some(r) => r.clone(),
            None => Err("the shot was not saved (no folder)".to_owned()),
        };
        Self {
            side,
            trigger: event.decision.trigger,
            saved,
        }
    }

    /// Every file of the shot.
    pub fn files(&self) -> Vec<PathBuf> {
        match &self.saved {
            Ok(s) => std::iter::once(s.original.clone())
                .chain(s.crop.clone())
                .chain(std::iter::once(s.sidecar.clone()))
                .collect(),
            Err(_) => Vec::new(),
        }
    }
}

/// What the shell must do after a transition.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// (Re)start the live source for this document and side.
    StartSource {
        doc: DocChoice,
        side: Side,
    },
    StopSource,
    /// Delete a discarded shot's files.
    Discard(Vec<PathBuf>),
    OpenFolder(PathBuf),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Flow {
    pub screen: Screen,
    pub doc: DocChoice,
    side_index: usize,
    pub review: Option<TakenShot>,
    pub kept: Vec<TakenShot>,
    /// Where Esc goes from the photo check.
    check_return: Box<Screen>,
}

impl Default for Flow {
    fn default() -> Self {
        Self {
            screen: Screen::Start,
            doc: DocChoice::default(),
            side_index: 0,
            review: None,
            kept: Vec::new(),
            check_return: Box::new(Screen::Start),
        }
    }
}

impl Flow {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn side(&self) -> Side {
        self.doc
            .sides()
            .get(self.side_index)
            .copied()
            .unwrap_or_default()
    }

    /// "front (1 of 2)".
    pub fn side_progress(&self) -> String {
        let n = self.doc.sides().len();
        let name = self.doc.side_label(self.side());
        if n > 1 {
            format!("{name} ({} of {n})", self.side_index + 1)
        } else {
            name.to_owned()
        }
    }

    pub fn has_next_side(&self) -> bool {
        self.side_index + 1 < self.doc.sides().len()
    }

    fn start_current(&mut self) -> Vec<Effect> {
        self.screen = Screen::Capture;
        vec![Effect::StartSource {
            doc: self.doc,
            side: self.side(),
        }]
    }

    /// Start capturing a document from its first side.
    pub fn choose(&mut self, doc: DocChoice) -> Vec<Effect> {
        self.doc = doc;
        self.side_index = 0;
        self.kept.clear();
        self.review = None;
        self.start_current()
    }

    /// The source failed to open or broke: show the no-source screen.
    pub fn source_failed(&mut self, error: String) -> Vec<Effect> {
        if self.screen != Screen::Capture {
            return Vec::new();
        }
        self.screen = Screen::NoSource { error };
        vec![Effect::StopSource]
    }

    /// Try the source again from the no-source screen (the shell may have switched it to demo).
    pub fn try_again(&mut self) -> Vec<Effect> {
        match self.screen {
            Screen::NoSource { .. } => self.start_current(),
            _ => Vec::new(),
        }
    }

    /// The pipeline took a shot: review it (the source stops, so no second shot lands meanwhile).
    pub fn shot_taken(&mut self, event: &ShotEvent) -> Vec<Effect> {
        if self.screen != Screen::Capture {
            return Vec::new();
        }
        self.review = Some(TakenShot::from_event(self.side(), event));
        self.screen = Screen::Review;
        vec![Effect::StopSource]
    }

    /// Throw the reviewed shot away and capture the same side again.
    pub fn retake(&mut self) -> Vec<Effect> {
        if self.screen != Screen::Review {
            return Vec::new();
        }
        let mut effects = Vec::new();
        if let Some(shot) = self.review.take() {
            let files = shot.files();
            if !files.is_empty() {
                effects.push(Effect::Discard(files));
            }
        }
        effects.extend(self.start_current());
        effects
    }

    /// Keep the reviewed shot and finish (remaining sides are skipped).
    pub fn keep(&mut self) -> Vec<Effect> {
        if self.screen != Screen::Review {
            return Vec::new();
        }
        self.kept.extend(self.review.take());
        self.screen = Screen::Done;
        Vec::new()
    }

    /// Keep the reviewed shot and capture the next side.
    pub fn next_side(&mut self) -> Vec<Effect> {
        if self.screen != Screen::Review || !self.has_next_side() {
            return Vec::new();
        }
        self.kept.extend(self.review.take());
        self.side_index += 1;
        self.start_current()
    }

    /// Open the folder of the reviewed or kept shots.
    pub fn open_folder(&self, fallback: &Path) -> Vec<Effect> {
        let shot = self.review.as_ref().or(self.kept.last());
        let dir = shot
            .and_then(|s| s.saved.as_ref().ok())
            .and_then(|s| s.original.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| fallback.to_path_buf());
        vec![Effect::OpenFolder(dir)]
    }

    pub fn check_photo(&mut self) -> Vec<Effect> {
        let stop = self.screen == Screen::Capture;
        let from = std::mem::replace(&mut self.screen, Screen::CheckPhoto);
        *self.check_return = from;
        if stop {
            vec![Effect::StopSource]
        } else {
            Vec::new()
        }
    }

    /// Every file of the kept shots (what the done screen lists).
    pub fn kept_files(&self) -> Vec<PathBuf> {
        self.kept.iter().flat_map(TakenShot::files).collect()
    }

    /// "Delete these captures" on the done screen (after the person confirmed): the kept shots'
    /// files go, and the list empties so nothing points at a deleted file.
    pub fn delete_kept(&mut self) -> Vec<Effect> {
        if self.screen != Screen::Done {
            return Vec::new();
        }
        let files = self.kept_files();
        self.kept.clear();
        if files.is_empty() {
            Vec::new()
        } else {
            vec![Effect::Discard(files)]
        }
    }

    /// Start over with another document.
    pub fn restart(&mut self) -> Vec<Effect> {
        self.screen = Screen::Start;
        self.review = None;
        self.kept.clear();
        self.side_index = 0;
        vec![Effect::StopSource]
    }

    /// Esc: one step back.
    pub fn back(&mut self) -> Vec<Effect> {
        match self.screen.clone() {
            Screen::Start => Vec::new(),
            Screen::Capture | Screen::NoSource { .. } | Screen::Done => self.restart(),
            Screen::Review => self.retake(),
            Screen::CheckPhoto => {
                let to = std::mem::replace(&mut self.check_return, Box::new(Screen::Start));
                match *to {
                    // The source was stopped on the way in.
                    Screen::Capture => self.start_current(),
                    other => {
                        self.screen = other;
                        Vec::new()
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guidance::CaptureDecision;

    fn saved(name: &str) -> SavedShot {
        SavedShot {
            original: PathBuf::from(format!("/shots/{name}.jpg")),
            crop: Some(PathBuf::from(format!("/shots/{name}-crop.jpg"))),
            sidecar: PathBuf::from(format!("/shots/{name}.json")),
            jpeg_quality: 95,
            original_bytes: 1000,
        }
    }

    fn event(name: &str) -> ShotEvent {
        ShotEvent {
            decision: CaptureDecision {
                seq: 7,
                trigger: Trigger::Auto,
                failing: Vec::new(),
                considered: vec![7],
                t_secs: 1.0,
            },
            name: None,
            saved: Some(Ok(saved(name))),
        }
    }

    #[test]
    fn id_card_goes_front_review_back_review_done() {
        let mut f = Flow::new();
        let e = f.choose(DocChoice::IdCard);
        assert_eq!(
            e,
            vec![Effect::StartSource {
                doc: DocChoice::IdCard,
                side: Side::Front
            }]
        );
        assert_eq!(f.screen, Screen::Capture);
        assert_eq!(f.side_progress(), "front (1 of 2)");

        assert_eq!(f.shot_taken(&event("front")), vec![Effect::StopSource]);
        assert_eq!(f.screen, Screen::Review);
        assert!(f.has_next_side());

        let e = f.next_side();
        assert_eq!(
            e,
            vec![Effect::StartSource {
                doc: DocChoice::IdCard,
                side: Side::Back
            }]
        );
        assert_eq!(f.side(), Side::Back);
        f.shot_taken(&event("back"));
        assert_eq!(f.review.as_ref().map(|s| s.side), Some(Side::Back));
        assert!(!f.has_next_side());
        assert!(f.next_side().is_empty(), "no side after the back");
        assert!(f.keep().is_empty());
        assert_eq!(f.screen, Screen::Done);
        let sides: Vec<Side> = f.kept.iter().map(|s| s.side).collect();
        assert_eq!(sides, vec![Side::Front, Side::Back]);
    }

    #[test]
    fn passport_has_one_side() {
        let mut f = Flow::new();
        f.choose(DocChoice::Passport);
        assert_eq!(f.side_progress(), "data page");
        f.shot_taken(&event("p"));
        assert!(!f.has_next_side());
        f.keep();
        assert_eq!(f.screen, Screen::Done);
        assert_eq!(f.kept.len(), 1);
    }

    #[test]
    fn retake_discards_the_files_and_captures_the_same_side_again() {
        let mut f = Flow::new();
        f.choose(DocChoice::DrivingLicence);
        f.shot_taken(&event("a"));
        f.next_side();
        f.shot_taken(&event("b"));
        let e = f.retake();
        assert_eq!(
            e,
            vec![
                Effect::Discard(vec![
                    PathBuf::from("/shots/b.jpg"),
                    PathBuf::from("/shots/b-crop.jpg"),
                    PathBuf::from("/shots/b.json"),
                ]),
                Effect::StartSource {
                    doc: DocChoice::DrivingLicence,
                    side: Side::Back
                },
            ]
        );
        assert_eq!(f.screen, Screen::Capture);
        assert_eq!(f.kept.len(), 1, "the kept front stays");
        assert!(f.review.is_none());
    }

    #[test]
    fn transitions_from_the_wrong_screen_do_nothing() {
        let mut f = Flow::new();
        assert!(f.shot_taken(&event("x")).is_empty());
        assert!(f.retake().is_empty());
        assert!(f.keep().is_empty());
        assert_eq!(f.screen, Screen::Start);
        assert!(f.back().is_empty());
    }

    #[test]
    fn source_failure_then_try_again() {
        let mut f = Flow::new();
        f.choose(DocChoice::IdCard);
        assert_eq!(
            f.source_failed("no camera found".into()),
            vec![Effect::StopSource]
        );
        assert!(matches!(f.screen, Screen::NoSource { .. }));
        assert_eq!(f.try_again().len(), 1);
        assert_eq!(f.screen, Screen::Capture);
    }

    #[test]
    fn escape_steps_back() {
        let mut f = Flow::new();
        f.choose(DocChoice::IdCard);
        f.shot_taken(&event("a"));
        // Esc on review = retake.
        assert!(matches!(f.back().first(), Some(Effect::Discard(_))));
        assert_eq!(f.screen, Screen::Capture);
        // Esc on capture = back to the start.
        assert_eq!(f.back(), vec![Effect::StopSource]);
        assert_eq!(f.screen, Screen::Start);
        // Photo check returns where it came from.
        f.check_photo();
        assert_eq!(f.screen, Screen::CheckPhoto);
        f.back();
        assert_eq!(f.screen, Screen::Start);
    }

    #[test]
    fn delete_kept_discards_every_kept_file_only_on_the_done_screen() {
        let mut f = Flow::new();
        f.choose(DocChoice::IdCard);
        f.shot_taken(&event("a"));
        assert!(f.delete_kept().is_empty(), "not from the review screen");
        f.next_side();
        f.shot_taken(&event("b"));
        f.keep();
        assert_eq!(f.kept_files().len(), 6);
        let e = f.delete_kept();
        assert_eq!(
            e,
            vec![Effect::Discard(vec![
                PathBuf::from("/shots/a.jpg"),
                PathBuf::from("/shots/a-crop.jpg"),
                PathBuf::from("/shots/a.json"),
                PathBuf::from("/shots/b.jpg"),
                PathBuf::from("/shots/b-crop.jpg"),
                PathBuf::from("/shots/b.json"),
            ])]
        );
        assert!(f.kept.is_empty());
        assert_eq!(f.screen, Screen::Done);
        assert!(f.delete_kept().is_empty(), "nothing left to delete");
    }

    #[test]
    fn open_folder_uses_the_shot_folder() {
        let mut f = Flow::new();
        assert_eq!(
            f.open_folder(Path::new("/fallback")),
            vec![Effect::OpenFolder(PathBuf::from("/fallback"))]
        );
        f.choose(DocChoice::IdCard);
        f.shot_taken(&event("a"));
        assert_eq!(
            f.open_folder(Path::new("/fallback")),
            vec![Effect::OpenFolder(PathBuf::from("/shots"))]
        );
    }
}
