//! Reading image files: format sniffing, decoding limits, EXIF orientation, and the file-level
//! checks a KYC upload form applies before it looks at the picture (format, size, resolution).
//!
//! Pure where it can be: [`decode_image`] works on bytes (tests, fuzzing), [`read_image`] only
//! adds the file read, and [`file_checks`] is plain arithmetic on what was decoded.

use std::fs::File;
use std::io::{Cursor, Read};
use std::path::Path;

use image::{DynamicImage, ImageDecoder, ImageReader, Limits, RgbImage};

/// Largest width or height we decode: beyond any camera, and it stops decompression bombs that
/// declare absurd dimensions in a tiny file.
pub const MAX_DIMENSION: u32 = 16_384;
/// Cap on what a decoder may allocate (the decoded pixels count towards it).
pub const MAX_DECODE_ALLOC: u64 = 1 << 30;
/// Files larger than this are not even read: no photo of a document is anywhere near it.
pub const MAX_FILE_BYTES: u64 = 200 * MIB;

const MIB: u64 = 1024 * 1024;
const KIB: u64 = 1024;
/// Upload forms commonly cap photos at 10 MB and some at 5 MB.
pub const SIZE_WARN_BYTES: u64 = 5 * MIB;
pub const SIZE_FAIL_BYTES: u64 = 10 * MIB;
/// Below this a document photo is so compressed or so small that reviewers see blocks.
pub const SIZE_SMALL_BYTES: u64 = 100 * KIB;
/// Below 1280x720 (either orientation) the print on an ID card is barely legible.
pub const MIN_LONG_SIDE: u32 = 1280;
pub const MIN_SHORT_SIDE: u32 = 720;

const JPEG_MAGIC: &[u8] = &[0xFF, 0xD8, 0xFF];
const PNG_MAGIC: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

/// The file formats idshot reads (and the ones KYC forms accept).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum FileFormat {
    Jpeg,
    Png,
}

impl FileFormat {
    /// Recognises the format from the first bytes, whatever the file is called.
    pub fn sniff(bytes: &[u8]) -> Option<FileFormat> {
        if bytes.starts_with(JPEG_MAGIC) {
            Some(FileFormat::Jpeg)
        } else if bytes.starts_with(PNG_MAGIC) {
            Some(FileFormat::Png)
        } else {
            None
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            FileFormat::Jpeg => "JPEG",
            FileFormat::Png => "PNG",
        }
    }

    /// Whether a file extension (without the dot, any case) belongs to this format.
    pub fn matches_extension(self, ext: &str) -> bool {
        let ext = ext.to_ascii_lowercase();
        match self {
            FileFormat::Jpeg => ext == "jpg" || ext == "jpeg",
            FileFormat::Png => ext == "png",
        }
    }

    fn image_format(self) -> image::ImageFormat {
        match self {
            FileFormat::Jpeg => image::ImageFormat::Jpeg,
            FileFormat::Png => image::ImageFormat::Png,
        }
    }
}

/// Why an image could not be read. Every message is one line, without the file name (the caller
/// prefixes it: `idshot: photo.jpg: not a JPEG or PNG file`).
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("no such file")]
    NotFound,
    #[error("is a folder, not an image file")]
    IsFolder,
    #[error("cannot read the file: {0}")]
    Io(String),
    #[error("empty file")]
    Empty,
    #[error("file too large: {} MB (the most is {} MB)", .bytes / MIB, MAX_FILE_BYTES / MIB)]
    FileTooLarge { bytes: u64 },
    #[error("not a JPEG or PNG file")]
    NotJpegOrPng,
    #[error(
        "image too large: {width}x{height} pixels (the most is {MAX_DIMENSION}x{MAX_DIMENSION})"
    )]
    TooManyPixels { width: u32, height: u32 },
    #[error("truncated JPEG: the end of the image is missing")]
    TruncatedJpeg,
    #[error("corrupt or truncated {}: {detail}", .format.name())]
    Corrupt { format: FileFormat, detail: String },
}

/// A decoded image, upright, with what the file-level checks need.
#[derive(Clone, Debug)]
pub struct LoadedImage {
    /// The pixels as a person sees them: EXIF orientation already applied.
    pub rgb: RgbImage,
    pub format: FileFormat,
    /// Size of the encoded file in bytes.
    pub file_size: u64,
    /// The EXIF orientation that was applied (None when the image was stored upright).
    pub orientation_applied: Option<image::metadata::Orientation>,
    /// Width and height as stored, before orientation.
    pub stored_width: u32,
    pub stored_height: u32,
}

/// Reads and decodes an image file.
pub fn read_image(path: &Path) -> Result<LoadedImage, ImageError> {
    let bytes = read_capped(path)?;
    decode_image(&bytes)
}

fn read_capped(path: &Path) -> Result<Vec<u8>, ImageError> {
    let file = File::open(path).map_err(io_error)?;
    let meta = file.metadata().map_err(io_error)?;
    if meta.is_dir() {
        return Err(ImageError::IsFolder);
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(ImageError::FileTooLarge { bytes: meta.len() });
    }
    let mut bytes = Vec::new();
    // `take` guards against a file that grows while we read it.
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io_error)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ImageError::FileTooLarge {
            bytes: bytes.len() as u64,
        });
    }
    Ok(bytes)
}

fn io_error(err: std::io::Error) -> ImageError {
    match err.kind() {
        std::io::ErrorKind::NotFound => ImageError::NotFound,
        std::io::ErrorKind::IsADirectory => ImageError::IsFolder,
        _ => ImageError::Io(one_line(&err.to_string())),
    }
}

/// Decodes JPEG or PNG bytes (sniffed, not guessed from a name) into upright RGB.
pub fn decode_image(bytes: &[u8]) -> Result<LoadedImage, ImageError> {
    if bytes.is_empty() {
        return Err(ImageError::Empty);
    }
    let format = FileFormat::sniff(bytes).ok_or(ImageError::NotJpegOrPng)?;
    // The JPEG decoder fills a cut-off file with grey instead of failing: catch it here, or a
    // half-uploaded photo would be judged as if it were whole.
    if format == FileFormat::Jpeg && !jpeg_has_end(bytes) {
        return Err(ImageError::TruncatedJpeg);
    }
    let corrupt = |err: image::ImageError| match err {
        image::ImageError::Limits(_) => too_many_pixels(bytes, format),
        other => ImageError::Corrupt {
            format,
            detail: one_line(&other.to_string()),
        },
    };

    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format.image_format());
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(corrupt)?;
    let (stored_width, stored_height) = decoder.dimensions();
    // A broken EXIF block should not cost the picture: treat it as upright.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(corrupt)?;
    let orientation_applied =
        (orientation != image::metadata::Orientation::NoTransforms).then(|| {
            image.apply_orientation(orientation);
            orientation
        });
    Ok(LoadedImage {
        rgb: image.into_rgb8(),
        format,
        file_size: bytes.len() as u64,
        orientation_applied,
        stored_width,
        stored_height,
    })
}

const JPEG_SOS: [u8; 2] = [0xFF, 0xDA];
const JPEG_EOI: [u8; 2] = [0xFF, 0xD9];

/// Whether an end-of-image marker follows the last start-of-scan. Scan data byte-stuffs 0xFF, so
/// neither marker occurs inside it; data appended after the image (maker trailers) is fine.
fn jpeg_has_end(bytes: &[u8]) -> bool {
    let last_scan = bytes.windows(2).rposition(|w| w == JPEG_SOS);
    let after_scan = last_scan.and_then(|i| bytes.get(i..)).unwrap_or(bytes);
    after_scan.windows(2).any(|w| w == JPEG_EOI)
}

/// The limits error does not say the dimensions: read them from the header for the message.
fn too_many_pixels(bytes: &[u8], format: FileFormat) -> ImageError {
    let dims = ImageReader::with_format(Cursor::new(bytes), format.image_format())
        .into_dimensions()
        .ok();
    match dims {
        Some((width, height)) => ImageError::TooManyPixels { width, height },
        None => ImageError::Corrupt {
            format,
            detail: "too large to decode".to_owned(),
        },
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A file-level verdict: pass, a warning the person may ignore, or a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Pass,
    Warn,
    Fail,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileCheckId {
    Format,
    Size,
    Resolution,
}

impl FileCheckId {
    pub const ALL: [FileCheckId; 3] = [
        FileCheckId::Format,
        FileCheckId::Size,
        FileCheckId::Resolution,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FileCheckId::Format => "format",
            FileCheckId::Size => "size",
            FileCheckId::Resolution => "resolution",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            FileCheckId::Format => "JPG or PNG",
            FileCheckId::Size => "File size",
            FileCheckId::Resolution => "Resolution",
        }
    }
}

/// One file-level check: what was found (`value`, for people) and what to do about it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct FileCheck {
    pub id: FileCheckId,
    pub level: Level,
    pub value: String,
    pub hint: Option<&'static str>,
}

const HINT_NAMED_WRONG: &str = "The file's name does not match its format: rename it";
const HINT_OVER_FAIL: &str = "Over 10 MB: most upload forms refuse it, save it smaller";
const HINT_OVER_WARN: &str = "Over 5 MB: some upload forms refuse it";
const HINT_UNDER: &str = "Under 100 KB: likely too compressed to read the print";
const HINT_LOW_RES: &str = "Below 1280x720: 1080p or more where the camera has it";

/// The checks an upload form makes on the file itself. `extension` is the file name's extension,
/// when there is one, to warn about a PNG named .jpg (some forms trust the name).
pub fn file_checks(image: &LoadedImage, extension: Option<&str>) -> [FileCheck; 3] {
    let format_named_wrong = extension.is_some_and(|ext| !image.format.matches_extension(ext));
    let format = FileCheck {
        id: FileCheckId::Format,
        level: if format_named_wrong {
            Level::Warn
        } else {
            Level::Pass
        },
        value: image.format.name().to_owned(),
        hint: format_named_wrong.then_some(HINT_NAMED_WRONG),
    };

    let (size_level, size_hint) = match image.file_size {
        s if s > SIZE_FAIL_BYTES => (Level::Fail, Some(HINT_OVER_FAIL)),
        s if s > SIZE_WARN_BYTES => (Level::Warn, Some(HINT_OVER_WARN)),
        s if s < SIZE_SMALL_BYTES => (Level::Warn, Some(HINT_UNDER)),
        _ => (Level::Pass, None),
    };
    let size = FileCheck {
        id: FileCheckId::Size,
        level: size_level,
        value: human_size(image.file_size),
        hint: size_hint,
    };

    let (w, h) = image.rgb.dimensions();
    let low_res = w.max(h) < MIN_LONG_SIDE || w.min(h) < MIN_SHORT_SIDE;
    let resolution = FileCheck {
        id: FileCheckId::Resolution,
        level: if low_res { Level::Warn } else { Level::Pass },
        value: format!("{w}x{h}"),
        hint: low_res.then_some(HINT_LOW_RES),
    };
    [format, size, resolution]
}

/// "840 KB", "6.2 MB" (binary units, as upload forms count them).
pub fn human_size(bytes: u64) -> String {
    if bytes >= MIB {
        format!("{:.1} MB", bytes as f64 / MIB as f64)
    } else {
        format!("{} KB", bytes.div_ceil(KIB))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageEncoder, Rgb};

    fn png_bytes(w: u32, h: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(w, h, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 128]));
        let mut out = Vec::new();
        let encoder = image::codecs::png::PngEncoder::new(&mut out);
        encoder
            .write_image(img.as_raw(), w, h, image::ExtendedColorType::Rgb8)
            .map(|()| out)
            .unwrap_or_default()
    }

    fn jpeg_bytes(w: u32, h: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(w, h, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
        let mut out = Vec::new();
        let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90);
        encoder
            .write_image(img.as_raw(), w, h, image::ExtendedColorType::Rgb8)
            .map(|()| out)
            .unwrap_or_default()
    }

    fn loaded(w: u32, h: u32, file_size: u64) -> LoadedImage {
        LoadedImage {
            rgb: RgbImage::new(w, h),
            format: FileFormat::Jpeg,
            file_size,
            orientation_applied: None,
            stored_width: w,
            stored_height: h,
        }
    }

    #[test]
    fn decodes_png_and_jpeg_by_content() {
        let png = decode_image(&png_bytes(40, 30)).map_err(|e| e.to_string());
        assert_eq!(
            png.as_ref().map(|i| (i.format, i.rgb.dimensions())),
            Ok((FileFormat::Png, (40, 30)))
        );
        let jpg = decode_image(&jpeg_bytes(64, 48)).map_err(|e| e.to_string());
        assert_eq!(
            jpg.as_ref().map(|i| (i.format, i.rgb.dimensions())),
            Ok((FileFormat::Jpeg, (64, 48)))
        );
    }

    #[test]
    fn bad_bytes_give_one_line_errors() {
        let cases: [(&[u8], &str); 3] = [
            (b"", "empty file"),
            (b"hello, this is text", "not a JPEG or PNG file"),
            (b"GIF89a\x01\x00\x01\x00", "not a JPEG or PNG file"),
        ];
        for (bytes, message) in cases {
            let err = decode_image(bytes).err().map(|e| e.to_string());
            assert_eq!(err.as_deref(), Some(message));
        }
    }

    #[test]
    fn truncated_files_never_panic_and_errors_are_one_line() {
        for full in [jpeg_bytes(64, 48), png_bytes(64, 48)] {
            for cut in [3, 8, 20, 100, full.len() / 2, full.len() - 1] {
                if let Err(err) = decode_image(full.get(..cut).unwrap_or_default()) {
                    assert!(!err.to_string().contains('\n'), "{err}");
                }
            }
        }
    }

    #[test]
    fn cut_jpeg_is_truncated_and_trailers_are_fine() {
        let full = jpeg_bytes(64, 48);
        for cut in [full.len() / 2, full.len() - 2] {
            let err = decode_image(full.get(..cut).unwrap_or_default())
                .err()
                .map(|e| e.to_string());
            assert_eq!(
                err.as_deref(),
                Some("truncated JPEG: the end of the image is missing")
            );
        }
        let mut with_trailer = full.clone();
        with_trailer.extend_from_slice(b"SEFHmaker trailer\x00\x00");
        assert!(decode_image(&with_trailer).is_ok());
    }

    #[test]
    fn jpeg_magic_without_an_image_is_refused() {
        let err = |bytes: &[u8]| decode_image(bytes).err().map(|e| e.to_string());
        assert_eq!(
            err(&[0xFF, 0xD8, 0xFF]).as_deref(),
            Some("truncated JPEG: the end of the image is missing")
        );
        let garbage = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x02, 0x12, 0x34, 0xFF, 0xD9];
        assert!(err(&garbage).is_some_and(|e| e.starts_with("corrupt or truncated JPEG: ")));
    }

    /// CRC-32 (ISO-HDLC), as PNG chunks use.
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn declared_huge_png_is_refused_as_too_large() {
        // A valid PNG whose header claims 20000x20000 pixels (a decompression bomb's opening).
        let mut bytes = png_bytes(1, 1);
        let dims_at = 16; // 8 signature + 4 length + 4 "IHDR"
        let dims = [20_000u32.to_be_bytes(), 20_000u32.to_be_bytes()].concat();
        bytes.splice(dims_at..dims_at + 8, dims);
        let crc = bytes.get(12..29).map(crc32).unwrap_or_default();
        bytes.splice(29..33, crc.to_be_bytes());
        let err = decode_image(&bytes).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("image too large: 20000x20000 pixels (the most is 16384x16384)")
        );
    }

    #[test]
    fn size_thresholds() {
        let level = |size| file_checks(&loaded(1920, 1080, size), Some("jpg"))[1].level;
        assert_eq!(level(50 * KIB), Level::Warn);
        assert_eq!(level(2 * MIB), Level::Pass);
        assert_eq!(level(6 * MIB), Level::Warn);
        assert_eq!(level(11 * MIB), Level::Fail);
    }

    #[test]
    fn resolution_warns_below_720p_in_either_orientation() {
        let level = |w, h| file_checks(&loaded(w, h, MIB), None)[2].level;
        assert_eq!(level(1280, 720), Level::Pass);
        assert_eq!(level(720, 1280), Level::Pass);
        assert_eq!(level(1024, 768), Level::Warn);
        assert_eq!(level(640, 480), Level::Warn);
    }

    #[test]
    fn format_warns_when_the_name_lies() {
        let check = |ext| file_checks(&loaded(1920, 1080, MIB), ext)[0].level;
        assert_eq!(check(Some("JPG")), Level::Pass);
        assert_eq!(check(Some("jpeg")), Level::Pass);
        assert_eq!(check(Some("png")), Level::Warn);
        assert_eq!(check(None), Level::Pass);
    }
}
