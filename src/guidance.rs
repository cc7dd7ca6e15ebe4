//! Guidance: a pure state machine over per-frame reports.
//!
//! It decides across frames what one frame cannot: whether the card is steady, which hint to show
//! (without flicker), and when to take the shot. No clocks, threads or I/O inside: the caller passes
//! each frame's timestamp, so the same report sequence always gives the same decisions.

use std::collections::VecDeque;

use serde::Serialize;

use crate::analysis::{CheckId, FrameReport, Quad};
use crate::hints::Hint;

/// Every tuning number of the guidance, with the reasons for its default.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GuideSpec {
    /// Every check must pass (and the card be steady) for this long before an auto-capture.
    pub hold_secs: f64,
    /// A failing blip shorter than this (two frames at 30 fps) does not restart the hold: a single
    /// noisy verdict should not cost the person another half second. The blip's frames are never
    /// candidates for the shot.
    pub hold_gap_secs: f64,
    /// Corner motion is measured over this span, so detector jitter (which does not accumulate)
    /// reads as small while a real drift does.
    pub motion_span_secs: f64,
    /// Steady: the fastest corner moves at most this many frame short sides per second
    /// (0.12 is ~86 px/s at 720p: hand tremor and detector jitter pass, bringing the card in does not).
    pub steady_speed_max: f32,
    /// A shown hint stays at least this long unless its fault is fixed.
    pub hint_min_secs: f64,
    /// A new situation must last this long before the hint follows it (filters one-frame noise).
    pub hint_confirm_secs: f64,
    /// After a capture, no auto-capture for at least this long.
    pub cooldown_secs: f64,
    /// After a capture, the card must be out of view this long before the next auto-capture, so one
    /// presentation of the card gives one shot.
    pub rearm_absent_secs: f64,
    /// After this long without a capture, say which check blocks and offer a manual capture.
    pub stuck_secs: f64,
    /// A document last seen too close (told to move back) that then vanishes has most likely come
    /// closer still: it covers the frame, and no edge of it is left to outline. For this long it
    /// is told to move back, not to show the document (which would bring it closer yet).
    pub lost_close_secs: f64,
}

impl Default for GuideSpec {
    fn default() -> Self {
        Self {
            hold_secs: 0.5,
            hold_gap_secs: 0.07,
            motion_span_secs: 0.1,
            steady_speed_max: 0.12,
            hint_min_secs: 1.0,
            hint_confirm_secs: 0.15,
            cooldown_secs: 2.0,
            rearm_absent_secs: 0.5,
            stuck_secs: 12.0,
            lost_close_secs: 2.0,
        }
    }
}

/// What keeps the shot from being taken: a failing check, a passport page's machine-readable lines
/// not showing, or the card moving.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Blocker {
    Check(CheckId),
    Mrz,
    Motion,
}

impl Blocker {
    pub fn name(self) -> &'static str {
        match self {
            Blocker::Check(id) => id.name(),
            Blocker::Mrz => "mrz",
            Blocker::Motion => "steady",
        }
    }
}

/// Where the guide is.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "phase")]
pub enum Phase {
    /// No document in view.
    Searching,
    /// A document is in view but something fails.
    Adjusting,
    /// Everything passes: counting down to the shot (`progress` 0..1).
    Holding { progress: f32 },
    /// A shot was just taken: waiting for the cooldown and for the card to leave.
    Done,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    Auto,
    Manual,
}

/// The decision to take a shot: which frame, why, and what was considered.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CaptureDecision {
    /// Sequence number of the frame to save (the sharpest of the hold window for auto-captures).
    pub seq: u64,
    pub trigger: Trigger,
    /// What failed on the saved frame (empty for auto-captures).
    pub failing: Vec<Blocker>,
    /// Sequence numbers of the frames that were candidates.
    pub considered: Vec<u64>,
    /// Timestamp of the update that decided.
    pub t_secs: f64,
}

/// The guidance after one frame.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Guidance {
    pub phase: Phase,
    /// The hint to show now (after hysteresis); None when nothing needs fixing.
    pub hint: Option<Hint>,
    /// Corner speed in frame short sides per second; None without two recent outlines.
    pub motion: Option<f32>,
    pub steady: bool,
    /// The sharpest frame of the current hold window: the pipeline keeps this frame's pixels.
    pub best_seq: Option<u64>,
    /// Set on the one update that decides to take a shot.
    pub capture: Option<CaptureDecision>,
    /// After [`GuideSpec::stuck_secs`] without a shot: what blocks most often.
    pub blocking: Option<Blocker>,
    /// True when the person should be offered a manual capture.
    pub offer_manual: bool,
}

/// One candidate frame of the hold window.
#[derive(Clone, Copy, Debug)]
struct Candidate {
    seq: u64,
    /// Lower is sharper; infinity when unmeasured.
    blur: f32,
}

/// The guidance state machine. Feed it every analysed frame in order with [`Guide::update`].
#[derive(Clone, Debug)]
pub struct Guide {
    spec: GuideSpec,
    /// Recent outlines for the motion estimate: (t, quad).
    outlines: VecDeque<(f64, Quad)>,
    hint_started: bool,
    shown: Option<Hint>,
    shown_since: f64,
    candidate: Option<Hint>,
    candidate_since: f64,
    /// Since when the shown hint's fault has been fixed (None while it still applies).
    fixed_since: Option<f64>,
    started: bool,
    /// Start of the current all-pass run and the last time it passed.
    hold_start: Option<f64>,
    last_pass: f64,
    window: Vec<Candidate>,
    best: Option<Candidate>,
    /// Set after a capture until the cooldown and the card's absence re-arm auto-capture.
    captured_at: Option<f64>,
    absent_since: Option<f64>,
    manual_requested: bool,
    /// Start of the current attempt (first frame, or re-arm after a shot) and per-blocker counts.
    attempt_start: f64,
    block_counts: Vec<(Blocker, u32)>,
    /// When a document was last seen too close, while none has been seen at a fitting distance
    /// since.
    last_too_close: Option<f64>,
}

impl Guide {
    pub fn new(spec: GuideSpec) -> Self {
        Self {
            spec,
            outlines: VecDeque::new(),
            hint_started: false,
            shown: None,
            shown_since: 0.0,
            candidate: None,
            candidate_since: 0.0,
            fixed_since: None,
            started: false,
            hold_start: None,
            last_pass: 0.0,
            window: Vec::new(),
            best: None,
            captured_at: None,
            absent_since: None,
            manual_requested: false,
            attempt_start: 0.0,
            block_counts: Vec::new(),
            last_too_close: None,
        }
    }

    pub fn spec(&self) -> &GuideSpec {
        &self.spec
    }

    /// Asks for a shot of the next frame, whatever its checks say (they are recorded).
    pub fn request_capture(&mut self) {
        self.manual_requested = true;
    }

    /// Takes one frame's report, its timestamp (seconds, increasing) and its sequence number.
    pub fn update(&mut self, report: &FrameReport, t_secs: f64, seq: u64) -> Guidance {
        if !self.started {
            self.started = true;
            self.attempt_start = t_secs;
        }
        let motion = self.track_motion(report, t_secs);
        let steady =
            report.document.is_some() && motion.is_some_and(|m| m <= self.spec.steady_speed_max);
        let blockers = blockers(report, steady);
        let all_pass = blockers.is_empty();
        for b in &blockers {
            self.count_blocker(*b);
        }

        // Re-arm after a shot once the cooldown is over and the card has been away long enough.
        if report.document.is_none() {
            self.absent_since.get_or_insert(t_secs);
        } else {
            self.absent_since = None;
            let too_close = report.checks.iter().any(|c| c.hint == Some(Hint::MoveBack));
            self.last_too_close = too_close.then_some(t_secs);
        }
        if let Some(at) = self.captured_at {
            let cooled = t_secs - at >= self.spec.cooldown_secs;
            let away = self
                .absent_since
                .is_some_and(|s| t_secs - s >= self.spec.rearm_absent_secs);
            if cooled && away {
                self.captured_at = None;
                self.attempt_start = t_secs;
                self.block_counts.clear();
            }
        }
        let armed = self.captured_at.is_none();

        let mut capture = None;
        if std::mem::take(&mut self.manual_requested) {
            capture = Some(CaptureDecision {
                seq,
                trigger: Trigger::Manual,
                failing: blockers.clone(),
                considered: vec![seq],
                t_secs,
            });
        } else if armed {
            capture = self.track_hold(report, all_pass, t_secs, seq);
        }
        if capture.is_some() {
            self.captured_at = Some(t_secs);
            self.reset_hold();
        }

        let phase = if capture.is_some() || !armed {
            Phase::Done
        } else if let Some(start) = self.hold_start {
            let progress = ((t_secs - start) / self.spec.hold_secs).clamp(0.0, 1.0) as f32;
            Phase::Holding { progress }
        } else if report.document.is_none() {
            Phase::Searching
        } else {
            Phase::Adjusting
        };

        let wanted = if !armed || capture.is_some() {
            None
        } else {
            wanted_hint(report, &blockers)
        };
        let lost_close = self
            .last_too_close
            .is_some_and(|seen| t_secs - seen <= self.spec.lost_close_secs);
        let wanted = match wanted {
            Some(Hint::ShowDocument) if lost_close => Some(Hint::MoveBack),
            other => other,
        };
        let hint = self.choose_hint(wanted, &blockers, t_secs);
        // The hysteresis keeps a fixed hint up for a moment in case its fault comes back; once
        // everything passes and the hold has begun, it is not shown beside the hold ("Move your
        // finger off the corner" in green, beside a checklist that is all OK).
        let hint = hint.filter(|&h| {
            !matches!(phase, Phase::Holding { .. }) || hint_still_applies(h, &blockers)
        });

        let stuck =
            armed && capture.is_none() && t_secs - self.attempt_start >= self.spec.stuck_secs;
        let blocking = if stuck { self.top_blocker() } else { None };
        Guidance {
            phase,
            hint,
            motion,
            steady,
            best_seq: self.best.map(|c| c.seq),
            capture,
            blocking,
            offer_manual: stuck,
        }
    }

    /// Corner speed over the last `motion_span_secs`, in short sides per second.
    fn track_motion(&mut self, report: &FrameReport, t: f64) -> Option<f32> {
        let Some(doc) = &report.document else {
            self.outlines.clear();
            return None;
        };
        self.outlines.push_back((t, doc.quad));
        // Keep the newest outline at least `motion_span_secs` old, and nothing older.
        while self.outlines.len() > 2
            && self
                .outlines
                .get(1)
                .is_some_and(|(t1, _)| t - t1 >= self.spec.motion_span_secs)
        {
            self.outlines.pop_front();
        }
        let (t0, q0) = self.outlines.front()?;
        let dt = t - t0;
        if dt <= 0.0 {
            return None;
        }
        let short_side = report.width.min(report.height).max(1) as f32;
        let moved =
            q0.0.iter()
                .zip(doc.quad.0.iter())
                .map(|(a, b)| a.dist(*b))
                .fold(0.0f32, f32::max);
        Some(moved / short_side / dt as f32)
    }

    fn reset_hold(&mut self) {
        self.hold_start = None;
        self.window.clear();
        self.best = None;
    }

    /// Runs the hold timer; returns the auto-capture decision when the hold completes.
    fn track_hold(
        &mut self,
        report: &FrameReport,
        all_pass: bool,
        t: f64,
        seq: u64,
    ) -> Option<CaptureDecision> {
        if all_pass {
            if self.hold_start.is_none() {
                self.hold_start = Some(t);
            }
            self.last_pass = t;
            let cand = Candidate {
                seq,
                blur: blur_score(report),
            };
            self.window.push(cand);
            // Strictly sharper wins, so ties keep the earlier frame (the sooner shot).
            if self.best.is_none_or(|b| cand.blur < b.blur) {
                self.best = Some(cand);
            }
        } else if self.hold_start.is_some() && t - self.last_pass > self.spec.hold_gap_secs {
            self.reset_hold();
        }
        let start = self.hold_start?;
        if all_pass && t - start >= self.spec.hold_secs - 1e-9 {
            let best = self.best?;
            return Some(CaptureDecision {
                seq: best.seq,
                trigger: Trigger::Auto,
                failing: Vec::new(),
                considered: self.window.iter().map(|c| c.seq).collect(),
                t_secs: t,
            });
        }
        None
    }

    /// Hint hysteresis: a new hint replaces the shown one only after it has lasted
    /// `hint_confirm_secs`, and only once the shown one was fixed or shown for `hint_min_secs`.
    fn choose_hint(&mut self, wanted: Option<Hint>, blockers: &[Blocker], t: f64) -> Option<Hint> {
        if !self.hint_started {
            // The very first frame: nothing is shown yet, so there is nothing to flicker from.
            self.hint_started = true;
            self.shown = wanted;
            self.shown_since = t;
        }
        if wanted != self.candidate {
            self.candidate = wanted;
            self.candidate_since = t;
        }
        if self.candidate == self.shown {
            return self.shown;
        }
        let confirmed = t - self.candidate_since >= self.spec.hint_confirm_secs;
        let fixed = self.shown.is_none_or(|h| !hint_still_applies(h, blockers));
        self.fixed_since = if fixed {
            Some(self.fixed_since.unwrap_or(t))
        } else {
            None
        };
        // A fix that has lasted the confirmation time ends the shown hint even while the next
        // situation is still changing (blur, then motion, then blur): a hint the person already
        // followed must not stay up beside a checklist that says OK.
        let stays_fixed = self
            .fixed_since
            .is_some_and(|since| t - since >= self.spec.hint_confirm_secs);
        let shown_long = t - self.shown_since >= self.spec.hint_min_secs;
        if stays_fixed || (confirmed && (fixed || shown_long)) {
            self.shown = self.candidate;
            self.shown_since = t;
            self.fixed_since = None;
        }
        self.shown
    }

    fn count_blocker(&mut self, b: Blocker) {
        match self.block_counts.iter_mut().find(|(k, _)| *k == b) {
            Some((_, n)) => *n += 1,
            None => self.block_counts.push((b, 1)),
        }
    }

    /// The blocker seen on the most frames of this attempt (earliest in priority on a tie).
    fn top_blocker(&self) -> Option<Blocker> {
        let mut best: Option<(Blocker, u32)> = None;
        for b in CheckId::ALL
            .map(Blocker::Check)
            .into_iter()
            .chain([Blocker::Mrz, Blocker::Motion])
        {
            let n = self
                .block_counts
                .iter()
                .find(|(k, _)| *k == b)
                .map_or(0, |(_, n)| *n);
            if n > 0 && best.is_none_or(|(_, m)| n > m) {
                best = Some((b, n));
            }
        }
        best.map(|(b, _)| b)
    }
}

impl Default for Guide {
    fn default() -> Self {
        Self::new(GuideSpec::default())
    }
}

/// Everything that fails on this frame, in priority order (the checks, the passport page's
/// machine-readable lines, then motion).
fn blockers(report: &FrameReport, steady: bool) -> Vec<Blocker> {
    let mut out: Vec<Blocker> = report
        .checks
        .iter()
        .filter(|c| !c.pass)
        .map(|c| Blocker::Check(c.id))
        .collect();
    if report.mrz_missing() {
        out.push(Blocker::Mrz);
    }
    if report.document.is_some() && !steady {
        out.push(Blocker::Motion);
    }
    out
}

/// The hint this frame asks for: the report's top hint, else "hold still" while moving.
fn wanted_hint(report: &FrameReport, blockers: &[Blocker]) -> Option<Hint> {
    if let Some(h) = report.hint {
        return Some(h);
    }
    if blockers.contains(&Blocker::Motion) {
        return Some(Hint::HoldStill);
    }
    if blockers.is_empty() {
        None
    } else {
        // A failing check without a hint of its own: ask for the document again.
        Some(Hint::ShowDocument)
    }
}

/// Whether the fault behind hint `h` is still present this frame.
fn hint_still_applies(h: Hint, blockers: &[Blocker]) -> bool {
    blockers.iter().any(|b| match b {
        Blocker::Motion => h == Hint::HoldStill,
        Blocker::Mrz => h == Hint::MrzUnreadable,
        // "Move back" also answers corners off two opposite frame edges (a card wider than the
        // frame), where no move sideways brings them in.
        Blocker::Check(CheckId::Corners) if h == Hint::MoveBack => true,
        Blocker::Check(id) => hint_check(h) == Some(*id),
    })
}

/// The check a hint belongs to.
fn hint_check(h: Hint) -> Option<CheckId> {
    Some(match h {
        Hint::ShowDocument => CheckId::Document,
        Hint::CornersOutside | Hint::CornerCovered => CheckId::Corners,
        Hint::MoveCloser | Hint::ResolutionTooLow | Hint::MoveBack => CheckId::Distance,
        Hint::FaceCamera | Hint::Straighten => CheckId::Tilt,
        Hint::Blurry => CheckId::Focus,
        Hint::Glare => CheckId::Glare,
        Hint::TooDark | Hint::TooBright | Hint::UnevenLight => CheckId::Exposure,
        Hint::HoldStill | Hint::MrzUnreadable => return None,
    })
}

/// Sharpness score for picking the shot: blur in mm on the document, else in pixels.
fn blur_score(report: &FrameReport) -> f32 {
    report
        .measures
        .blur_mm
        .or(report.measures.blur_px)
        .filter(|b| b.is_finite())
        .unwrap_or(f32::INFINITY)
}
