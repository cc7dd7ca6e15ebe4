//! idshot: live guidance and auto-capture for identity-document photos that pass KYC review.
//!
//! Layers, each knowing only the ones below it:
//! - [`analysis`]: one frame in, one [`analysis::FrameReport`] out. Pure and deterministic.
//! - [`guidance`]: a pure state machine over reports (stability, hint choice, auto-capture).
//! - [`source`], [`pipeline`], [`save`]: capture threads, channels and atomic files.
//! - `ui` (feature `gui`) and [`cli`]: thin shells that show or print.

pub mod analysis;
pub mod cli;
pub mod guidance;
pub mod hints;
pub mod imageio;
pub mod pipeline;
pub mod save;
pub mod scene;
pub mod source;
#[cfg(feature = "gui")]
pub mod ui;
