//! The per-frame verdict: one RGB frame in, one [`FrameReport`] out.
//!
//! Pure and deterministic: no threads, no I/O, no UI. [`Analyzer`] owns the scratch buffers so the
//! 30 fps loop allocates next to nothing per frame once warmed up.
//!
//! Steps: a box-downscaled working copy and its colour edges ([`work`]); straight-line evidence
//! ([`lines`]); the document outline from pairs of line pairs, refined on the full frame
//! ([`locate`]); its pose ([`pose`]); then each check: corners and distance from the outline,
//! tilt from the pose, focus from the outline's edge spread ([`focus`]), glare and exposure from the
//! pixels inside ([`light`]).

pub mod corners;
pub mod focus;
pub mod geometry;
pub mod light;
pub mod lines;
pub mod locate;
pub mod mrz;
pub mod occlusion;
pub mod pose;
pub mod print_focus;
pub mod report;
pub mod spec;
mod stack;
pub mod washed;
mod wide;
pub mod work;

pub use geometry::{Point, Quad};
pub use report::{Check, CheckId, DocumentFound, FrameReport, Measures, MrzFinding, Region};
pub use spec::{DocKind, KindChoice, Spec};

use image::RgbImage;

use crate::hints::Hint;

/// A corner whose two sides both show their edge along less than this fraction of the stretch next
/// to it is covered (a finger or thumb over it); one hidden side alone is a finger on that side,
/// unless the corner's arc is hidden too (below).
const COVERED_CORNER_VISIBILITY: f32 = 0.5;
/// A fingertip resting on a card's corner from one side hides that side's first millimetres and
/// part of the arc: covered when one side is hidden and its hidden share plus the arc's hidden
/// share reach this (a fully hidden side and one arc sample in seven; a side 70% hidden, as low
/// contrast on a cluttered desk can make it, needs more than a third of the arc hidden).
const CORNER_HIDDEN_EVIDENCE: f32 = 1.1;
/// ...and at least this share of the inside next to it does not look like the document's margin.
const COVERED_UNLIKE_PAPER: f32 = 0.3;
/// On any document, also covered: one side hidden, the arc next to it mostly hidden (under this
/// share shows) and nearly all of the inside (at least this share) unlike the margin. A finger's
/// own outline (its nail, the rim of its tip) can line up with the other side and show a step
/// there; a passport page at its binding or inside its cover's rim keeps paper inside.
const COVERED_ARC_VISIBILITY: f32 = 0.3;
const COVERED_UNLIKE_PAPER_ALL: f32 = 0.8;
/// The corner test compares colours this far either side of the outline.
const CORNER_PROBE_MM: f32 = 0.5;
const CORNER_PROBE_MIN_PX: f32 = 3.0;
const CORNER_PROBE_MAX_PX: f32 = 12.0;
/// The outline's edge-spread band: at least this many pixels, and this many mm on the document.
const FOCUS_BAND_MIN_PX: f32 = 8.0;
const FOCUS_BAND_MM: f32 = 0.9;
const FOCUS_BAND_MAX_PX: f32 = 40.0;
/// Frames smaller than this cannot hold a readable document.
const MIN_FRAME_SIDE: u32 = 32;
/// When no document is found on the working copy, or only a doubtful outline, look again on one
/// this many times coarser: in dark and noisy frames sensor noise breaks the document's faint edges
/// into dots that only line up once averaged further.
const COARSE_FACTOR: usize = 2;
/// In a frame too dark for the scene band (`Spec::scene_luma_min`), a last look on the coarse
/// copy with its levels stretched and smoothed this many more times (1-2-1 passes: a Gaussian of
/// 2 working pixels): a card a few grey levels off a pale desk under sensor noise of ten shows its
/// sides only once that many pixels are averaged across them. It runs even after a sure outline:
/// a card as pale as its desk in a dim room steps a level or two at its sides, under the edge
/// floor, and the surest outline at the frame's own levels is then its photo. Its outline must be
/// sure (SECOND_LOOK_BELOW) and win by SECOND_LOOK_MARGIN like the coarse look's, or enclose the
/// outline found before (`brightened_wins`). Empty dark frames (synthetic backgrounds at mean luma
/// 10-40): a doubtful outline accepted there would take 9 more of 168 for documents (34 are
/// already). f0090, whose card the last look found at 0.41 with two sides run off the frame, is
/// found whole at 0.52 since faint edges count where they continue strong ones
/// (`work::DARK_WEAK_EDGE_RATIO`). With 4 passes f0028's outline is less precise (IoU 0.986
/// against 0.991); 8 and 12 give the same.
const BRIGHTENED_SMOOTHING_PASSES: usize = 8;
/// An outline from the brightened look that encloses the one found before at this many times its
/// area replaces it when it ranks as high, without the margin (see `brightened_wins`).
const ENCLOSING_AREA_RATIO: f32 = 2.0;
/// Outlines whose corners all lie within this share of the diagonal of each other are one.
const SAME_OUTLINE_FRAC: f32 = 0.03;
/// A fine outline less sure than this gets the second look...
const SECOND_LOOK_BELOW: f32 = 0.5;
/// ...and the coarse outline replaces it when surer by this much: the coarse copy's edges are
/// cleaner, so its outlines score higher for the same document, and it must win clearly (a pale
/// card on a pale desk scores 0.54 fine and 0.71 coarse on its photo's edge).
const SECOND_LOOK_MARGIN: f32 = 0.1;

/// Runs the analysis, reusing its buffers from frame to frame.
#[derive(Debug, Default)]
pub struct Analyzer {
    spec: Spec,
    work: work::WorkImage,
    coarse: work::WorkImage,
    brightened: work::WorkImage,
    locator: locate::Locator,
    focus: focus::FocusProbe,
    print: print_focus::PrintProbe,
    light: light::LightProbe,
    mrz: mrz::MrzProbe,
    washed: washed::WashedOutFinder,
}

impl Analyzer {
    pub fn new(spec: Spec) -> Self {
        Self {
            spec,
            ..Self::default()
        }
    }

    pub fn spec(&self) -> &Spec {
        &self.spec
    }

    /// Judges one frame.
    pub fn analyze(&mut self, frame: &RgbImage) -> FrameReport {
        let (fw, fh) = (frame.width(), frame.height());
        if fw.min(fh) < MIN_FRAME_SIDE {
            return no_document(fw, fh, None);
        }
        self.work.rebuild(frame, self.spec.work_long_side);
        let (spec, locator) = (&self.spec, &mut self.locator);
        let mut locate = |work: &work::WorkImage| {
            locator
                .locate(frame, work, spec.kind)
                .filter(|l| l.confidence >= spec.min_confidence)
        };
        let fine = locate(&self.work);
        let scene = scene_light(&self.work.luma, &self.spec);
        let dark = matches!(scene, Some((_, Hint::TooDark)));
        let sure = |l: &locate::Located| l.confidence >= SECOND_LOOK_BELOW;
        let sure_fine = fine.filter(sure);
        if let Some(loc) = sure_fine
            && !dark
        {
            return self
                .washed_out(frame, scene, Some(loc))
                .unwrap_or_else(|| self.judge(frame, &loc, Scale::Fine));
        }
        self.coarse.rebuild_coarser(&self.work, COARSE_FACTOR);
        let found = match sure_fine {
            Some(f) => Some((f, Scale::Fine)),
            None => match (fine, locate(&self.coarse)) {
                (Some(f), Some(c)) if c.confidence > f.confidence + SECOND_LOOK_MARGIN => {
                    Some((c, Scale::Coarse))
                }
                (Some(f), _) => Some((f, Scale::Fine)),
                (None, Some(c)) => Some((c, Scale::Coarse)),
                (None, None) => None,
            },
        };
        let found = if dark {
            // The last look, in a dark frame, even after a sure outline: the coarse copy
            // brightened and smoothed further. A card as pale as its desk shows no edge at the
            // frame's own levels, and the surest outline there is a box printed on it.
            self.brightened
                .rebuild_brightened(&self.coarse, BRIGHTENED_SMOOTHING_PASSES);
            // Only a sure outline: stretched noise over textured backgrounds (wood, slats)
            // makes doubtful ones in empty dark frames.
            let brightened = locate(&self.brightened).filter(sure).map(|mut b| {
                // The smoothing that shows the sides blurs the print away: its detail is read
                // on the coarse copy, whose print is as sharp as the look that found it.
                b.detail = locate::detail_inside(&self.coarse, &b.quad);
                b
            });
            match (found, brightened) {
                (Some((f, s)), Some(b)) if !brightened_wins(&b, &f) => Some((f, s)),
                // It is judged on the coarse copy itself, whose levels are the frame's own.
                (_, Some(b)) => Some((b, Scale::Coarse)),
                (f, None) => f,
            }
        } else {
            found
        };
        // A washed-out frame: where no outline holds the print, the document's edges clipped away
        // with its background, and its outline is estimated from its print.
        if let Some(report) = self.washed_out(frame, scene, found.map(|(loc, _)| loc)) {
            return report;
        }
        match found {
            Some((loc, scale)) => self.judge(frame, &loc, scale),
            None => no_document(fw, fh, scene),
        }
    }

    /// In a washed-out frame (`scene` too bright), the report on the document outlined from its
    /// print, unless `found` holds the print: the document's edges clipped away with its
    /// background, and an outline found by edges that misses the print is something else's.
    fn washed_out(
        &mut self,
        frame: &RgbImage,
        scene: Option<(f32, Hint)>,
        found: Option<locate::Located>,
    ) -> Option<FrameReport> {
        if !matches!(scene, Some((_, Hint::TooBright))) {
            return None;
        }
        let (estimate, kind) = self.washed.find(&self.work, self.spec.kind)?;
        let holds_print = |loc: &locate::Located| {
            self.washed.print_inside(&self.work.quad_to_work(&loc.quad)) >= washed::MIN_PRINT_INSIDE
        };
        if found.is_some_and(|loc| holds_print(&loc)) {
            return None;
        }
        let loc = self.estimated(frame, &estimate, kind)?;
        let mut report = self.judge(frame, &loc, Scale::Fine);
        // The light is what to fix first: the outline is a guess until it is, and no shot is
        // taken on a guess (the exposure check fails here anyway). Its corners are guessed, not
        // seen: they do not pass (a finger over one would go unnoticed).
        if let Some(corners) = report.checks.get_mut(CheckId::Corners.index()) {
            *corners = Check::failed(CheckId::Corners, corners.value, Hint::TooBright);
        }
        report.hint = Some(Hint::TooBright);
        report.ready = false;
        Some(report)
    }

    /// A document of `kind` outlined by [`washed::WashedOutFinder`] (`estimate` in working
    /// coordinates).
    fn estimated(
        &self,
        frame: &RgbImage,
        estimate: &Quad,
        kind: DocKind,
    ) -> Option<locate::Located> {
        let quad = self.work.quad_to_full(estimate);
        let pose = pose::estimate(&quad, frame.width(), frame.height())?;
        Some(locate::Located {
            quad,
            edge_quad: quad,
            kind,
            confidence: washed::ESTIMATE_CONFIDENCE,
            score: washed::ESTIMATE_CONFIDENCE,
            pose,
            border_sides: [false; 4],
            detail: locate::detail_inside(&self.work, &quad),
            paper_beyond_sides: 0,
        })
    }

    fn judge(&mut self, frame: &RgbImage, loc: &locate::Located, scale: Scale) -> FrameReport {
        let spec = &self.spec;
        let work = match scale {
            Scale::Fine => &self.work,
            Scale::Coarse => &self.coarse,
        };
        let (fw, fh) = (frame.width() as f32, frame.height() as f32);
        let quad = loc.quad;
        let mut m = Measures::default();

        // corners
        let ppmm = pose::pixels_per_mm(&quad, loc.kind.size_mm()).unwrap_or(0.0);
        let probe = (CORNER_PROBE_MM * ppmm).clamp(CORNER_PROBE_MIN_PX, CORNER_PROBE_MAX_PX);
        let visibility = corners::corner_visibility(
            frame,
            &quad,
            loc.kind.size_mm(),
            loc.kind.corner_radius_mm(),
            probe,
        );
        let margin = quad.corner_margin(fw, fh);
        let mut covered = 0u8;
        for (i, (v, p)) in visibility.iter().zip(quad.0.iter()).enumerate() {
            let inside = p.x >= 0.0 && p.y >= 0.0 && p.x < fw && p.y < fh;
            let (most, least) = (v.sides[0].max(v.sides[1]), v.sides[0].min(v.sides[1]));
            // The arc counts only on ID-1 cards, whose corners are cut to a standard radius. A
            // passport page sits in its booklet: at the binding and where the cover shows around
            // the page there is no rounded corner against the background to see.
            // Hidden share of the more hidden side plus hidden share of the arc: the less of the
            // side shows, the less of the arc needs to be hidden to call the corner covered.
            let arc_hidden =
                loc.kind == DocKind::Id1 && (1.0 - least) + (1.0 - v.arc) >= CORNER_HIDDEN_EVIDENCE;
            // A finger's own outline can show a step along one side (COVERED_ARC_VISIBILITY).
            let skin_over_arc = least < COVERED_CORNER_VISIBILITY
                && v.arc < COVERED_ARC_VISIBILITY
                && v.unlike_paper >= COVERED_UNLIKE_PAPER_ALL;
            // The edge can also vanish where a pale document meets a pale background: covered
            // only where the inside does not look like the document either.
            let hidden = ((most < COVERED_CORNER_VISIBILITY
                || (least < COVERED_CORNER_VISIBILITY && arc_hidden))
                && v.unlike_paper >= COVERED_UNLIKE_PAPER)
                || skin_over_arc;
            if inside && hidden {
                covered |= 1 << i;
            }
        }
        m.corner_margin = Some(margin);
        m.covered_corners = covered;
        let corners = if margin < spec.corner_margin_frac {
            // Wider or taller than the frame, no move sideways brings its corners in.
            let hint = if runs_off_opposite_edges(loc, fw, fh) {
                Hint::MoveBack
            } else {
                Hint::CornersOutside
            };
            Check::failed(CheckId::Corners, Some(margin), hint)
        } else if covered != 0 {
            Check::failed(CheckId::Corners, Some(margin), Hint::CornerCovered)
        } else if loc.paper_beyond_sides > 0 {
            // The outline is of something printed on the document, which runs on past it: its
            // real corners are elsewhere, most often out of the frame.
            Check::failed(CheckId::Corners, Some(margin), Hint::CornersOutside)
        } else {
            Check::passed(CheckId::Corners, Some(margin))
        };

        // distance
        let fill = quad.area_inside(fw, fh) / (fw * fh);
        let projected = quad.area() / (fw * fh);
        m.fill = Some(fill);
        m.ppmm = Some(ppmm);
        // A document running off the frame shows neither its whole size nor, by its aspect, its
        // kind: its resolution is judged at the smaller document's size (the higher reading), so
        // it is not told to come closer on a guess; it has to come fully into view first anyway.
        let cut_off = loc.border_sides.iter().any(|&b| b);
        let ppmm_at_least = if cut_off && spec.kind == KindChoice::Auto {
            pose::pixels_per_mm(&quad, DocKind::Id1.size_mm()).map_or(ppmm, |p| p.max(ppmm))
        } else {
            ppmm
        };
        let distance = if ppmm_at_least < spec.ppmm_min
            && !spec.resolution_suffices(loc.kind, frame.width(), frame.height())
        {
            // Closer would cut off a corner before the print got sharp enough to read.
            Check::failed(CheckId::Distance, Some(fill), Hint::ResolutionTooLow)
        } else if fill < spec.fill_min || ppmm_at_least < spec.ppmm_min {
            Check::failed(CheckId::Distance, Some(fill), Hint::MoveCloser)
        } else if fill > spec.fill_max || projected > spec.fill_max {
            Check::failed(CheckId::Distance, Some(fill), Hint::MoveBack)
        } else {
            Check::passed(CheckId::Distance, Some(fill))
        };

        // tilt
        // Read from the sides in view: a frame border is no side of the document's.
        let pose = if cut_off {
            let seen = pose::seen_outline(&quad, loc.border_sides);
            pose::estimate(&seen, frame.width(), frame.height()).unwrap_or(loc.pose)
        } else {
            loc.pose
        };
        let tilt_deg = pose.tilt_deg as f32;
        // An outline running off the frame, or of something printed on the document (paper runs
        // on past it), has its sides along the document's, but which of them are the document's
        // long sides is not known: its roll is the document's up to quarter turns.
        let roll_deg = if cut_off || loc.paper_beyond_sides > 0 {
            let roll = pose.roll_deg as f32;
            roll - 90.0 * (roll / 90.0).round()
        } else {
            pose.roll_deg as f32
        };
        m.tilt_deg = Some(tilt_deg);
        m.roll_deg = Some(roll_deg);
        let tilt = if tilt_deg > spec.tilt_deg_max {
            Check::failed(CheckId::Tilt, Some(tilt_deg), Hint::FaceCamera)
        } else if roll_deg.abs() > spec.roll_deg_max {
            Check::failed(CheckId::Tilt, Some(tilt_deg), Hint::Straighten)
        } else {
            Check::passed(CheckId::Tilt, Some(tilt_deg))
        };

        // focus
        let band = (FOCUS_BAND_MM * ppmm).clamp(FOCUS_BAND_MIN_PX, FOCUS_BAND_MAX_PX);
        // A passport page's edge with its booklet cover's band right outside reads as two steps;
        // the cover's outer edge, in the same plane, then gives the blur.
        let blur = match self.focus.measure(frame, &quad, loc.border_sides, band) {
            None if loc.edge_quad != quad => {
                self.focus
                    .measure(frame, &loc.edge_quad, loc.border_sides, band)
            }
            read => read,
        };
        let blur_mm = blur.map(|b| b.sigma_px / ppmm.max(1e-3));
        m.blur_px = blur.map(|b| b.sigma_px);
        m.blur_mm = blur_mm;
        // A sharp outline around nothing printed is a phone's screen or a book's cover.
        if loc.detail < spec.min_detail && blur_mm.is_some_and(|b| b <= spec.blur_mm_max) {
            return no_document(frame.width(), frame.height(), None);
        }
        let focus = match blur_mm {
            Some(b) if b <= spec.blur_mm_max => Check::passed(CheckId::Focus, Some(b)),
            Some(b) => Check::failed(CheckId::Focus, Some(b), Hint::Blurry),
            None => Check::failed(CheckId::Focus, None, Hint::HoldStill),
        };

        // glare and exposure
        let work_quad = work.quad_to_work(&quad);
        let light = self
            .light
            .measure(work, &work_quad, spec.glare_level)
            .unwrap_or_default();
        m.glare_frac = Some(light.glare_frac);
        m.luma_mean = Some(light.luma_mean);
        m.evenness = Some(light.evenness);
        m.clipped_frac = Some(light.clipped_frac);
        let glare = if light.glare_frac > spec.glare_frac_max {
            Check::failed(CheckId::Glare, Some(light.glare_frac), Hint::Glare)
        } else {
            Check::passed(CheckId::Glare, Some(light.glare_frac))
        };
        let exposure = if light.luma_mean < spec.luma_min {
            Check::failed(CheckId::Exposure, Some(light.luma_mean), Hint::TooDark)
        } else if light.luma_mean > spec.luma_max
            || light.overexposed
            || light.clipped_frac > spec.clipped_frac_max
        {
            Check::failed(CheckId::Exposure, Some(light.luma_mean), Hint::TooBright)
        } else if light.evenness < spec.evenness_min {
            Check::failed(CheckId::Exposure, Some(light.luma_mean), Hint::UnevenLight)
        } else {
            Check::passed(CheckId::Exposure, Some(light.luma_mean))
        };
        // Sharpness that cannot be read in a frame too dark or too bright to read it in is the
        // light's fault, and the exposure check already fails for it (the frame cannot be ready):
        // focus fails only on blur it measured, so a sharp card in a dim room is not called
        // blurry. Once the light is fixed, the blur is read.
        let light_at_fault = matches!(exposure.hint, Some(Hint::TooDark | Hint::TooBright));
        let focus = if focus.value.is_none() && light_at_fault {
            Check::passed(CheckId::Focus, None)
        } else {
            focus
        };
        // Texture right beside a pair of sides (blinds along them, grass) widens their reading,
        // and one blurry pair beside a sharp one reads as motion. Print inside that reads sharp,
        // and alike both ways as it would not under motion, overrules it (`print_focus`). Not in
        // a frame too dark, where sensor noise makes steep gradients of its own.
        let sharper_pair_sharp =
            blur.is_some_and(|b| b.sigma_min_px / ppmm.max(1e-3) <= spec.blur_mm_max);
        let focus = if !focus.pass && sharper_pair_sharp && exposure.hint != Some(Hint::TooDark) {
            self.print
                .blur(frame, &quad)
                .filter(|p| p.anisotropy() <= spec.print_anisotropy_max)
                .map(|p| p.sigma_px() / ppmm.max(1e-3))
                .filter(|&mm| mm <= spec.print_blur_mm_max)
                .map_or(focus, |mm| {
                    m.print_blur_mm = Some(mm);
                    Check::passed(CheckId::Focus, Some(mm))
                })
        } else {
            focus
        };

        // A passport page wholly in view: is its machine-readable zone there? Reported beside the
        // checks; the page is not ready without it (`FrameReport::with_mrz`).
        let whole_page = loc.kind == DocKind::Td3 && !loc.border_sides.contains(&true);
        let mrz = whole_page
            .then(|| self.mrz.read(frame, &quad, ppmm))
            .flatten()
            .map(|present| MrzFinding {
                present,
                blur_mm,
                sharp: present && blur_mm.is_some() && focus.pass,
            });
        let document = DocumentFound {
            quad,
            kind: loc.kind,
            confidence: loc.confidence,
        };
        let checks = [
            Check::passed(CheckId::Document, Some(loc.confidence)),
            corners,
            distance,
            tilt,
            focus,
            glare,
            exposure,
        ];
        let mut report =
            FrameReport::from_checks(frame.width(), frame.height(), Some(document), checks, m)
                .with_mrz(mrz);
        report.glare_regions = light.glare_regions;
        report
    }
}

/// Which working copy an outline is judged on: where it was found, or for the dark frames' last
/// look, the coarse copy it brightened (same geometry, the frame's own levels).
#[derive(Debug, Clone, Copy)]
enum Scale {
    Fine,
    Coarse,
}

/// The report of a frame with no document found. When the frame's light is out of the scene band
/// (`bad_light`: its mean luma and the hint), exposure fails with it and the hint to fix the light
/// comes first: in such a frame the document may well be there, unseen.
fn no_document(width: u32, height: u32, bad_light: Option<(f32, Hint)>) -> FrameReport {
    let mut checks = CheckId::ALL.map(Check::unmeasured);
    let document_hint = bad_light.map_or(Hint::ShowDocument, |(_, hint)| hint);
    checks[CheckId::Document.index()] = Check::failed(CheckId::Document, Some(0.0), document_hint);
    if let Some((luma, hint)) = bad_light {
        checks[CheckId::Exposure.index()] = Check::failed(CheckId::Exposure, Some(luma), hint);
    }
    FrameReport::from_checks(width, height, None, checks, Measures::default())
}

/// Whether the document runs off two opposite edges of the frame (its outline closed by both, or
/// its corners beyond both): it is wider or taller than the frame. Only when the part in view is
/// as broad across as a document that long must be: a strip of the background between two frame
/// edges, taken for a far card, is narrower, and moving back would lose the card.
fn runs_off_opposite_edges(loc: &locate::Located, fw: f32, fh: f32) -> bool {
    let [top, right, bottom, left] = loc.border_sides;
    let xs = loc.quad.0.map(|p| p.x);
    let ys = loc.quad.0.map(|p| p.y);
    let beyond = |v: [f32; 4], len: f32| v.iter().any(|&c| c < 0.0) && v.iter().any(|&c| c >= len);
    // The sides run top, right, bottom, left: across a span from top to bottom lie the top and
    // bottom sides, along it the right and left ones.
    let [s_top, s_right, s_bottom, s_left] = loc.quad.sides();
    let broad_enough = |along: f32, across: f32| along <= DocKind::Id1.aspect() * across;
    let tall = ((top && bottom) || beyond(ys, fh))
        && broad_enough(0.5 * (s_right + s_left), s_top.max(s_bottom));
    let wide = ((left && right) || beyond(xs, fw))
        && broad_enough(0.5 * (s_top + s_bottom), s_right.max(s_left));
    tall || wide
}

/// Whether the brightened look's outline `b` replaces the outline `f` found before it: when surer
/// by SECOND_LOOK_MARGIN, or around it at ENCLOSING_AREA_RATIO times its size and ranking as high
/// by the locator's size-weighted score (the brightened copy shows the card's sides; `f` was a box
/// printed on the card, whose crisp edges make it surer than the card's faint ones).
fn brightened_wins(b: &locate::Located, f: &locate::Located) -> bool {
    // A sure outline found again keeps the finer look's corners, the more precise; a doubtful one
    // gives way, as it did before this look also ran after sure ones.
    let diagonal = f.quad.0[0].dist(f.quad.0[2]);
    let same = b
        .quad
        .0
        .iter()
        .zip(&f.quad.0)
        .all(|(p, q)| p.dist(*q) < SAME_OUTLINE_FRAC * diagonal);
    if same && f.confidence >= SECOND_LOOK_BELOW {
        return false;
    }
    let encloses = f.quad.0.iter().all(|&p| b.quad.contains(p))
        && b.quad.area() >= ENCLOSING_AREA_RATIO * f.quad.area();
    b.confidence > f.confidence + SECOND_LOOK_MARGIN || (encloses && b.score >= f.score)
}

/// The frame's mean luma and the hint when it lies outside the spec's scene band.
fn scene_light(luma: &[u8], spec: &Spec) -> Option<(f32, Hint)> {
    let total: u64 = luma.iter().map(|&v| u64::from(v)).sum();
    let mean = total as f32 / luma.len().max(1) as f32;
    if mean < spec.scene_luma_min {
        Some((mean, Hint::TooDark))
    } else if mean > spec.scene_luma_max {
        Some((mean, Hint::TooBright))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An outline of `corners` with its confidence, and its ranking score: the confidence weighted
    /// by size as the locator weighs it (capped at 0.3 of a 1280x720 frame).
    fn located(corners: [(f32, f32); 4], confidence: f32) -> locate::Located {
        let quad = Quad(corners.map(|(x, y)| Point::new(x, y)));
        let size = (quad.area() / (0.3 * 1280.0 * 720.0)).min(1.0).powf(0.25);
        locate::Located {
            quad,
            edge_quad: quad,
            kind: DocKind::Id1,
            confidence,
            score: confidence * size,
            pose: pose::Pose {
                focal_px: 1000.0,
                aspect: 1.586,
                tilt_deg: 0.0,
                roll_deg: 0.0,
            },
            border_sides: [false; 4],
            detail: 0.1,
            paper_beyond_sides: 0,
        }
    }

    /// The brightened look's card replaces the photo printed on it when it ranks as high (seed 7's
    /// audit scene 351: the photo at 0.76 sure, the card at 0.70), but an outline elsewhere, or one
    /// only a little larger, must be surer by the margin, and the same outline does not replace a
    /// sure one.
    #[test]
    fn the_brightened_outline_around_the_one_found_first_wins_when_it_ranks_as_high() {
        let photo = located(
            [
                (260.0, 207.0),
                (490.0, 219.0),
                (486.0, 413.0),
                (248.0, 459.0),
            ],
            0.76,
        );
        let card = [
            (227.0, 77.0),
            (1075.0, 122.0),
            (1050.0, 648.0),
            (196.0, 633.0),
        ];
        assert!(brightened_wins(&located(card, 0.70), &photo));
        assert!(!brightened_wins(&located(card, 0.45), &photo));
        let beside = [
            (600.0, 230.0),
            (1100.0, 235.0),
            (1095.0, 700.0),
            (600.0, 700.0),
        ];
        assert!(!brightened_wins(&located(beside, 0.80), &photo));
        assert!(brightened_wins(&located(beside, 0.87), &photo));
        let a_little_larger = [
            (250.0, 197.0),
            (500.0, 209.0),
            (496.0, 423.0),
            (238.0, 469.0),
        ];
        assert!(!brightened_wins(&located(a_little_larger, 0.80), &photo));
        // The same outline found again, a few pixels off: the sure one found first stays, a
        // doubtful one gives way.
        let again = card.map(|(x, y)| (x + 4.0, y - 3.0));
        assert!(!brightened_wins(&located(again, 0.95), &located(card, 0.6)));
        assert!(brightened_wins(&located(again, 0.95), &located(card, 0.45)));
    }

    /// A card taller than a 1280x720 frame, outlined from its top edge to its bottom, runs off
    /// both; a strip of slats between the same edges, narrower than any document that tall, does
    /// not (a far card over slats outlined on it would be told to move back and lost).
    #[test]
    fn only_an_outline_as_broad_as_a_document_that_tall_runs_off_opposite_edges() {
        let (w, h) = (1280.0, 720.0);
        let top_and_bottom = |mut l: locate::Located| {
            l.border_sides = [true, false, true, false];
            l
        };
        let card = [(60.0, 0.5), (1220.0, 0.5), (1220.0, 719.5), (60.0, 719.5)];
        assert!(runs_off_opposite_edges(
            &top_and_bottom(located(card, 0.8)),
            w,
            h
        ));
        let strip = [(500.0, 0.5), (800.0, 0.5), (800.0, 719.5), (500.0, 719.5)];
        assert!(!runs_off_opposite_edges(
            &top_and_bottom(located(strip, 0.8)),
            w,
            h
        ));
        // Corners beyond both edges count as a border would; one edge alone does not.
        let beyond = [
            (40.0, -60.0),
            (1240.0, -60.0),
            (1240.0, 780.0),
            (40.0, 780.0),
        ];
        assert!(runs_off_opposite_edges(&located(beyond, 0.8), w, h));
        let off_the_top = [
            (300.0, -60.0),
            (1000.0, -60.0),
            (1000.0, 400.0),
            (300.0, 400.0),
        ];
        assert!(!runs_off_opposite_edges(&located(off_the_top, 0.8), w, h));
    }
}
