//! What the analysis says about one frame.

use serde::Serialize;

use super::geometry::{Point, Quad};
use super::spec::DocKind;
use crate::hints::Hint;

/// The seven checks, in the order a person should fix them (the top hint is the first failing one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckId {
    Document,
    Corners,
    Distance,
    Tilt,
    Focus,
    Glare,
    Exposure,
}

impl CheckId {
    /// Priority order: what to fix first.
    pub const ALL: [CheckId; 7] = [
        CheckId::Document,
        CheckId::Corners,
        CheckId::Distance,
        CheckId::Tilt,
        CheckId::Focus,
        CheckId::Glare,
        CheckId::Exposure,
    ];

    pub fn name(self) -> &'static str {
        match self {
            CheckId::Document => "document",
            CheckId::Corners => "corners",
            CheckId::Distance => "distance",
            CheckId::Tilt => "tilt",
            CheckId::Focus => "focus",
            CheckId::Glare => "glare",
            CheckId::Exposure => "exposure",
        }
    }

    /// A short label for checklists.
    pub fn label(self) -> &'static str {
        match self {
            CheckId::Document => "Document in view",
            CheckId::Corners => "All four corners",
            CheckId::Distance => "Distance",
            CheckId::Tilt => "Straight and flat",
            CheckId::Focus => "Sharp",
            CheckId::Glare => "No glare",
            CheckId::Exposure => "Light",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// One check's verdict: pass or fail, the measured value, and what to do when it fails.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Check {
    pub id: CheckId,
    pub pass: bool,
    /// The measured quantity (see [`Measures`] for units); None when it could not be measured.
    pub value: Option<f32>,
    pub hint: Option<Hint>,
}

impl Check {
    pub fn passed(id: CheckId, value: Option<f32>) -> Self {
        Self {
            id,
            pass: true,
            value,
            hint: None,
        }
    }

    pub fn failed(id: CheckId, value: Option<f32>, hint: Hint) -> Self {
        Self {
            id,
            pass: false,
            value,
            hint: Some(hint),
        }
    }

    /// A check that depends on a document that is not there.
    pub fn unmeasured(id: CheckId) -> Self {
        Self {
            id,
            pass: false,
            value: None,
            hint: Some(Hint::ShowDocument),
        }
    }
}

/// The document the analysis found.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct DocumentFound {
    /// Corners TL, TR, BR, BL in frame pixels; corners cut off by the frame edge lie outside it.
    pub quad: Quad,
    pub kind: DocKind,
    /// 0..1, how well edges and content support the outline.
    pub confidence: f32,
}

/// An axis-aligned box in frame pixels (glare spots, for the overlay).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Region {
    pub min: Point,
    pub max: Point,
}

/// What the passport's machine-readable zone looks like, when the document is a TD3 page.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct MrzFinding {
    /// At least two text lines spreading across the page found in its bottom band.
    pub present: bool,
    /// Blur in mm on the page, read along its outline: the zone is printed on the same sheet, in
    /// the same plane.
    pub blur_mm: Option<f32>,
    /// Present, and the page passes the focus check.
    pub sharp: bool,
}

impl MrzFinding {
    /// Its row's label in the checklists, beside the checks' [`CheckId::label`]s.
    pub const LABEL: &'static str = "Machine-readable lines";
}

/// Every measured quantity, for sidecars, the checklist and debugging.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Measures {
    /// Visible document area over frame area.
    pub fill: Option<f32>,
    /// Effective pixels per mm on the document.
    pub ppmm: Option<f32>,
    /// Least corner distance inside the frame, as a fraction of the short side (negative: outside).
    pub corner_margin: Option<f32>,
    /// Corners that look covered (bit i = corner i, TL TR BR BL).
    pub covered_corners: u8,
    /// Estimated blur in mm on the document.
    pub blur_mm: Option<f32>,
    /// Estimated blur in frame pixels.
    pub blur_px: Option<f32>,
    /// The print's blur in mm, read where the outline's edges read blurry (`print_focus`).
    pub print_blur_mm: Option<f32>,
    /// Fraction of the document clipped by glare.
    pub glare_frac: Option<f32>,
    /// Out-of-plane angle, degrees.
    pub tilt_deg: Option<f32>,
    /// In-plane rotation, degrees (positive: clockwise on screen).
    pub roll_deg: Option<f32>,
    /// Mean luma of the document.
    pub luma_mean: Option<f32>,
    /// Darkest over brightest quarter of the document.
    pub evenness: Option<f32>,
    /// Fraction clipped outside glare.
    pub clipped_frac: Option<f32>,
}

/// The whole per-frame verdict.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FrameReport {
    pub width: u32,
    pub height: u32,
    pub document: Option<DocumentFound>,
    /// Indexed by [`CheckId::index`], in [`CheckId::ALL`] order.
    pub checks: [Check; 7],
    /// True only when every check passes and, on a passport page, its machine-readable lines show.
    pub ready: bool,
    /// The first failing check's hint, in priority order.
    pub hint: Option<Hint>,
    pub measures: Measures,
    pub glare_regions: Vec<Region>,
    pub mrz: Option<MrzFinding>,
}

impl FrameReport {
    pub fn check(&self, id: CheckId) -> &Check {
        // CheckId's discriminant is its index in `checks`, by construction.
        &self.checks[id.index()]
    }

    /// Builds the report from the checks, deriving `ready` and the top hint.
    pub fn from_checks(
        width: u32,
        height: u32,
        document: Option<DocumentFound>,
        checks: [Check; 7],
        measures: Measures,
    ) -> Self {
        let ready = checks.iter().all(|c| c.pass);
        let hint = checks.iter().find(|c| !c.pass).and_then(|c| c.hint);
        Self {
            width,
            height,
            document,
            checks,
            ready,
            hint,
            measures,
            glare_regions: Vec::new(),
            mrz: None,
        }
    }

    /// Attaches what the passport page's machine-readable zone looks like. A data page whose two
    /// lines do not show is not ready, whatever the checks say: reviewers reject a passport shot
    /// without them, and an outline of part of the page (one closed on a printed line above the
    /// zone) can pass every check.
    pub fn with_mrz(mut self, mrz: Option<MrzFinding>) -> Self {
        self.mrz = mrz;
        if self.mrz_missing() {
            self.ready = false;
            self.hint = self.hint.or(Some(Hint::MrzUnreadable));
        }
        self
    }

    /// A passport page wholly in view whose machine-readable lines were not found.
    pub fn mrz_missing(&self) -> bool {
        self.mrz.is_some_and(|zone| !zone.present)
    }
}
