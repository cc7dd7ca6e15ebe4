//! `idshot check` end to end: images written to a temp folder, the real binary run on them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use idshot::analysis::{Analyzer, Spec};
use idshot::scene::{SceneSpec, render};
use image::{ImageEncoder, Rgb, RgbImage};
use serde_json::Value;

const FORMAT_KEYS: [&str; 7] = [
    "file", "width", "height", "document", "checks", "ready", "hint",
];
const FORMAT_CHECKS: [&str; 7] = [
    "document", "corners", "distance", "focus", "glare", "tilt", "exposure",
];

fn idshot(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_idshot"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run idshot: {e}"))
}

fn check_json(paths: &[&Path]) -> (Option<i32>, Vec<Value>, String) {
    let mut args = vec!["check", "--json"];
    args.extend(paths.iter().map(|p| p.to_str().unwrap_or_default()));
    let out = idshot(&args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    (
        out.status.code(),
        lines,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn png_bytes(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap_or_else(|e| panic!("png encode: {e}"));
    out
}

fn jpeg_bytes(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92)
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap_or_else(|e| panic!("jpeg encode: {e}"));
    out
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("write {name}: {e}"));
    path
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"))
}

/// A uniform grey frame: nothing to find, so never ready.
fn grey(w: u32, h: u32) -> RgbImage {
    RgbImage::from_pixel(w, h, Rgb([128, 128, 128]))
}

/// Incompressible pixels, to make files of a known minimum size.
fn noise(w: u32, h: u32) -> RgbImage {
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    RgbImage::from_fn(w, h, |_, _| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let [a, b, c, ..] = state.to_le_bytes();
        Rgb([a, b, c])
    })
}

fn assert_prediction_line(line: &Value) {
    for key in FORMAT_KEYS {
        assert!(line.get(key).is_some(), "missing {key:?} in {line}");
    }
    for name in FORMAT_CHECKS {
        let check = &line["checks"][name];
        assert!(check["pass"].is_boolean(), "checks.{name}.pass in {line}");
        assert!(
            check["value"].is_number() || check["value"].is_null(),
            "checks.{name}.value"
        );
        assert!(
            check["hint"].is_string() || check["hint"].is_null(),
            "checks.{name}.hint"
        );
    }
    assert!(line["ready"].is_boolean());
    assert!(line["hint"].is_string() || line["hint"].is_null());
    match &line["document"] {
        Value::Null => {}
        doc => {
            let corners = doc["corners"].as_array().map(Vec::len);
            assert_eq!(corners, Some(4), "{doc}");
            assert!(matches!(doc["kind"].as_str(), Some("id1" | "td3")), "{doc}");
            assert!(doc["confidence"].is_number());
        }
    }
}

#[test]
fn json_lines_have_every_key_in_input_order() {
    let dir = temp_dir();
    let scene = render(&SceneSpec::default()).image;
    let a = write(dir.path(), "scene.png", &png_bytes(&scene));
    let b = write(dir.path(), "scene.jpg", &jpeg_bytes(&scene));
    let c = write(dir.path(), "grey.png", &png_bytes(&grey(640, 480)));

    let (_, lines, _) = check_json(&[&c, &a, &b]);
    assert_eq!(lines.len(), 3);
    for (line, path) in lines.iter().zip([&c, &a, &b]) {
        assert_prediction_line(line);
        assert_eq!(line["file"], path.to_str().unwrap_or_default());
        assert!(line["file_checks"].is_object());
    }
    assert_eq!(
        (&lines[0]["width"], &lines[0]["height"]),
        (&Value::from(640), &Value::from(480))
    );
    assert_eq!(
        (&lines[1]["width"], &lines[1]["height"]),
        (&Value::from(1280), &Value::from(720))
    );
    assert_eq!(lines[0]["document"], Value::Null);
    assert_eq!(lines[0]["ready"], false);
    assert_eq!(lines[1]["format"], "PNG");
    assert_eq!(lines[2]["format"], "JPEG");
}

#[test]
fn exit_code_follows_the_library_verdict() {
    let dir = temp_dir();
    let scene = render(&SceneSpec::default()).image;
    let path = write(dir.path(), "scene.png", &png_bytes(&scene));
    let ready = Analyzer::new(Spec::default()).analyze(&scene).ready;
    let (code, lines, _) = check_json(&[&path]);
    assert_eq!(lines[0]["ready"], ready);
    assert_eq!(code, Some(if ready { 0 } else { 1 }));
}

#[test]
fn default_scene_is_ready_and_exits_0() {
    let dir = temp_dir();
    let path = write(
        dir.path(),
        "scene.png",
        &png_bytes(&render(&SceneSpec::default()).image),
    );
    let (code, lines, stderr) = check_json(&[&path]);
    assert_eq!(lines[0]["ready"], true, "{}", lines[0]);
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn no_document_exits_1() {
    let dir = temp_dir();
    let path = write(dir.path(), "grey.png", &png_bytes(&grey(1280, 720)));
    let (code, lines, stderr) = check_json(&[&path]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(lines[0]["checks"]["document"]["pass"], false);
    assert!(stderr.is_empty(), "no error for a readable file: {stderr}");
}

#[test]
fn unreadable_files_exit_2_and_the_others_are_still_checked() {
    let dir = temp_dir();
    let good = write(dir.path(), "good.png", &png_bytes(&grey(320, 240)));
    let full_jpeg = jpeg_bytes(&noise(320, 240));
    let cases: Vec<PathBuf> = vec![
        write(dir.path(), "text.jpg", b"this is not an image\n"),
        write(dir.path(), "empty.png", b""),
        write(dir.path(), "magic_only.jpg", &[0xFF, 0xD8, 0xFF]),
        write(
            dir.path(),
            "header_only.jpg",
            full_jpeg.get(..200).unwrap_or_default(),
        ),
        dir.path().join("missing.jpg"),
    ];
    let mut paths: Vec<&Path> = cases.iter().map(PathBuf::as_path).collect();
    paths.insert(2, &good);

    let (code, lines, stderr) = check_json(&paths);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(
        lines.len(),
        paths.len(),
        "one line per file, readable or not"
    );
    for (line, path) in lines.iter().zip(&paths) {
        assert_prediction_line(line);
        assert_eq!(line["file"], path.to_str().unwrap_or_default());
    }
    assert!(
        lines[2].get("error").is_none(),
        "the good file is analysed: {}",
        lines[2]
    );
    let errors: Vec<&Value> = lines.iter().filter(|l| l.get("error").is_some()).collect();
    assert_eq!(errors.len(), cases.len());
    for line in errors {
        assert_eq!(line["document"], Value::Null);
        assert_eq!(line["ready"], false);
        for name in FORMAT_CHECKS {
            assert_eq!(line["checks"][name]["pass"], false, "{line}");
        }
    }
    // One stderr line per unreadable file, naming it.
    let stderr_lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(stderr_lines.len(), cases.len(), "{stderr}");
    for path in &cases {
        let shown = path.to_str().unwrap_or_default();
        assert!(
            stderr_lines
                .iter()
                .any(|l| l.starts_with(&format!("idshot: {shown}: "))),
            "{shown} in {stderr}"
        );
    }
    assert!(
        stderr.contains("text.jpg: not a JPEG or PNG file"),
        "{stderr}"
    );
    assert!(stderr.contains("empty.png: empty file"), "{stderr}");
    assert!(stderr.contains("missing.jpg: no such file"), "{stderr}");
}

#[test]
fn truncated_jpeg_never_panics() {
    let dir = temp_dir();
    let full = jpeg_bytes(&noise(640, 480));
    let paths: Vec<PathBuf> = [0.1, 0.5, 0.9, 0.99]
        .iter()
        .map(|f| {
            let cut = (full.len() as f64 * f) as usize;
            write(
                dir.path(),
                &format!("cut{cut}.jpg"),
                full.get(..cut).unwrap_or_default(),
            )
        })
        .collect();
    let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    let (code, lines, stderr) = check_json(&refs);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(lines.len(), paths.len());
    for line in &lines {
        assert_eq!(
            line["error"], "truncated JPEG: the end of the image is missing",
            "{line}"
        );
    }
    assert_eq!(stderr.lines().count(), paths.len(), "{stderr}");
}

/// A JPEG with an EXIF APP1 segment holding only the orientation tag.
fn jpeg_with_orientation(img: &RgbImage, orientation: u16) -> Vec<u8> {
    let jpeg = jpeg_bytes(img);
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"MM\x00\x2A"); // big-endian TIFF header
    tiff.extend_from_slice(&8u32.to_be_bytes()); // first IFD right after the header
    tiff.extend_from_slice(&1u16.to_be_bytes()); // one entry
    tiff.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
    tiff.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_be_bytes()); // count
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]); // value padding
    tiff.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
    let payload_len = 2 + 6 + tiff.len();
    let mut app1 = vec![0xFF, 0xE1];
    app1.extend_from_slice(&(payload_len as u16).to_be_bytes());
    app1.extend_from_slice(b"Exif\x00\x00");
    app1.extend_from_slice(&tiff);
    // Right after SOI.
    let mut out = jpeg.get(..2).unwrap_or_default().to_vec();
    out.extend_from_slice(&app1);
    out.extend_from_slice(jpeg.get(2..).unwrap_or_default());
    out
}

#[test]
fn exif_orientation_is_applied_before_analysis() {
    let dir = temp_dir();
    // Stored 320 wide, 200 tall; orientation 6 = rotate 90° clockwise to view, so 200x320 upright.
    let img = noise(320, 200);
    let rotated = write(dir.path(), "rotated.jpg", &jpeg_with_orientation(&img, 6));
    let upright = write(dir.path(), "upright.jpg", &jpeg_with_orientation(&img, 1));
    let (_, lines, stderr) = check_json(&[&rotated, &upright]);
    assert_eq!(lines.len(), 2, "{stderr}");
    assert_eq!(
        (lines[0]["width"].as_u64(), lines[0]["height"].as_u64()),
        (Some(200), Some(320))
    );
    assert_eq!(lines[0]["orientation_applied"], true);
    assert_eq!(
        (lines[1]["width"].as_u64(), lines[1]["height"].as_u64()),
        (Some(320), Some(200))
    );
    assert_eq!(lines[1]["orientation_applied"], false);
}

#[test]
fn folder_argument_checks_the_images_inside_sorted() {
    let dir = temp_dir();
    let small = png_bytes(&grey(64, 48));
    write(dir.path(), "b.png", &small);
    write(dir.path(), "a.JPG", &jpeg_bytes(&grey(64, 48)));
    write(dir.path(), "c.jpeg", &jpeg_bytes(&grey(64, 48)));
    write(dir.path(), "notes.txt", b"not an image");
    std::fs::create_dir(dir.path().join("sub.png")).unwrap_or_else(|e| panic!("{e}"));

    let (code, lines, stderr) = check_json(&[dir.path()]);
    let names: Vec<String> = lines
        .iter()
        .filter_map(|l| l["file"].as_str())
        .filter_map(|f| {
            Path::new(f)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .collect();
    assert_eq!(names, ["a.JPG", "b.png", "c.jpeg"], "{stderr}");
    assert_eq!(code, Some(1), "{stderr}");
}

#[test]
fn empty_folder_is_an_input_error() {
    let dir = temp_dir();
    let (code, _, stderr) = check_json(&[dir.path()]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("no .jpg, .jpeg or .png files"), "{stderr}");
}

fn file_check<'a>(line: &'a Value, name: &str) -> &'a Value {
    &line["file_checks"][name]
}

#[test]
fn file_size_and_resolution_checks() {
    let dir = temp_dir();
    let tiny = write(dir.path(), "tiny.png", &png_bytes(&grey(1920, 1080)));
    let over5 = write(dir.path(), "over5.png", &png_bytes(&noise(1600, 1200)));
    let over10 = write(dir.path(), "over10.png", &png_bytes(&noise(2400, 1600)));
    let normal = write(dir.path(), "normal.jpg", &jpeg_bytes(&noise(1280, 720)));
    let lowres = write(dir.path(), "lowres.jpg", &jpeg_bytes(&noise(1024, 576)));
    let (_, lines, stderr) = check_json(&[&tiny, &over5, &over10, &normal, &lowres]);
    assert_eq!(lines.len(), 5, "{stderr}");
    let size_levels: Vec<&str> = lines
        .iter()
        .map(|l| file_check(l, "size")["level"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(size_levels, ["warn", "warn", "fail", "pass", "pass"]);
    assert_eq!(file_check(&lines[2], "size")["pass"], false);
    let res_levels: Vec<&str> = lines
        .iter()
        .map(|l| file_check(l, "resolution")["level"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(res_levels, ["pass", "pass", "pass", "pass", "warn"]);
    let hint = file_check(&lines[4], "resolution")["hint"]
        .as_str()
        .unwrap_or("");
    assert!(
        hint.contains("1080p or more where the camera has it"),
        "{hint}"
    );
    assert_eq!(file_check(&lines[3], "format")["value"], "JPEG");
}

#[test]
fn png_named_jpg_is_read_by_content_with_a_warning() {
    let dir = temp_dir();
    let path = write(dir.path(), "actually_png.jpg", &png_bytes(&grey(200, 100)));
    let (code, lines, stderr) = check_json(&[&path]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(lines[0]["format"], "PNG");
    assert_eq!(file_check(&lines[0], "format")["level"], "warn");
}

#[test]
fn readable_checklist_without_json() {
    let dir = temp_dir();
    let path = write(dir.path(), "grey.png", &png_bytes(&grey(640, 480)));
    let out = idshot(&["check", path.to_str().unwrap_or_default()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text.starts_with(&format!("{}: not ready: ", path.display())),
        "{text}"
    );
    for label in [
        "Document in view",
        "All four corners",
        "Distance",
        "Sharp",
        "No glare",
        "Light",
        "Resolution",
    ] {
        assert!(text.contains(label), "{label} in {text}");
    }
    assert!(text.contains("✗ Document in view"), "{text}");
    assert!(text.contains("! Resolution"), "{text}");
    assert!(
        text.contains("Hold your ID card up to the camera"),
        "{text}"
    );
}

/// A passport page wholly in view: the checklist tells whether its machine-readable zone shows.
#[test]
fn readable_checklist_tells_a_passports_machine_readable_zone() {
    let dir = temp_dir();
    let scene = idshot::scene::render(&idshot::scene::SceneSpec {
        kind: idshot::analysis::DocKind::Td3,
        ..idshot::scene::SceneSpec::default()
    });
    let path = write(dir.path(), "passport.png", &png_bytes(&scene.image));
    let out = idshot(&["check", path.to_str().unwrap_or_default()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("✓ Machine-readable lines"), "{text}");
    assert!(text.contains("two lines found"), "{text}");
    let card = write(
        dir.path(),
        "card.png",
        &png_bytes(&idshot::scene::render(&idshot::scene::SceneSpec::default()).image),
    );
    let out = idshot(&["check", card.to_str().unwrap_or_default()]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("Machine-readable"));
}

#[test]
fn kind_option_is_accepted_and_validated() {
    let dir = temp_dir();
    let path = write(dir.path(), "grey.png", &png_bytes(&grey(64, 48)));
    let shown = path.to_str().unwrap_or_default();
    for kind in ["id-card", "passport", "auto"] {
        let out = idshot(&["check", "--json", "--kind", kind, shown]);
        assert_eq!(out.status.code(), Some(1), "--kind {kind}");
    }
    let out = idshot(&["check", "--kind", "banana", shown]);
    assert_eq!(out.status.code(), Some(2));
}

/// The shared dev frames, when this machine has them.
fn shared_frames() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/dev/frames");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("note: {} is absent, skipping", dir.display());
        None
    }
}

#[test]
fn shared_frames_give_one_parsable_line_each() {
    let Some(dir) = shared_frames() else { return };
    let mut frames: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    frames.retain(|p| p.extension().is_some_and(|e| e == "jpg"));
    frames.sort();
    frames.truncate(6);
    assert!(!frames.is_empty(), "no frames in {}", dir.display());
    let refs: Vec<&Path> = frames.iter().map(PathBuf::as_path).collect();
    let (code, lines, stderr) = check_json(&refs);
    assert!(matches!(code, Some(0 | 1)), "exit {code:?}: {stderr}");
    assert_eq!(lines.len(), frames.len());
    for (line, path) in lines.iter().zip(&frames) {
        assert_prediction_line(line);
        assert_eq!(line["file"], path.to_str().unwrap_or_default());
        assert!(line.get("error").is_none(), "{line}");
    }
}
