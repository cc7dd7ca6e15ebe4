//! The guidance state machine on scripted report sequences: every transition.

use idshot::analysis::{
    Check, CheckId, DocKind, DocumentFound, FrameReport, Measures, MrzFinding, Point, Quad,
};
use idshot::guidance::{Blocker, Guidance, Guide, GuideSpec, Phase, Trigger};
use idshot::hints::Hint;

const FPS: f64 = 30.0;
const W: u32 = 1280;
const H: u32 = 720;

/// A card outline shifted right by `dx` pixels.
fn quad(dx: f32) -> Quad {
    Quad([
        Point::new(300.0 + dx, 200.0),
        Point::new(980.0 + dx, 200.0),
        Point::new(980.0 + dx, 630.0),
        Point::new(300.0 + dx, 630.0),
    ])
}

/// A report with a document at `dx` whose `failing` checks fail with `hint`.
fn report(dx: f32, failing: &[(CheckId, Hint)], blur_mm: f32) -> FrameReport {
    let checks = CheckId::ALL.map(|id| match failing.iter().find(|(f, _)| *f == id) {
        Some((_, hint)) => Check::failed(id, Some(1.0), *hint),
        None => Check::passed(id, Some(0.0)),
    });
    let doc = DocumentFound {
        quad: quad(dx),
        kind: DocKind::Id1,
        confidence: 0.9,
    };
    let measures = Measures {
        blur_mm: Some(blur_mm),
        ..Measures::default()
    };
    FrameReport::from_checks(W, H, Some(doc), checks, measures)
}

fn good(blur_mm: f32) -> FrameReport {
    report(0.0, &[], blur_mm)
}

fn empty() -> FrameReport {
    FrameReport::from_checks(
        W,
        H,
        None,
        CheckId::ALL.map(Check::unmeasured),
        Measures::default(),
    )
}

/// Feeds reports at 30 fps starting at frame `start`; returns every guidance.
fn run(guide: &mut Guide, start: u64, reports: &[FrameReport]) -> Vec<Guidance> {
    reports
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let seq = start + i as u64;
            guide.update(r, seq as f64 / FPS, seq)
        })
        .collect()
}

fn captures(gs: &[Guidance]) -> Vec<(usize, u64, Trigger)> {
    gs.iter()
        .enumerate()
        .filter_map(|(i, g)| g.capture.as_ref().map(|c| (i, c.seq, c.trigger)))
        .collect()
}

#[test]
fn no_document_searches_and_asks_for_it() {
    let mut guide = Guide::default();
    let gs = run(&mut guide, 0, &vec![empty(); 60]);
    assert!(gs.iter().all(|g| g.phase == Phase::Searching));
    assert!(gs.iter().all(|g| g.hint == Some(Hint::ShowDocument)));
    assert!(captures(&gs).is_empty());
    assert!(!gs.iter().any(|g| g.steady));
}

#[test]
fn steady_passing_card_is_captured_once_after_the_hold() {
    let mut guide = Guide::default();
    let gs = run(&mut guide, 0, &vec![good(0.05); 120]);
    let caps = captures(&gs);
    assert_eq!(caps.len(), 1, "{caps:?}");
    let (at, _, trigger) = caps[0];
    assert_eq!(trigger, Trigger::Auto);
    // The first frame has no motion estimate yet; the hold starts on the second and lasts 0.5 s.
    assert_eq!(at, 16);
    assert!(matches!(gs[8].phase, Phase::Holding { progress } if progress > 0.2 && progress < 0.8));
    assert_eq!(gs[at].phase, Phase::Done);
    assert!(
        gs[at + 1..]
            .iter()
            .all(|g| g.phase == Phase::Done && g.hint.is_none())
    );
}

#[test]
fn capture_takes_the_sharpest_frame_of_the_window() {
    let mut guide = Guide::default();
    let mut reports: Vec<FrameReport> = (0..40).map(|i| good(0.10 + 0.001 * i as f32)).collect();
    reports[7] = good(0.02);
    let gs = run(&mut guide, 100, &reports);
    let decision = gs
        .iter()
        .find_map(|g| g.capture.clone())
        .expect("a capture");
    assert_eq!(decision.seq, 107);
    assert!(decision.considered.contains(&107));
    assert_eq!(decision.considered.len(), 16);
    assert!(decision.failing.is_empty());
    // The pipeline keeps the best frame: the guide names it as soon as it is seen.
    assert_eq!(gs[7].best_seq, Some(107));
}

#[test]
fn moving_card_gets_hold_still_and_no_capture_until_it_stops() {
    let mut guide = Guide::default();
    // 20 px a frame at 720p is 0.83 short sides a second: far from steady.
    let moving: Vec<FrameReport> = (0..30)
        .map(|i| report(20.0 * i as f32, &[], 0.05))
        .collect();
    let gs = run(&mut guide, 0, &moving);
    assert!(captures(&gs).is_empty());
    assert!(
        gs[5..]
            .iter()
            .all(|g| !g.steady && g.hint == Some(Hint::HoldStill))
    );
    assert!(gs[5..].iter().all(|g| g.phase == Phase::Adjusting));
    let still = vec![report(600.0, &[], 0.05); 40];
    let gs = run(&mut guide, 30, &still);
    assert_eq!(captures(&gs).len(), 1);
    assert!(gs[3].steady);
}

#[test]
fn hand_tremor_counts_as_steady() {
    let mut guide = Guide::default();
    // One pixel back and forth every frame.
    let tremor: Vec<FrameReport> = (0..30).map(|i| report((i % 2) as f32, &[], 0.05)).collect();
    let gs = run(&mut guide, 0, &tremor);
    assert!(
        gs[2..].iter().all(|g| g.steady),
        "{:?}",
        gs.iter().map(|g| g.motion).collect::<Vec<_>>()
    );
    assert_eq!(captures(&gs).len(), 1);
}

#[test]
fn one_frame_blip_does_not_restart_the_hold_but_a_longer_failure_does() {
    let glare = [(CheckId::Glare, Hint::Glare)];
    let mut blip = vec![good(0.05); 40];
    blip[8] = report(0.0, &glare, 0.05);
    let mut guide = Guide::default();
    let caps = captures(&run(&mut guide, 0, &blip));
    assert_eq!(caps.len(), 1);
    assert_eq!(caps[0].0, 16, "the blip frame does not delay the shot");
    assert_ne!(caps[0].1, 8, "the blip frame is never the shot");

    let mut longer = vec![good(0.05); 60];
    for r in &mut longer[8..13] {
        *r = report(0.0, &glare, 0.05);
    }
    let mut guide = Guide::default();
    let caps = captures(&run(&mut guide, 0, &longer));
    assert_eq!(caps.len(), 1);
    assert_eq!(caps[0].0, 13 + 15, "the hold restarts after the failure");
}

#[test]
fn no_second_auto_capture_until_the_card_leaves_and_the_cooldown_ends() {
    let mut guide = Guide::default();
    let gs = run(&mut guide, 0, &vec![good(0.05); 300]);
    assert_eq!(captures(&gs).len(), 1, "one presentation, one shot");

    // The card leaves for a second, comes back: a new attempt and a new shot.
    let gs = run(&mut guide, 300, &vec![empty(); 30]);
    assert!(captures(&gs).is_empty());
    assert_eq!(gs.last().map(|g| g.phase), Some(Phase::Searching));
    let gs = run(&mut guide, 330, &vec![good(0.05); 40]);
    assert_eq!(captures(&gs).len(), 1);
}

#[test]
fn leaving_briefly_during_the_cooldown_does_not_rearm() {
    let mut guide = Guide::default();
    let gs = run(&mut guide, 0, &vec![good(0.05); 20]);
    assert_eq!(captures(&gs).len(), 1);
    // Away for only 0.2 s, then back: still the same presentation.
    run(&mut guide, 20, &vec![empty(); 6]);
    let gs = run(&mut guide, 26, &vec![good(0.05); 200]);
    assert!(captures(&gs).is_empty());
}

#[test]
fn manual_capture_records_the_failing_checks() {
    let mut guide = Guide::default();
    let glare = [
        (CheckId::Glare, Hint::Glare),
        (CheckId::Focus, Hint::Blurry),
    ];
    run(&mut guide, 0, &vec![report(0.0, &glare, 0.5); 10]);
    guide.request_capture();
    let g = guide.update(&report(0.0, &glare, 0.5), 10.0 / FPS, 10);
    let c = g.capture.expect("manual capture");
    assert_eq!(c.trigger, Trigger::Manual);
    assert_eq!(c.seq, 10);
    assert_eq!(
        c.failing,
        vec![
            Blocker::Check(CheckId::Focus),
            Blocker::Check(CheckId::Glare)
        ]
    );
    // Only once.
    let g = guide.update(&report(0.0, &glare, 0.5), 11.0 / FPS, 11);
    assert!(g.capture.is_none());
}

#[test]
fn hint_stays_a_second_when_two_faults_alternate() {
    let mut guide = Guide::default();
    let a = report(
        0.0,
        &[
            (CheckId::Focus, Hint::Blurry),
            (CheckId::Glare, Hint::Glare),
        ],
        0.5,
    );
    let b = report(0.0, &[(CheckId::Glare, Hint::Glare)], 0.5);
    // Focus flickers every 5 frames; glare stays: the situation changes, the hint must not flicker.
    let reports: Vec<FrameReport> = (0..150)
        .map(|i| {
            if (i / 5) % 2 == 0 {
                a.clone()
            } else {
                b.clone()
            }
        })
        .collect();
    let gs = run(&mut guide, 0, &reports);
    let mut changes = Vec::new();
    for i in 1..gs.len() {
        if gs[i].hint != gs[i - 1].hint {
            changes.push(i);
        }
    }
    for pair in changes.windows(2) {
        assert!(
            pair[1] - pair[0] >= 30,
            "hint changed twice within a second: {changes:?}"
        );
    }
    assert!(
        gs.iter()
            .all(|g| matches!(g.hint, Some(Hint::Blurry) | Some(Hint::Glare)))
    );
}

#[test]
fn fixed_fault_switches_the_hint_without_waiting_a_second() {
    let mut guide = Guide::default();
    let far = report(0.0, &[(CheckId::Distance, Hint::MoveCloser)], 0.05);
    let tilted = report(0.0, &[(CheckId::Tilt, Hint::Straighten)], 0.05);
    let gs = run(&mut guide, 0, &vec![far; 10]);
    assert_eq!(gs.last().and_then(|g| g.hint), Some(Hint::MoveCloser));
    let gs = run(&mut guide, 10, &vec![tilted; 30]);
    // Distance is fixed, so only the confirmation delay (0.15 s) applies.
    let switched = gs
        .iter()
        .position(|g| g.hint == Some(Hint::Straighten))
        .expect("switches");
    assert!(switched <= 5, "switched after {switched} frames");
    assert!(
        gs[..switched]
            .iter()
            .all(|g| g.hint == Some(Hint::MoveCloser))
    );
}

#[test]
fn one_frame_of_a_new_fault_does_not_change_the_hint() {
    let mut guide = Guide::default();
    let far = report(0.0, &[(CheckId::Distance, Hint::MoveCloser)], 0.05);
    let mut reports = vec![far; 60];
    reports[40] = report(0.0, &[(CheckId::Glare, Hint::Glare)], 0.05);
    let gs = run(&mut guide, 0, &reports);
    assert!(gs.iter().all(|g| g.hint == Some(Hint::MoveCloser)));
}

/// The shown hint's fault is fixed while what is left keeps changing from frame to frame (blur,
/// then motion, then blur): the fixed hint still gives way within the confirmation time.
#[test]
fn a_fixed_hint_gives_way_even_while_the_next_fault_keeps_changing() {
    let mut guide = Guide::default();
    let far = report(0.0, &[(CheckId::Distance, Hint::MoveCloser)], 0.05);
    let gs = run(&mut guide, 0, &vec![far; 40]);
    assert!(gs.iter().all(|g| g.hint == Some(Hint::MoveCloser)));
    let blurry = report(0.0, &[(CheckId::Focus, Hint::Blurry)], 0.05);
    let tilted = report(0.0, &[(CheckId::Tilt, Hint::Straighten)], 0.05);
    let alternating: Vec<_> = (0..30)
        .map(|i| {
            if i % 2 == 0 {
                blurry.clone()
            } else {
                tilted.clone()
            }
        })
        .collect();
    let gs = run(&mut guide, 40, &alternating);
    let gone = gs
        .iter()
        .position(|g| g.hint != Some(Hint::MoveCloser))
        .expect("the fixed hint gives way");
    assert!(
        gone <= 6,
        "'Move closer' stayed {gone} frames after the card came close"
    );
}

#[test]
fn after_a_long_time_without_success_it_names_the_blocker_and_offers_manual() {
    let spec = GuideSpec::default();
    let mut guide = Guide::new(spec.clone());
    let glare = report(0.0, &[(CheckId::Glare, Hint::Glare)], 0.05);
    let n = (spec.stuck_secs * FPS) as usize + 5;
    let gs = run(&mut guide, 0, &vec![glare; n]);
    let before = (spec.stuck_secs * FPS) as usize - 5;
    assert!(
        gs[..before]
            .iter()
            .all(|g| !g.offer_manual && g.blocking.is_none())
    );
    let last = gs.last().expect("frames");
    assert!(last.offer_manual);
    assert_eq!(last.blocking, Some(Blocker::Check(CheckId::Glare)));
}

#[test]
fn same_reports_give_the_same_decisions() {
    let reports: Vec<FrameReport> = (0..90)
        .map(|i| {
            if i < 30 {
                report(10.0 * i as f32, &[], 0.05)
            } else {
                good(0.05 + (i % 7) as f32 * 0.01)
            }
        })
        .collect();
    let a = run(&mut Guide::default(), 0, &reports);
    let b = run(&mut Guide::default(), 0, &reports);
    assert_eq!(a, b);
}

/// The moment the last fault is fixed and the hold begins, the fixed hint is not shown beside the
/// hold: a person holding a good card still is not told to move a finger that is gone.
#[test]
fn a_fixed_hint_is_not_shown_while_holding() {
    let mut guide = Guide::default();
    let covered = report(0.0, &[(CheckId::Corners, Hint::CornerCovered)], 0.05);
    let gs = run(&mut guide, 0, &vec![covered; 30]);
    assert_eq!(gs.last().and_then(|g| g.hint), Some(Hint::CornerCovered));
    let gs = run(&mut guide, 30, &vec![good(0.05); 20]);
    let holding: Vec<_> = gs
        .iter()
        .filter(|g| matches!(g.phase, Phase::Holding { .. }))
        .collect();
    assert!(!holding.is_empty(), "never held");
    for g in holding {
        assert_eq!(g.hint, None, "{g:?}");
    }
}

/// A passport page whose every check passes but whose machine-readable lines do not show is never
/// taken: it is told to bring them into view, and once stuck, names them as what blocks the shot.
/// The same page with its lines found is taken.
#[test]
fn a_passport_page_without_its_machine_readable_lines_is_not_taken() {
    let spec = GuideSpec::default();
    let page = |present: bool| {
        good(0.05).with_mrz(Some(MrzFinding {
            present,
            blur_mm: Some(0.05),
            sharp: present,
        }))
    };
    let n = (spec.stuck_secs * FPS) as usize + 5;
    let mut guide = Guide::new(spec.clone());
    let gs = run(&mut guide, 0, &vec![page(false); n]);
    assert!(captures(&gs).is_empty());
    assert!(gs.iter().all(|g| g.hint == Some(Hint::MrzUnreadable)));
    assert_eq!(gs.last().and_then(|g| g.blocking), Some(Blocker::Mrz));
    let mut guide = Guide::new(spec);
    assert_eq!(
        captures(&run(&mut guide, 0, &vec![page(true); 60])).len(),
        1
    );
}

/// The guidance over a card seen for `seen` frames with `failing` checks, then lost from view
/// for `lost` frames.
fn seen_then_lost(failing: &[(CheckId, Hint)], seen: usize, lost: usize) -> Vec<Guidance> {
    let mut reports = vec![report(0.0, failing, 0.05); seen];
    reports.extend(vec![empty(); lost]);
    run(&mut Guide::default(), 0, &reports)
}

#[test]
fn a_card_lost_while_too_close_is_told_to_move_back_then_to_show_itself() {
    // Closer still: the card covers the frame, and no outline is found for 3 s.
    let gs = seen_then_lost(&[(CheckId::Distance, Hint::MoveBack)], 15, 90);
    assert!(gs[..15].iter().all(|g| g.hint == Some(Hint::MoveBack)));
    // Within 2 s of the last sight of it: still "move back", not "hold your card up".
    assert!(gs[15..75].iter().all(|g| g.hint == Some(Hint::MoveBack)));
    // Long gone: it was put away, not held too close.
    assert!(gs[90..].iter().all(|g| g.hint == Some(Hint::ShowDocument)));
    assert!(captures(&gs).is_empty());
}

#[test]
fn a_card_wider_than_the_frame_lost_from_view_is_told_to_move_back() {
    // Corners off two opposite frame edges ask to move back too: the hint holds while they fail,
    // and after the card vanishes.
    let gs = seen_then_lost(&[(CheckId::Corners, Hint::MoveBack)], 30, 30);
    assert!(gs.iter().all(|g| g.hint == Some(Hint::MoveBack)));
}

#[test]
fn a_card_lost_at_a_fitting_distance_is_asked_for_again() {
    let gs = seen_then_lost(&[(CheckId::Glare, Hint::Glare)], 15, 30);
    // Once the glare hint has had its second, the missing card is asked for, never "move back".
    assert!(gs.iter().all(|g| g.hint != Some(Hint::MoveBack)));
    assert!(gs[40..].iter().all(|g| g.hint == Some(Hint::ShowDocument)));
    // A card seen at a fitting distance after a too-close one clears the memory.
    let mut reports = vec![report(0.0, &[(CheckId::Distance, Hint::MoveBack)], 0.05); 15];
    reports.extend(vec![
        report(0.0, &[(CheckId::Glare, Hint::Glare)], 0.05);
        15
    ]);
    reports.extend(vec![empty(); 45]);
    let gs = run(&mut Guide::default(), 0, &reports);
    assert!(gs[60..].iter().all(|g| g.hint == Some(Hint::ShowDocument)));
}
