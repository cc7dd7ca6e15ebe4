//! Privacy: no network client anywhere in the dependency tree, and saved captures readable by
//! their owner only, with no temporary file left anywhere in the folder.
//!
//! What Cargo.lock does hold that sounds network-ish (checked with `cargo tree -i` when this test
//! was written): `webbrowser` with `url`, `idna`, `form_urlencoded`, `percent-encoding` (eframe's
//! egui-winit: a clicked hyperlink opens in the system browser; no request is made here), `tokio`
//! (only through wasm-bindgen-futures, for the web target: not built on desktops) and `zbus`
//! (D-Bus for accessibility, a local socket). None of them is an HTTP or TLS client.

use std::time::UNIX_EPOCH;

use idshot::analysis::{CheckId, FrameReport, Measures, Spec};
use idshot::guidance::{CaptureDecision, GuideSpec, Trigger};
use idshot::save::{Shot, Side, write_shot};
use image::RgbImage;

/// HTTP, TLS and socket-level network client crates. A crate here in Cargo.lock fails the test.
const NETWORK_CLIENTS: [&str; 24] = [
    "reqwest",
    "hyper",
    "hyper-util",
    "hyper-tls",
    "hyper-rustls",
    "ureq",
    "curl",
    "curl-sys",
    "isahc",
    "surf",
    "attohttpc",
    "h2",
    "h3",
    "quinn",
    "native-tls",
    "openssl",
    "openssl-sys",
    "rustls",
    "tokio-rustls",
    "tokio-native-tls",
    "ehttp",
    "websocket",
    "tungstenite",
    "minreq",
];

fn locked_package_names() -> Vec<String> {
    let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock"))
        .unwrap_or_else(|e| panic!("Cargo.lock: {e}"));
    lock.lines()
        .filter_map(|l| l.strip_prefix("name = "))
        .map(|n| n.trim().trim_matches('"').to_owned())
        .collect()
}

#[test]
fn no_network_client_is_in_the_dependency_tree() {
    let names = locked_package_names();
    assert!(names.iter().any(|n| n == "image"), "parsed Cargo.lock");
    let found: Vec<&String> = names
        .iter()
        .filter(|n| NETWORK_CLIENTS.contains(&n.as_str()))
        .collect();
    assert!(found.is_empty(), "network clients in Cargo.lock: {found:?}");
}

#[cfg(unix)]
#[test]
fn captures_are_owner_only_and_no_temporary_file_is_left() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("captures");
    let frame = RgbImage::from_fn(200, 120, |x, y| image::Rgb([x as u8, y as u8, 90]));
    let report = FrameReport::from_checks(
        200,
        120,
        None,
        CheckId::ALL.map(idshot::analysis::Check::unmeasured),
        Measures::default(),
    );
    let decision = CaptureDecision {
        seq: 0,
        trigger: Trigger::Manual,
        failing: vec![],
        considered: vec![0],
        t_secs: 0.0,
    };
    let (spec, gspec) = (Spec::default(), GuideSpec::default());
    let shot = Shot {
        frame: &frame,
        report: &report,
        decision: &decision,
        spec: &spec,
        guide_spec: &gspec,
        side: Side::Front,
        source: "test",
    };
    // Two shots in the same second: the second takes a numbered name, also owner-only.
    let first = write_shot(&dir, &shot, UNIX_EPOCH).expect("saves");
    let second = write_shot(&dir, &shot, UNIX_EPOCH).expect("saves again");
    assert_ne!(first.original, second.original);

    let dir_mode = std::fs::metadata(&dir)
        .expect("folder")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(dir_mode, 0o700, "the folder it created is owner-only");
    let entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("ls")
        .filter_map(|e| e.ok())
        .collect();
    assert_eq!(
        entries.len(),
        4,
        "two originals and two sidecars (no document, no crop)"
    );
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(
            !name.starts_with('.') && !name.ends_with(".tmp"),
            "temporary file {name}"
        );
        let mode = entry.metadata().expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{name} is {mode:o}");
    }
    // Nothing beside the folder either.
    let beside: Vec<_> = std::fs::read_dir(root.path())
        .expect("ls")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .collect();
    assert_eq!(beside, vec![std::ffi::OsString::from("captures")]);
}
