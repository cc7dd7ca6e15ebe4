//! A fault-injecting source: wraps another source and, at given frames, behaves like a camera
//! going wrong: unplugged, stalled, a read error, a format change. For tests and drills; the app
//! never builds one.

use std::time::Duration;

use image::RgbImage;
use image::imageops::{FilterType, resize};

use super::{FrameSource, SourceError, SourceFrame};

/// What goes wrong, and from which frame on.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// The device is gone: this call and every later one fail, as an unplugged camera does.
    Unplug,
    /// The call blocks this long before delivering its frame (a USB stall, a driver hiccup).
    Stall(Duration),
    /// This one call fails, then frames continue.
    ReadError(String),
    /// From this frame on, frames come at another size (the driver renegotiated the format).
    Resize { width: u32, height: u32 },
}

/// The message of an unplugged camera, as V4L2 reports it.
pub const UNPLUGGED: &str = "No such device (os error 19)";

/// Another source with faults at given frame indices (0 = the first call to `next_frame`).
#[derive(Debug)]
pub struct FaultySource<S> {
    inner: S,
    faults: Vec<(u64, Fault)>,
    calls: u64,
    unplugged: bool,
    size: Option<(u32, u32)>,
}

impl<S: FrameSource> FaultySource<S> {
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            faults: Vec::new(),
            calls: 0,
            unplugged: false,
            size: None,
        }
    }

    /// Adds a fault at call `at` (several faults may share a call; they apply in the order added).
    pub fn with_fault(mut self, at: u64, fault: Fault) -> Self {
        self.faults.push((at, fault));
        self
    }
}

impl<S: FrameSource> FrameSource for FaultySource<S> {
    fn describe(&self) -> String {
        format!("{} (with injected faults)", self.inner.describe())
    }

    fn next_frame(&mut self) -> Result<Option<SourceFrame>, SourceError> {
        let call = self.calls;
        self.calls += 1;
        let mut read_error = None;
        for (_, fault) in self.faults.iter().filter(|(at, _)| *at == call) {
            match fault {
                Fault::Unplug => self.unplugged = true,
                Fault::Stall(d) => std::thread::sleep(*d),
                Fault::ReadError(msg) => read_error = Some(msg.clone()),
                Fault::Resize { width, height } => self.size = Some((*width, *height)),
            }
        }
        if self.unplugged {
            return Err(SourceError::Camera(UNPLUGGED.to_owned()));
        }
        if let Some(msg) = read_error {
            return Err(SourceError::Camera(msg));
        }
        let frame = self.inner.next_frame()?;
        Ok(frame.map(|mut f| {
            if let Some((w, h)) = self.size {
                f.image = resized(&f.image, w, h);
            }
            f
        }))
    }
}

fn resized(image: &RgbImage, width: u32, height: u32) -> RgbImage {
    if image.dimensions() == (width, height) {
        image.clone()
    } else {
        resize(image, width.max(1), height.max(1), FilterType::Triangle)
    }
}
