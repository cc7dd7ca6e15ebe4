//! The webcam (nokhwa; V4L2 on Linux). Lists cameras by name (virtual cameras included), opens one
//! by index or name, asks for the highest resolution up to 1920x1080 at >= 24 fps (MJPEG preferred,
//! YUYV otherwise) and decodes frames to RGB itself: nokhwa's own MJPEG decoder panics on a corrupt
//! frame, so we take the raw buffer and decode it with the `image` crate, where a bad frame is an
//! error we can skip.

use std::time::Instant;

use image::RgbImage;
use nokhwa::Camera;
use nokhwa::utils::{
    ApiBackend, CameraFormat, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType,
};

use super::{FrameSource, SourceError, SourceFrame};

/// The largest frame we ask for: more costs bandwidth and analysis time without helping a KYC shot.
pub const MAX_WIDTH: u32 = 1920;
pub const MAX_HEIGHT: u32 = 1080;
/// Below this rate the live hints lag behind the person's hand.
pub const MIN_FPS: u32 = 24;
/// Corrupt frames in a row before the stream counts as broken.
const MAX_BAD_FRAMES: u32 = 30;

/// A camera as the system lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CameraDesc {
    pub index: u32,
    pub name: String,
}

/// Which camera to open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CameraSelector {
    Index(u32),
    /// Case-insensitive; an exact name wins over a name that only contains it.
    Name(String),
}

/// A pixel format on offer, reduced to what the choice needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Offer {
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    pub mjpeg: bool,
}

/// The format to ask for: the largest frame within `limit` (1920x1080 when None, and never
/// beyond it) at >= 24 fps, MJPEG on a tie, then the higher rate. When nothing reaches 24 fps,
/// the fastest format within the size limit; when nothing fits the limit (a camera whose
/// smallest mode is larger than the person asked for), the choice without the person's limit.
pub fn choose_offer(offers: &[Offer], limit: Option<[u32; 2]>) -> Option<Offer> {
    let [max_w, max_h] = limit.map_or([MAX_WIDTH, MAX_HEIGHT], |[w, h]| {
        [w.min(MAX_WIDTH), h.min(MAX_HEIGHT)]
    });
    let fits = |o: &Offer| o.width <= max_w && o.height <= max_h;
    if limit.is_some() && !offers.iter().any(fits) {
        return choose_offer(offers, None);
    }
    let within = offers.iter().copied().filter(fits);
    let fast = within
        .clone()
        .filter(|o| o.fps >= MIN_FPS)
        .max_by_key(|o| (o.width * o.height, o.mjpeg, o.fps));
    fast.or_else(|| within.max_by_key(|o| (o.fps, o.width * o.height, o.mjpeg)))
}

/// Lists the cameras. An empty list is not an error here: [`CameraSource::open`] says "no camera".
pub fn list_cameras() -> Result<Vec<CameraDesc>, SourceError> {
    let infos = match nokhwa::query(ApiBackend::Auto) {
        Ok(infos) => infos,
        // A system without any video device (no /dev/video*) reports that as a query error.
        Err(e) if looks_absent(&e.to_string()) => return Ok(Vec::new()),
        Err(e) => return Err(classify(&e.to_string())),
    };
    Ok(infos
        .iter()
        .map(|info| CameraDesc {
            index: match info.index() {
                CameraIndex::Index(i) => *i,
                CameraIndex::String(s) => s.trim_start_matches("/dev/video").parse().unwrap_or(0),
            },
            name: info.human_name(),
        })
        .collect())
}

/// A webcam, streaming. nokhwa's camera is not `Send`: open it on the thread that reads it
/// (the pipeline's capture thread does, through a source factory).
pub struct CameraSource {
    camera: Camera,
    name: String,
    format: CameraFormat,
    started: Instant,
}

impl std::fmt::Debug for CameraSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CameraSource")
            .field("name", &self.name)
            .field("format", &self.format)
            .finish()
    }
}

impl CameraSource {
    /// Opens a camera and starts its stream, at the largest mode within `limit` (see
    /// [`choose_offer`]). No camera, a busy camera or a denied camera is an error.
    pub fn open(selector: &CameraSelector, limit: Option<[u32; 2]>) -> Result<Self, SourceError> {
        let cameras = list_cameras()?;
        if cameras.is_empty() {
            return Err(SourceError::NoCamera);
        }
        let desc = match selector {
            CameraSelector::Index(i) => cameras.iter().find(|c| c.index == *i),
            CameraSelector::Name(n) => {
                let n = n.to_lowercase();
                cameras
                    .iter()
                    .find(|c| c.name.to_lowercase() == n)
                    .or_else(|| cameras.iter().find(|c| c.name.to_lowercase().contains(&n)))
            }
        };
        let Some(desc) = desc.cloned() else {
            let wanted = match selector {
                CameraSelector::Index(i) => format!("#{i}"),
                CameraSelector::Name(n) => n.clone(),
            };
            return Err(SourceError::CameraNotFound(wanted));
        };
        let wanted = [FrameFormat::MJPEG, FrameFormat::YUYV];
        let request = RequestedFormat::with_formats(RequestedFormatType::None, &wanted);
        let mut camera = Camera::new(CameraIndex::Index(desc.index), request)
            .map_err(|e| classify(&e.to_string()))?;
        let formats = camera
            .compatible_camera_formats()
            .map_err(|e| classify(&e.to_string()))?;
        let offers: Vec<(Offer, CameraFormat)> = formats
            .iter()
            .filter(|f| matches!(f.format(), FrameFormat::MJPEG | FrameFormat::YUYV))
            .map(|f| {
                let offer = Offer {
                    width: f.width(),
                    height: f.height(),
                    fps: f.frame_rate(),
                    mjpeg: f.format() == FrameFormat::MJPEG,
                };
                (offer, *f)
            })
            .collect();
        let only: Vec<Offer> = offers.iter().map(|(o, _)| *o).collect();
        let chosen = choose_offer(&only, limit)
            .and_then(|o| offers.iter().find(|(x, _)| *x == o).map(|(_, f)| *f))
            .ok_or_else(|| {
                SourceError::Camera(format!("{} offers neither MJPEG nor YUYV", desc.name))
            })?;
        let exact = RequestedFormat::with_formats(RequestedFormatType::Exact(chosen), &wanted);
        camera
            .set_camera_requset(exact)
            .map_err(|e| classify(&e.to_string()))?;
        camera.open_stream().map_err(|e| classify(&e.to_string()))?;
        let format = camera.camera_format();
        Ok(Self {
            camera,
            name: desc.name,
            format,
            started: Instant::now(),
        })
    }

    /// The negotiated format, e.g. "1920x1080 MJPEG @ 30 fps".
    pub fn format_description(&self) -> String {
        format!(
            "{}x{} {} @ {} fps",
            self.format.width(),
            self.format.height(),
            self.format.format(),
            self.format.frame_rate()
        )
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

impl FrameSource for CameraSource {
    fn describe(&self) -> String {
        format!("camera {} ({})", self.name, self.format_description())
    }

    fn next_frame(&mut self) -> Result<Option<SourceFrame>, SourceError> {
        let (w, h) = (self.format.width(), self.format.height());
        let mut bad = 0;
        loop {
            let raw = self
                .camera
                .frame_raw()
                .map_err(|e| classify(&e.to_string()))?;
            let t_secs = self.started.elapsed().as_secs_f64();
            let decoded = match self.format.format() {
                FrameFormat::MJPEG => decode_mjpeg(&raw),
                FrameFormat::YUYV => yuyv_to_rgb(&raw, w, h),
                other => {
                    return Err(SourceError::Camera(format!(
                        "unsupported pixel format {other}"
                    )));
                }
            };
            match decoded {
                Some(image) => {
                    return Ok(Some(SourceFrame {
                        image,
                        t_secs,
                        name: None,
                    }));
                }
                // A corrupt frame (USB hiccup): skip it, but not forever.
                None if bad < MAX_BAD_FRAMES => bad += 1,
                None => {
                    return Err(SourceError::Camera(format!(
                        "{MAX_BAD_FRAMES} corrupt frames in a row"
                    )));
                }
            }
        }
    }
}

impl Drop for CameraSource {
    fn drop(&mut self) {
        // Releases the device for other programs; an error here has nowhere useful to go.
        let _ = self.camera.stop_stream();
    }
}

/// Decodes one MJPEG frame; None when it is corrupt. Through [`crate::imageio::decode_image`]:
/// a frame cut short (USB packets lost) is refused rather than filled with grey, and its size is
/// limited like any image's.
pub fn decode_mjpeg(bytes: &[u8]) -> Option<RgbImage> {
    crate::imageio::decode_image(bytes)
        .ok()
        .filter(|loaded| loaded.format == crate::imageio::FileFormat::Jpeg)
        .map(|loaded| loaded.rgb)
}

/// Converts packed YUYV 4:2:2 (BT.601, studio range) to RGB; None when the buffer is too short.
pub fn yuyv_to_rgb(bytes: &[u8], width: u32, height: u32) -> Option<RgbImage> {
    let pairs = (width as usize / 2) * height as usize;
    let src = bytes.get(..pairs * 4)?;
    let mut out = Vec::with_capacity(pairs * 6);
    for px in src.chunks_exact(4) {
        let (y0, u, y1, v) = (px[0], px[1], px[2], px[3]);
        out.extend_from_slice(&yuv_to_rgb(y0, u, v));
        out.extend_from_slice(&yuv_to_rgb(y1, u, v));
    }
    RgbImage::from_raw(width / 2 * 2, height, out)
}

fn yuv_to_rgb(y: u8, u: u8, v: u8) -> [u8; 3] {
    let c = (f32::from(y) - 16.0) * 1.164;
    let d = f32::from(u) - 128.0;
    let e = f32::from(v) - 128.0;
    let clamp = |x: f32| x.round().clamp(0.0, 255.0) as u8;
    [
        clamp(c + 1.596 * e),
        clamp(c - 0.392 * d - 0.813 * e),
        clamp(c + 2.017 * d),
    ]
}

fn looks_absent(msg: &str) -> bool {
    let m = msg.to_lowercase();
    m.contains("no such file")
        || m.contains("no device")
        || m.contains("not found")
        || m.contains("enoent")
}

/// Turns a nokhwa error message into a clear kind of failure.
fn classify(msg: &str) -> SourceError {
    let m = msg.to_lowercase();
    if m.contains("busy") || m.contains("ebusy") {
        SourceError::Busy(msg.to_owned())
    } else if m.contains("permission") || m.contains("denied") || m.contains("eacces") {
        SourceError::Denied(msg.to_owned())
    } else if looks_absent(msg) {
        SourceError::NoCamera
    } else {
        SourceError::Camera(msg.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefers_the_largest_fast_format_and_mjpeg_on_a_tie() {
        let offers = [
            Offer {
                width: 3840,
                height: 2160,
                fps: 30,
                mjpeg: true,
            },
            Offer {
                width: 1920,
                height: 1080,
                fps: 5,
                mjpeg: false,
            },
            Offer {
                width: 1920,
                height: 1080,
                fps: 30,
                mjpeg: false,
            },
            Offer {
                width: 1920,
                height: 1080,
                fps: 30,
                mjpeg: true,
            },
            Offer {
                width: 1280,
                height: 720,
                fps: 60,
                mjpeg: true,
            },
        ];
        assert_eq!(
            choose_offer(&offers, None),
            Some(Offer {
                width: 1920,
                height: 1080,
                fps: 30,
                mjpeg: true
            })
        );
    }

    #[test]
    fn a_chosen_resolution_caps_the_mode_and_never_lifts_the_1080p_cap() {
        let offer = |width, height| Offer {
            width,
            height,
            fps: 30,
            mjpeg: true,
        };
        let offers = [
            offer(3840, 2160),
            offer(1920, 1080),
            offer(1280, 720),
            offer(640, 480),
        ];
        let pick = |limit| choose_offer(&offers, limit).map(|o| (o.width, o.height));
        assert_eq!(pick(Some([1280, 720])), Some((1280, 720)));
        assert_eq!(pick(Some([1920, 1080])), Some((1920, 1080)));
        assert_eq!(pick(Some([3840, 2160])), Some((1920, 1080)));
        // Nothing fits 320x240: the camera's own best mode rather than no camera at all.
        assert_eq!(pick(Some([320, 240])), Some((1920, 1080)));
    }

    #[test]
    fn falls_back_to_the_fastest_when_nothing_reaches_24_fps() {
        let offers = [
            Offer {
                width: 1920,
                height: 1080,
                fps: 5,
                mjpeg: false,
            },
            Offer {
                width: 640,
                height: 480,
                fps: 15,
                mjpeg: false,
            },
        ];
        assert_eq!(choose_offer(&offers, None).map(|o| o.fps), Some(15));
        assert_eq!(choose_offer(&[], None), None);
    }

    #[test]
    fn yuyv_grey_and_short_buffers() {
        // Y=126, U=V=128 is mid grey.
        let img = yuyv_to_rgb(&[126, 128, 126, 128], 2, 1).expect("decodes");
        assert!(
            img.pixels()
                .all(|p| p.0.iter().all(|&c| (c as i32 - 128).abs() <= 1))
        );
        assert!(yuyv_to_rgb(&[1, 2, 3], 2, 1).is_none());
    }

    #[test]
    fn corrupt_mjpeg_is_none_not_a_panic() {
        assert!(decode_mjpeg(&[0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]).is_none());
    }

    #[test]
    fn errors_are_classified() {
        assert!(matches!(
            classify("Device or resource busy"),
            SourceError::Busy(_)
        ));
        assert!(matches!(
            classify("Permission denied (os error 13)"),
            SourceError::Denied(_)
        ));
        assert!(matches!(
            classify("No such file or directory"),
            SourceError::NoCamera
        ));
    }
}
