//! What the app remembers between runs (kept in eframe storage).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The storage key of the settings.
pub const SETTINGS_KEY: &str = "idshot.settings";
/// Hold-time slider range, seconds: shorter than this catches the card mid-motion, longer tires
/// the arm.
pub const HOLD_SECS_MIN: f64 = 0.2;
pub const HOLD_SECS_MAX: f64 = 3.0;
/// Frame sizes offered in the settings (besides "automatic"): common webcam modes.
pub const RESOLUTIONS: [[u32; 2]; 3] = [[640, 480], [1280, 720], [1920, 1080]];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// The camera's name (or index) as picked; None: the first camera.
    pub camera: Option<String>,
    /// Where shots go; None: the Pictures folder (see [`crate::save::default_dir`]).
    pub folder: Option<PathBuf>,
    /// Mirror the live preview (saved files are never mirrored).
    pub mirror: bool,
    pub auto_capture: bool,
    /// Play a shutter click when a photo is taken (silent without a sound device).
    pub shutter_sound: bool,
    /// How long every check must pass before the auto-capture.
    pub hold_secs: f64,
    /// The frame size to ask the source for; None: the source's own choice.
    pub resolution: Option<[u32; 2]>,
    /// The folder the photo check lists (the last one listed).
    pub check_folder: Option<PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            camera: None,
            folder: None,
            mirror: true,
            auto_capture: true,
            shutter_sound: true,
            hold_secs: crate::guidance::GuideSpec::default().hold_secs,
            resolution: None,
            check_folder: None,
        }
    }
}

impl Settings {
    /// The folder shots are written to.
    pub fn shot_dir(&self) -> PathBuf {
        self.folder
            .clone()
            .or_else(crate::save::default_dir)
            .unwrap_or_else(|| PathBuf::from("idshot"))
    }

    /// Clamps values a hand-edited or old settings file could hold.
    pub fn sanitized(mut self) -> Self {
        self.hold_secs = if self.hold_secs.is_finite() {
            self.hold_secs.clamp(HOLD_SECS_MIN, HOLD_SECS_MAX)
        } else {
            Settings::default().hold_secs
        };
        // Only the sizes on offer: an edited file must not ask for a 100000-pixel-wide frame.
        self.resolution = self.resolution.filter(|r| RESOLUTIONS.contains(r));
        self
    }

    /// "1280x720", or "Automatic (...)".
    pub fn resolution_label(resolution: Option<[u32; 2]>) -> String {
        match resolution {
            Some([w, h]) => format!("{w}x{h}"),
            None => "Automatic (the largest up to 1920x1080)".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_fills_missing_fields() {
        let s = Settings {
            camera: Some("USB Camera".into()),
            folder: Some(PathBuf::from("/tmp/x")),
            mirror: false,
            auto_capture: false,
            shutter_sound: false,
            hold_secs: 1.5,
            resolution: Some([1920, 1080]),
            check_folder: Some(PathBuf::from("/tmp/photos")),
        };
        let text = serde_json::to_string(&s).expect("serializes");
        let back: Settings = serde_json::from_str(&text).expect("parses");
        assert_eq!(back, s);
        let partial: Settings = serde_json::from_str(r#"{"mirror":false}"#).expect("parses");
        assert!(!partial.mirror);
        assert!(partial.auto_capture);
        // Settings files from before the shutter sound: it is on.
        assert!(partial.shutter_sound);
    }

    #[test]
    fn sanitizes_hold_time() {
        let s = Settings {
            hold_secs: f64::NAN,
            ..Settings::default()
        };
        assert_eq!(s.sanitized().hold_secs, Settings::default().hold_secs);
        let s = Settings {
            hold_secs: 99.0,
            ..Settings::default()
        };
        assert_eq!(s.sanitized().hold_secs, HOLD_SECS_MAX);
    }

    #[test]
    fn sanitizes_resolution_to_the_offered_sizes() {
        let odd = Settings {
            resolution: Some([100_000, 7]),
            ..Settings::default()
        };
        assert_eq!(odd.sanitized().resolution, None);
        let fine = Settings {
            resolution: Some([1280, 720]),
            ..Settings::default()
        };
        assert_eq!(fine.sanitized().resolution, Some([1280, 720]));
    }
}
