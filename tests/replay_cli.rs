//! `idshot replay` as a person runs it.

use std::path::Path;
use std::process::Command;

fn idshot() -> Command {
    Command::new(env!("CARGO_BIN_EXE_idshot"))
}

#[test]
fn json_replay_prints_one_line_per_frame_with_its_index() {
    let seq = Path::new("../shared/data/dev/seq02");
    if !seq.exists() {
        eprintln!("skipped: {} absent", seq.display());
        return;
    }
    let out = idshot()
        .args(["replay", "--json", "--fps", "240"])
        .arg(seq)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let n = std::fs::read_dir(seq)
        .expect("ls")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "jpg"))
        .count();
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    let frames: Vec<u64> = lines
        .iter()
        .filter(|l| l.get("event").is_none())
        .filter_map(|l| l["frame"].as_u64())
        .collect();
    assert_eq!(frames, (0..n as u64).collect::<Vec<_>>());
    for l in lines.iter().filter(|l| l.get("event").is_some()) {
        assert_eq!(l["event"], "capture");
        assert!(l["frame"].is_u64());
    }
}

#[test]
fn unreadable_input_exits_2() {
    let out = idshot()
        .args(["replay", "/nonexistent/frames"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("000000.jpg"), b"not a jpeg").expect("write");
    let out = idshot()
        .arg("replay")
        .arg("--json")
        .arg(dir.path())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("000000.jpg"));
}
