//! The prediction line of `check --json` and `replay --json` (../shared/docs/formats.md).
//!
//! One JSON object per frame: `file`, `width`, `height`, `document`, `checks` (every [`CheckId`]
//! as `{"pass","value","hint"}`), `ready`, `hint`, plus the extra keys `measures`,
//! `glare_regions` and `mrz` (the format allows extra keys; the scorer ignores them).

use serde_json::{Map, Value, json};

use crate::analysis::{CheckId, DocumentFound, FrameReport};
use crate::hints::Hint;

/// The predictions line for one analysed frame. Replay adds `"frame": i` to it.
pub fn prediction_line(file: &str, report: &FrameReport) -> Value {
    let mut checks = Map::new();
    for id in CheckId::ALL {
        let check = report.check(id);
        checks.insert(
            id.name().to_owned(),
            json!({
                "pass": check.pass,
                "value": check.value.map_or(Value::Null, number),
                "hint": hint_text(check.hint),
            }),
        );
    }
    let mut line = json!({
        "file": file,
        "width": report.width,
        "height": report.height,
        "document": report.document.as_ref().map_or(Value::Null, document),
        "checks": checks,
        "ready": report.ready,
        "hint": hint_text(report.hint),
        "measures": to_value_or_null(&report.measures),
        "glare_regions": to_value_or_null(&report.glare_regions),
    });
    if let (Some(mrz), Value::Object(map)) = (&report.mrz, &mut line) {
        map.insert("mrz".to_owned(), to_value_or_null(mrz));
    }
    line
}

/// The line for a file that could not be read: no document, every check failed, not ready.
/// `width`/`height` are null because nothing was decoded.
pub fn error_line(file: &str, error: &str) -> Value {
    let mut checks = Map::new();
    for id in CheckId::ALL {
        checks.insert(
            id.name().to_owned(),
            json!({ "pass": false, "value": Value::Null, "hint": Value::Null }),
        );
    }
    json!({
        "file": file,
        "width": Value::Null,
        "height": Value::Null,
        "document": Value::Null,
        "checks": checks,
        "ready": false,
        "hint": Value::Null,
        "error": error,
    })
}

fn document(found: &DocumentFound) -> Value {
    let corners: Vec<Value> = found
        .quad
        .corners()
        .iter()
        .map(|p| Value::Array(vec![number(p.x), number(p.y)]))
        .collect();
    json!({
        "corners": corners,
        "kind": found.kind.code(),
        "confidence": number(found.confidence),
    })
}

fn hint_text(hint: Option<Hint>) -> Value {
    hint.map_or(Value::Null, |h| Value::String(h.text().to_owned()))
}

/// An f32 as the shortest decimal that reads back as the same f32 (0.3, not 0.30000001192...);
/// NaN and infinities, which JSON cannot hold, become null.
pub fn number(v: f32) -> Value {
    if !v.is_finite() {
        return Value::Null;
    }
    // f32's Display is the shortest round-tripping decimal; parsing it as f64 keeps those digits.
    let shortest: f64 = v.to_string().parse().unwrap_or(f64::from(v));
    serde_json::Number::from_f64(shortest).map_or(Value::Null, Value::Number)
}

/// Serializes one of the report's plain-data parts, with its f32s cleaned up as in [`number`].
fn to_value_or_null<T: serde::Serialize>(part: &T) -> Value {
    serde_json::to_value(part).map_or(Value::Null, tidy_floats)
}

/// serde_json widens f32 to f64 (0.3 becomes 0.30000001192092896): shorten such numbers back.
fn tidy_floats(value: Value) -> Value {
    match value {
        Value::Number(n) if n.is_f64() => n
            .as_f64()
            .map_or(Value::Number(n.clone()), |f| number(f as f32)),
        Value::Array(items) => Value::Array(items.into_iter().map(tidy_floats).collect()),
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, tidy_floats(v))).collect())
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{Check, DocKind, Measures, Point, Quad};

    const FORMAT_CHECKS: [&str; 7] = [
        "document", "corners", "distance", "focus", "glare", "tilt", "exposure",
    ];

    fn report_with_document() -> FrameReport {
        let quad = Quad([
            Point::new(100.0, 50.5),
            Point::new(900.25, 60.0),
            Point::new(880.0, 600.0),
            Point::new(-12.0, 590.0),
        ]);
        let found = DocumentFound {
            quad,
            kind: DocKind::Td3,
            confidence: 0.9,
        };
        let mut checks = CheckId::ALL.map(|id| Check::passed(id, Some(0.3)));
        checks[CheckId::Corners.index()] =
            Check::failed(CheckId::Corners, Some(-0.01), Hint::CornersOutside);
        let measures = Measures {
            fill: Some(0.3),
            ..Measures::default()
        };
        FrameReport::from_checks(1280, 720, Some(found), checks, measures)
    }

    #[test]
    fn line_with_document_has_every_key_of_the_format() {
        let line = prediction_line("a/f1.jpg", &report_with_document());
        assert_eq!(line["file"], "a/f1.jpg");
        assert_eq!(line["width"], 1280);
        assert_eq!(line["height"], 720);
        assert_eq!(line["document"]["kind"], "td3");
        assert_eq!(line["document"]["confidence"], json!(0.9));
        assert_eq!(
            line["document"]["corners"],
            json!([
                [100.0, 50.5],
                [900.25, 60.0],
                [880.0, 600.0],
                [-12.0, 590.0]
            ])
        );
        for name in FORMAT_CHECKS {
            let c = &line["checks"][name];
            assert!(c["pass"].is_boolean(), "{name}");
            assert!(
                c.get("value").is_some() && c.get("hint").is_some(),
                "{name}"
            );
        }
        assert_eq!(line["checks"]["corners"]["pass"], false);
        assert_eq!(line["checks"]["corners"]["value"], json!(-0.01));
        assert_eq!(
            line["checks"]["corners"]["hint"],
            Hint::CornersOutside.text()
        );
        assert_eq!(line["checks"]["focus"]["hint"], Value::Null);
        assert_eq!(line["ready"], false);
        assert_eq!(line["hint"], Hint::CornersOutside.text());
        assert_eq!(line["measures"]["fill"], json!(0.3));
        assert!(line["glare_regions"].is_array());
        assert!(line.get("mrz").is_none());
    }

    #[test]
    fn line_without_document_is_null_document_and_not_ready() {
        let checks = CheckId::ALL.map(Check::unmeasured);
        let report = FrameReport::from_checks(640, 480, None, checks, Measures::default());
        let line = prediction_line("x.png", &report);
        assert_eq!(line["document"], Value::Null);
        assert_eq!(line["ready"], false);
        assert_eq!(line["hint"], Hint::ShowDocument.text());
        assert_eq!(line["checks"]["glare"]["value"], Value::Null);
    }

    #[test]
    fn error_line_fails_every_check() {
        let line = error_line("bad.jpg", "not a JPEG or PNG file");
        assert_eq!(line["error"], "not a JPEG or PNG file");
        assert_eq!(line["document"], Value::Null);
        assert_eq!(line["ready"], false);
        for name in FORMAT_CHECKS {
            assert_eq!(line["checks"][name]["pass"], false, "{name}");
        }
    }

    #[test]
    fn non_finite_numbers_become_null() {
        assert_eq!(number(f32::NAN), Value::Null);
        assert_eq!(number(f32::INFINITY), Value::Null);
        assert_eq!(number(0.1), json!(0.1));
    }
}
