//! Saving a shot: the original frame as JPEG (un-mirrored, sized and coloured as captured), a
//! perspective-rectified crop of the document, and a JSON sidecar with every check's value, the
//! specs used and the frames considered.
//!
//! Every file is written atomically (temporary file in the same folder, fsync, then a hard link to
//! the final name, which fails instead of overwriting), readable by the owner only (0600), under a
//! name that sorts by time and says the side: `2026-11-23_101500_id-front.jpg` (UTC).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use image::codecs::jpeg::JpegEncoder;
use image::{ExtendedColorType, Rgb, RgbImage};
use serde::Serialize;
use serde_json::json;

use crate::analysis::geometry::Homography;
use crate::analysis::{DocKind, FrameReport, Quad, Spec};
use crate::guidance::{CaptureDecision, GuideSpec};

/// Upload forms commonly cap photos at 5 MB.
pub const MAX_SHOT_BYTES: usize = 5 * 1024 * 1024;
/// JPEG qualities tried in turn until the file fits; reviewers see artefacts below ~92.
pub const JPEG_QUALITIES: [u8; 3] = [95, 93, 92];
/// Files are readable and writable by their owner only: they hold an identity document.
#[cfg(unix)]
const FILE_MODE: u32 = 0o600;
#[cfg(unix)]
const DIR_MODE: u32 = 0o700;
/// Numbered names tried when two shots land in the same second.
const MAX_NAME_TRIES: u32 = 1000;

/// Which side of the document a shot shows; it goes into the file name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    #[default]
    Front,
    Back,
}

impl Side {
    pub fn name(self) -> &'static str {
        match self {
            Side::Front => "front",
            Side::Back => "back",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("cannot create the folder {path}: {source}")]
    Folder { path: String, source: io::Error },
    #[error("cannot write {path}: {source}")]
    Write { path: String, source: io::Error },
    #[error("cannot encode the shot: {0}")]
    Encode(String),
    #[error("the shot would be {bytes} bytes even at JPEG quality {quality}: over the 5 MB limit")]
    TooLarge { bytes: usize, quality: u8 },
    #[error("no free file name for {0} in this second")]
    NameTaken(String),
}

/// Everything a shot is made of.
#[derive(Clone, Copy, Debug)]
pub struct Shot<'a> {
    /// The full-resolution frame exactly as captured.
    pub frame: &'a RgbImage,
    pub report: &'a FrameReport,
    pub decision: &'a CaptureDecision,
    pub spec: &'a Spec,
    pub guide_spec: &'a GuideSpec,
    pub side: Side,
    /// Where the frame came from (camera name and format, replay folder).
    pub source: &'a str,
}

/// The files written for one shot.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SavedShot {
    pub original: PathBuf,
    pub crop: Option<PathBuf>,
    pub sidecar: PathBuf,
    pub jpeg_quality: u8,
    pub original_bytes: usize,
}

/// `XDG_PICTURES_DIR/idshot`, else `~/Pictures/idshot`. None without a home folder.
pub fn default_dir() -> Option<PathBuf> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let config = env("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| Path::new(&h).join(".config")));
    let user_dirs = config.and_then(|c| fs::read_to_string(c.join("user-dirs.dirs")).ok());
    default_dir_from(env("XDG_PICTURES_DIR"), env("HOME"), user_dirs.as_deref())
}

/// [`default_dir`] from its inputs: the environment variable, the home folder and the contents of
/// `user-dirs.dirs` (where desktops record the Pictures folder as `XDG_PICTURES_DIR="$HOME/..."`).
pub fn default_dir_from(
    pictures_env: Option<String>,
    home: Option<String>,
    user_dirs: Option<&str>,
) -> Option<PathBuf> {
    let from_file = user_dirs.and_then(|text| {
        text.lines().find_map(|l| {
            let v = l
                .trim()
                .strip_prefix("XDG_PICTURES_DIR=")?
                .trim()
                .trim_matches('"');
            match v.strip_prefix("$HOME") {
                Some(rest) => home.as_ref().map(|h| format!("{h}{rest}")),
                None => Some(v.to_owned()),
            }
        })
    });
    let pictures = pictures_env
        .or(from_file)
        .map(PathBuf::from)
        .or_else(|| home.map(|h| Path::new(&h).join("Pictures")))?;
    Some(pictures.join("idshot"))
}

/// `2026-11-23_101500` for a time (UTC).
pub fn timestamp(now: SystemTime) -> String {
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}_{:02}{:02}{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// "id-front", "passport-front"; "document-front" when no document was found (manual shot).
pub fn label(kind: Option<DocKind>, side: Side) -> String {
    let doc = match kind {
        Some(DocKind::Id1) => "id",
        Some(DocKind::Td3) => "passport",
        None => "document",
    };
    format!("{doc}-{}", side.name())
}

/// Encodes at the highest quality of [`JPEG_QUALITIES`] that fits in [`MAX_SHOT_BYTES`].
pub fn encode_jpeg(image: &RgbImage) -> Result<(Vec<u8>, u8), SaveError> {
    let mut last = (0, 0);
    for q in JPEG_QUALITIES {
        let mut out = Vec::new();
        JpegEncoder::new_with_quality(&mut out, q)
            .encode(
                image.as_raw(),
                image.width(),
                image.height(),
                ExtendedColorType::Rgb8,
            )
            .map_err(|e| SaveError::Encode(e.to_string()))?;
        if out.len() <= MAX_SHOT_BYTES {
            return Ok((out, q));
        }
        last = (out.len(), q);
    }
    Err(SaveError::TooLarge {
        bytes: last.0,
        quality: last.1,
    })
}

/// The document cut out and straightened to its true aspect, at no more pixels than the source
/// has along its longer edges (no upscaling). Pixels outside the frame are black.
pub fn rectify(frame: &RgbImage, quad: &Quad, kind: DocKind) -> Option<RgbImage> {
    let h = Homography::unit_square_to(quad)?;
    let [top, right, bottom, left] = quad.sides();
    let src_w = top.max(bottom);
    let src_h = left.max(right);
    // The output's width at the document's aspect, never more than the source's pixels in either direction.
    let out_w = src_w.min(src_h * kind.aspect()).floor();
    let out_h = (out_w / kind.aspect()).floor();
    if !(out_w >= 1.0 && out_h >= 1.0) {
        return None;
    }
    let (ow, oh) = (out_w as u32, out_h as u32);
    let mut out = RgbImage::new(ow, oh);
    for (x, y, px) in out.enumerate_pixels_mut() {
        let (u, v) = ((x as f64 + 0.5) / ow as f64, (y as f64 + 0.5) / oh as f64);
        let (sx, sy) = h.apply(u, v);
        *px = bilinear(frame, sx - 0.5, sy - 0.5);
    }
    Some(out)
}

fn bilinear(img: &RgbImage, x: f64, y: f64) -> Rgb<u8> {
    let (w, h) = (img.width() as i64, img.height() as i64);
    if !(x.is_finite() && y.is_finite()) || x < -1.0 || y < -1.0 || x > w as f64 || y > h as f64 {
        return Rgb([0, 0, 0]);
    }
    let (x0, y0) = (x.floor() as i64, y.floor() as i64);
    let (fx, fy) = (x - x0 as f64, y - y0 as f64);
    let get = |xi: i64, yi: i64| -> [f64; 3] {
        let (cx, cy) = (xi.clamp(0, w - 1) as u32, yi.clamp(0, h - 1) as u32);
        img.get_pixel_checked(cx, cy)
            .map_or([0.0; 3], |p| p.0.map(f64::from))
    };
    let (a, b, c, d) = (
        get(x0, y0),
        get(x0 + 1, y0),
        get(x0, y0 + 1),
        get(x0 + 1, y0 + 1),
    );
    let mut out = [0u8; 3];
    for i in 0..3 {
        let top = a[i] * (1.0 - fx) + b[i] * fx;
        let bot = c[i] * (1.0 - fx) + d[i] * fx;
        out[i] = (top * (1.0 - fy) + bot * fy).round().clamp(0.0, 255.0) as u8;
    }
    Rgb(out)
}

/// Writes a shot into `dir` (created 0700 if missing). Everything is encoded before the first
/// file is written; if any write fails, the files already written for this shot are removed.
pub fn write_shot(dir: &Path, shot: &Shot<'_>, now: SystemTime) -> Result<SavedShot, SaveError> {
    write_shot_within(dir, shot, now, &mut FreeSpace::Unlimited)
}

/// [`write_shot`] as if the disk had only `free_bytes` left: the write that would not fit stores
/// what fits, then fails with "no space left on device", as a full disk does. For tests and
/// drills of the disk-full path (nothing partial may be left behind).
pub fn write_shot_with_free_space(
    dir: &Path,
    shot: &Shot<'_>,
    now: SystemTime,
    free_bytes: u64,
) -> Result<SavedShot, SaveError> {
    write_shot_within(dir, shot, now, &mut FreeSpace::Bytes(free_bytes))
}

/// How much more may be written: the disk's own limit, or a simulated one.
#[derive(Clone, Copy, Debug)]
enum FreeSpace {
    Unlimited,
    Bytes(u64),
}

fn write_shot_within(
    dir: &Path,
    shot: &Shot<'_>,
    now: SystemTime,
    space: &mut FreeSpace,
) -> Result<SavedShot, SaveError> {
    let (original, quality) = encode_jpeg(shot.frame)?;
    let kind = shot.report.document.as_ref().map(|d| d.kind);
    let crop = match &shot.report.document {
        Some(doc) => match rectify(shot.frame, &doc.quad, doc.kind) {
            Some(img) => Some(encode_jpeg(&img)?.0),
            None => None,
        },
        None => None,
    };
    create_private_dir(dir)?;

    let stamp = timestamp(now);
    let label = label(kind, shot.side);
    for n in 1..=MAX_NAME_TRIES {
        let base = if n == 1 {
            format!("{stamp}_{label}")
        } else {
            format!("{stamp}_{label}-{n}")
        };
        let names = [
            format!("{base}.jpg"),
            format!("{base}-crop.jpg"),
            format!("{base}.json"),
        ];
        if names.iter().any(|n| dir.join(n).exists()) {
            continue;
        }
        let [orig_name, crop_name, side_name] = names;
        let sidecar = sidecar_json(
            shot,
            &orig_name,
            crop.as_ref().map(|_| crop_name.as_str()),
            quality,
            now,
        );
        let sidecar =
            serde_json::to_vec_pretty(&sidecar).map_err(|e| SaveError::Encode(e.to_string()))?;
        let mut written: Vec<PathBuf> = Vec::new();
        let result = (|| {
            let orig_path = write_new_file_within(dir, &orig_name, &original, space)?;
            written.push(orig_path.clone());
            let crop_path = match &crop {
                Some(bytes) => {
                    let p = write_new_file_within(dir, &crop_name, bytes, space)?;
                    written.push(p.clone());
                    Some(p)
                }
                None => None,
            };
            let side_path = write_new_file_within(dir, &side_name, &sidecar, space)?;
            Ok(SavedShot {
                original: orig_path,
                crop: crop_path,
                sidecar: side_path,
                jpeg_quality: quality,
                original_bytes: original.len(),
            })
        })();
        match result {
            Ok(saved) => return Ok(saved),
            Err(e) => {
                for p in &written {
                    let _ = fs::remove_file(p);
                }
                // Another writer took the name between our check and our link: try the next one.
                if matches!(&e, SaveError::Write { source, .. } if source.kind() == io::ErrorKind::AlreadyExists)
                {
                    continue;
                }
                return Err(e);
            }
        }
    }
    Err(SaveError::NameTaken(format!("{stamp}_{label}")))
}

fn sidecar_json(
    shot: &Shot<'_>,
    original: &str,
    crop: Option<&str>,
    quality: u8,
    now: SystemTime,
) -> serde_json::Value {
    let checks: serde_json::Map<String, serde_json::Value> = shot
        .report
        .checks
        .iter()
        .map(|c| {
            (
                c.id.name().to_owned(),
                json!({ "pass": c.pass, "value": c.value, "hint": c.hint.map(|h| h.text()) }),
            )
        })
        .collect();
    json!({
        "original": original,
        "crop": crop,
        "saved_unix_secs": now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()),
        "side": shot.side,
        "source": shot.source,
        "width": shot.frame.width(),
        "height": shot.frame.height(),
        "jpeg_quality": quality,
        "trigger": shot.decision.trigger,
        "frame": shot.decision.seq,
        "frames_considered": shot.decision.considered,
        "failing": shot.decision.failing.iter().map(|b| b.name()).collect::<Vec<_>>(),
        "ready": shot.report.ready,
        "checks": checks,
        "report": shot.report,
        "spec": shot.spec,
        "guide_spec": shot.guide_spec,
    })
}

fn create_private_dir(dir: &Path) -> Result<(), SaveError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(DIR_MODE);
    }
    builder.create(dir).map_err(|source| SaveError::Folder {
        path: dir.display().to_string(),
        source,
    })
}

/// Writes `bytes` to `dir/name` atomically and never over an existing file: a temporary file in
/// the same folder, fsynced, hard-linked to the final name (which fails if the name exists), then
/// the temporary name removed and the folder fsynced.
pub fn write_new_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf, SaveError> {
    write_new_file_within(dir, name, bytes, &mut FreeSpace::Unlimited)
}

fn write_new_file_within(
    dir: &Path,
    name: &str,
    bytes: &[u8],
    space: &mut FreeSpace,
) -> Result<PathBuf, SaveError> {
    let path = dir.join(name);
    let err = |source: io::Error| SaveError::Write {
        path: path.display().to_string(),
        source,
    };
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| -> io::Result<()> {
        let mut opts = OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(FILE_MODE);
        }
        let mut file = opts.open(&tmp)?;
        match space {
            FreeSpace::Unlimited => file.write_all(bytes)?,
            FreeSpace::Bytes(free) => {
                let fits = bytes
                    .len()
                    .min(usize::try_from(*free).unwrap_or(usize::MAX));
                file.write_all(bytes.get(..fits).unwrap_or_default())?;
                *free -= fits as u64;
                if fits < bytes.len() {
                    return Err(io::Error::new(
                        io::ErrorKind::StorageFull,
                        "No space left on device (os error 28)",
                    ));
                }
            }
        }
        file.sync_all()?;
        drop(file);
        fs::hard_link(&tmp, &path)
    })();
    let _ = fs::remove_file(&tmp);
    result.map_err(err)?;
    // Makes the new name itself durable; not every platform can open a folder, so this is best effort.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(path)
}
