//! Every sentence idshot says to a person, in one table, so the app and the CLI say the same thing
//! and a translation is one file.

use serde::Serialize;

/// What the person should do next. Data, not words: [`Hint::text`] turns it into words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Hint {
    ShowDocument,
    CornersOutside,
    CornerCovered,
    MoveCloser,
    ResolutionTooLow,
    MoveBack,
    FaceCamera,
    Straighten,
    HoldStill,
    Blurry,
    Glare,
    TooDark,
    TooBright,
    UnevenLight,
    MrzUnreadable,
}

impl Hint {
    pub fn text(self) -> &'static str {
        match self {
            Hint::ShowDocument => "Hold your ID card up to the camera",
            Hint::CornersOutside => "Move the card so all four corners show",
            Hint::CornerCovered => "Move your finger off the corner",
            Hint::MoveCloser => "Move closer",
            Hint::ResolutionTooLow => {
                "The resolution is too low for this document: use a higher camera resolution"
            }
            Hint::MoveBack => "Move back a little",
            Hint::FaceCamera => "Face the card straight to the camera",
            Hint::Straighten => "Straighten the card",
            Hint::HoldStill => "Hold still",
            Hint::Blurry => "Hold still, it's blurry",
            Hint::Glare => "Tilt the card a little to move the glare",
            Hint::TooDark => "Find more light",
            Hint::TooBright => "Too bright: move out of direct light",
            Hint::UnevenLight => "The light is uneven: avoid shadows on the card",
            Hint::MrzUnreadable => {
                "Keep the two text lines at the bottom of the page sharp and in view"
            }
        }
    }
}

impl std::fmt::Display for Hint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.text())
    }
}
