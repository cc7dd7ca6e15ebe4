//! Replay: a folder of frames (JPEG or PNG, played in file-name order) at a given frame rate.
//! Reads a sequence folder of ../shared/data as it is (gt.jsonl and seq.json are not frames).

use std::path::{Path, PathBuf};
use std::time::Instant;

use image::RgbImage;

use super::{FrameSource, SourceError, SourceFrame, pace};

/// Frame rate used when none is given.
pub const DEFAULT_FPS: f64 = 30.0;

/// Plays a folder of frames at `fps`, one frame each `1/fps` seconds of media time.
#[derive(Debug)]
pub struct ReplaySource {
    dir: PathBuf,
    files: Vec<PathBuf>,
    fps: f64,
    paced: bool,
    next: usize,
    started: Option<Instant>,
}

impl ReplaySource {
    /// Lists the frames of `dir`. Fails when the folder cannot be read or holds no frames.
    pub fn open(dir: &Path, fps: f64) -> Result<Self, SourceError> {
        let unreadable = |reason: String| SourceError::Unreadable {
            path: dir.display().to_string(),
            reason,
        };
        if !(fps.is_finite() && fps > 0.0) {
            return Err(SourceError::Other(format!(
                "frame rate must be a positive number, not {fps}"
            )));
        }
        let entries = std::fs::read_dir(dir).map_err(|e| unreadable(e.to_string()))?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && is_frame_file(p))
            .collect();
        if files.is_empty() {
            return Err(unreadable(
                "no frames (.jpg, .jpeg or .png) in the folder".to_owned(),
            ));
        }
        files.sort();
        Ok(Self {
            dir: dir.to_path_buf(),
            files,
            fps,
            paced: true,
            next: 0,
            started: None,
        })
    }

    /// Delivers frames as fast as they decode (media time still advances by `1/fps` a frame).
    pub fn unpaced(mut self) -> Self {
        self.paced = false;
        self
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn fps(&self) -> f64 {
        self.fps
    }

    /// The frame files, in play order.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }
}

impl FrameSource for ReplaySource {
    fn describe(&self) -> String {
        format!(
            "replay of {} ({} frames at {} fps)",
            self.dir.display(),
            self.files.len(),
            self.fps
        )
    }

    fn next_frame(&mut self) -> Result<Option<SourceFrame>, SourceError> {
        let Some(path) = self.files.get(self.next) else {
            return Ok(None);
        };
        let t_secs = self.next as f64 / self.fps;
        let started = *self.started.get_or_insert_with(Instant::now);
        self.next += 1;
        let image = decode_frame(path)?;
        if self.paced {
            pace(started, t_secs);
        }
        Ok(Some(SourceFrame {
            image,
            t_secs,
            name: Some(path.display().to_string()),
        }))
    }
}

fn is_frame_file(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "jpg" | "jpeg" | "png"))
}

/// Decodes one frame file to upright RGB, exactly as `idshot check` reads a photo
/// ([`crate::imageio::read_image`]): content sniffing, decoding limits, truncated JPEGs refused,
/// EXIF orientation applied, and a one-line reason when the file cannot be read.
pub fn decode_frame(path: &Path) -> Result<RgbImage, SourceError> {
    crate::imageio::read_image(path)
        .map(|loaded| loaded.rgb)
        .map_err(|e| SourceError::Unreadable {
            path: path.display().to_string(),
            reason: e.to_string(),
        })
}
