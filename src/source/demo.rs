//! Demo: a synthetic scene (the scene generator's script) in which a card comes into view, shows
//! the common faults one after another (too far, tilted, glare, finger on a corner, blur) and then
//! settles. It lets the app run, be tested and be shown on a machine with no camera.

use std::time::Instant;

use super::{FrameSource, SourceError, SourceFrame, pace};
use crate::analysis::DocKind;
use crate::scene::SceneRenderer;
use crate::scene::demo::{DEMO_LOOP_SECS, demo_spec};

/// Default demo frame size and rate: a common webcam mode.
pub const DEMO_WIDTH: u32 = 1280;
pub const DEMO_HEIGHT: u32 = 720;
pub const DEMO_FPS: f64 = 30.0;

/// Renders the scripted scene frame by frame, looping every [`DEMO_LOOP_SECS`] seconds.
#[derive(Debug)]
pub struct DemoSource {
    width: u32,
    height: u32,
    fps: f64,
    kind: DocKind,
    seed: u64,
    paced: bool,
    limit: Option<u64>,
    next: u64,
    started: Option<Instant>,
    renderer: SceneRenderer,
}

impl DemoSource {
    pub fn new(width: u32, height: u32, fps: f64) -> Self {
        Self {
            width: width.max(1),
            height: height.max(1),
            fps: if fps.is_finite() && fps > 0.0 {
                fps
            } else {
                DEMO_FPS
            },
            kind: DocKind::Id1,
            seed: 1,
            paced: true,
            limit: None,
            next: 0,
            started: None,
            renderer: SceneRenderer::default(),
        }
    }

    pub fn with_kind(mut self, kind: DocKind) -> Self {
        self.kind = kind;
        self
    }

    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Ends the stream at frame number `frames` (the demo otherwise loops forever; paced, frames
    /// skipped to keep up with the clock count too).
    pub fn with_limit(mut self, frames: u64) -> Self {
        self.limit = Some(frames);
        self
    }

    /// Renders as fast as it can (media time still advances by `1/fps` a frame).
    pub fn unpaced(mut self) -> Self {
        self.paced = false;
        self
    }

    /// Frames in one loop of the script.
    pub fn loop_frames(&self) -> u64 {
        (f64::from(DEMO_LOOP_SECS) * self.fps).ceil() as u64
    }
}

impl Default for DemoSource {
    fn default() -> Self {
        Self::new(DEMO_WIDTH, DEMO_HEIGHT, DEMO_FPS)
    }
}

impl FrameSource for DemoSource {
    fn describe(&self) -> String {
        format!(
            "demo scene {}x{} at {} fps",
            self.width, self.height, self.fps
        )
    }

    fn next_frame(&mut self) -> Result<Option<SourceFrame>, SourceError> {
        let started = *self.started.get_or_insert_with(Instant::now);
        if self.paced {
            // Like a camera, never fall behind: when rendering is slower than the frame rate,
            // the scene moves on in real time and the frames in between are never made.
            let due = (started.elapsed().as_secs_f64() * self.fps).floor() as u64;
            self.next = self.next.max(due);
        }
        if self.limit.is_some_and(|n| self.next >= n) {
            return Ok(None);
        }
        let t_secs = self.next as f64 / self.fps;
        self.next += 1;
        let spec = demo_spec(t_secs as f32, self.width, self.height, self.kind, self.seed);
        let image = self.renderer.render(&spec).image;
        if self.paced {
            pace(started, t_secs);
        }
        Ok(Some(SourceFrame {
            image,
            t_secs,
            name: None,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_paced_demo_that_falls_behind_skips_ahead_to_the_clock() {
        let mut demo = DemoSource::new(32, 18, DEMO_FPS);
        let first = demo.next_frame().ok().flatten().map(|f| f.t_secs);
        assert_eq!(first, Some(0.0));
        // A consumer (or a slow render) holds it up for three frame times and more.
        std::thread::sleep(std::time::Duration::from_millis(120));
        let second = demo.next_frame().ok().flatten().map_or(0.0, |f| f.t_secs);
        assert!(second >= 0.1, "media time {second} s lags the clock");
        // Unpaced, every frame is made: media time steps one frame.
        let mut unpaced = DemoSource::new(32, 18, DEMO_FPS).unpaced();
        let _ = unpaced.next_frame();
        std::thread::sleep(std::time::Duration::from_millis(120));
        let step = unpaced
            .next_frame()
            .ok()
            .flatten()
            .map_or(0.0, |f| f.t_secs);
        assert!((step - 1.0 / DEMO_FPS).abs() < 1e-9);
    }
}
