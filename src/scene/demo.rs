//! A scripted scene for the `demo` frame source: a card comes into view, shows each fault in
//! turn, then settles so the app can auto-capture. Pure function of time, so it loops forever.

use super::{Background, DEFAULT_HFOV_DEG, Finger, Glare, Placement, SceneSpec};
use crate::analysis::{DocKind, Spec};

/// Length of one loop of the script (seconds).
pub const DEMO_LOOP_SECS: f32 = 11.0;
/// Exposure time of a frame (s): motion blur is the distance moved while the shutter is open.
const SHUTTER_S: f32 = 1.0 / 60.0;
/// Hand tremor while "holding still": amplitude (fraction of the frame) and frequency (Hz).
const TREMOR_AMPLITUDE: f32 = 0.0015;
const TREMOR_HZ: f32 = 1.7;
/// Where the settled card sits; it settles at the guide frame's size ([`Spec::target_size`]).
const SETTLED_CENTER: (f32, f32) = (0.5, 0.52);

/// The phases of the script, with their start times (seconds into the loop).
pub const DEMO_PHASES: [(f32, &str); 8] = [
    (0.0, "entering"),
    (1.2, "too far"),
    (2.4, "tilted"),
    (3.6, "glare"),
    (4.8, "finger on corner"),
    (6.0, "out of focus"),
    (7.0, "steady"),
    (DEMO_LOOP_SECS, "end"),
];

/// Name of the phase at `t` seconds.
pub fn demo_phase(t: f32) -> &'static str {
    let t = t.rem_euclid(DEMO_LOOP_SECS);
    DEMO_PHASES
        .iter()
        .rev()
        .find(|(start, _)| t >= *start)
        .map_or("entering", |p| p.1)
}

fn ease(x: f32) -> f32 {
    let x = x.clamp(0.0, 1.0);
    1.0 - (1.0 - x).powi(3)
}

/// The scene at `t` seconds (looping every [`DEMO_LOOP_SECS`]).
pub fn demo_spec(t: f32, width: u32, height: u32, kind: DocKind, seed: u64) -> SceneSpec {
    let t = if t.is_finite() {
        t.rem_euclid(DEMO_LOOP_SECS)
    } else {
        0.0
    };
    let settled_fill = Spec::default().target_size(kind, width, height).0 / width.max(1) as f32;
    let pose_at = |t: f32| -> ((f32, f32), f32, f32, f32) {
        // (centre, fill, yaw, roll)
        let tremor = (
            TREMOR_AMPLITUDE * (t * TREMOR_HZ * std::f32::consts::TAU).sin(),
            TREMOR_AMPLITUDE * (t * TREMOR_HZ * 1.3 * std::f32::consts::TAU).cos(),
        );
        let base = (SETTLED_CENTER.0 + tremor.0, SETTLED_CENTER.1 + tremor.1);
        if t < 1.2 {
            let k = ease(t / 1.2);
            (
                (1.45 - (1.45 - 0.5) * k, base.1),
                0.4,
                0.0,
                12.0 * (1.0 - k),
            )
        } else if t < 2.4 {
            let k = ease((t - 1.2) / 1.2);
            (base, 0.3 + (settled_fill - 0.3) * k * k, 0.0, 0.0)
        } else if t < 3.6 {
            let k = ((t - 2.4) / 1.2).clamp(0.0, 1.0);
            (base, settled_fill, 32.0 * (1.0 - k * k), 0.0)
        } else {
            (base, settled_fill, 0.0, 0.0)
        }
    };
    let (center, fill, yaw, roll) = pose_at(t);
    // Motion blur from how far the card's centre moves during the shutter time.
    let (next, ..) = pose_at(t + SHUTTER_S);
    let (dx, dy) = (
        (next.0 - center.0) * width as f32,
        (next.1 - center.1) * height as f32,
    );
    let mut spec = SceneSpec {
        width,
        height,
        kind,
        seed,
        background: Background::Wood,
        placement: Placement::Pose {
            center,
            fill,
            pitch_deg: 0.0,
            yaw_deg: yaw,
            roll_deg: roll,
            hfov_deg: DEFAULT_HFOV_DEG,
        },
        motion_px: dx.hypot(dy),
        motion_angle_deg: dy.atan2(dx).to_degrees(),
        ..SceneSpec::default()
    };
    if (3.6..4.8).contains(&t) {
        let k = (t - 3.6) / 1.2;
        spec.glare = Some(Glare {
            center: (0.45 + 0.9 * k, 0.45),
            ..Glare::default()
        });
    }
    if (4.8..5.8).contains(&t) {
        spec.fingers = vec![Finger::Corner(1)];
    }
    if (6.0..7.0).contains(&t) {
        let k = (t - 6.0) / 1.0;
        spec.blur_px = 0.5 + 4.0 * (1.0 - k).powi(2);
    }
    spec
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_cover_the_loop_in_order() {
        assert_eq!(demo_phase(0.1), "entering");
        assert_eq!(demo_phase(4.0), "glare");
        assert_eq!(demo_phase(9.0), "steady");
        assert_eq!(demo_phase(DEMO_LOOP_SECS + 0.1), "entering");
    }

    #[test]
    fn steady_phase_is_the_default_scene_and_the_entry_is_blurred() {
        let steady = demo_spec(8.0, 1280, 720, DocKind::Id1, 3);
        assert!(steady.glare.is_none() && steady.fingers.is_empty());
        assert!(steady.motion_px < 1.0, "{}", steady.motion_px);
        let entering = demo_spec(0.3, 1280, 720, DocKind::Id1, 3);
        assert!(entering.motion_px > 5.0, "{}", entering.motion_px);
    }
}
