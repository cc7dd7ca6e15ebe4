//! A small single-stroke font (A-Z, 0-9, '<' and a little punctuation) on a 4 x 6 grid, enough to
//! print plausible field values and a machine-readable zone.

/// Grid size of a glyph cell: x in 0..=4, y in 0..=6 (y down, 6 = baseline).
pub const GRID_W: f32 = 4.0;
pub const GRID_H: f32 = 6.0;

/// Strokes as polylines of "xy" digit pairs separated by spaces; '/' separates strokes.
fn strokes(c: char) -> &'static str {
    match c {
        'A' => "06 20 46/14 34",
        'B' => "06 00 30 41 42 33 03/33 44 45 36 06",
        'C' => "41 30 10 01 05 16 36 45",
        'D' => "00 06 26 44 42 20 00",
        'E' => "40 00 06 46/03 33",
        'F' => "40 00 06/03 33",
        'G' => "41 30 10 01 05 16 36 45 43 23",
        'H' => "00 06/40 46/03 43",
        'I' => "10 30/20 26/16 36",
        'J' => "20 40/30 35 26 16 05",
        'K' => "00 06/40 03 46/13 03",
        'L' => "00 06 46",
        'M' => "06 00 23 40 46",
        'N' => "06 00 46 40",
        'O' => "10 30 41 45 36 16 05 01 10",
        'P' => "06 00 30 41 42 33 03",
        'Q' => "10 30 41 45 36 16 05 01 10/24 46",
        'R' => "06 00 30 41 42 33 03/23 46",
        'S' => "41 30 10 01 02 13 33 44 45 36 16 05",
        'T' => "00 40/20 26",
        'U' => "00 05 16 36 45 40",
        'V' => "00 26 40",
        'W' => "00 16 23 36 40",
        'X' => "00 46/40 06",
        'Y' => "00 23 40/23 26",
        'Z' => "00 40 06 46",
        '0' => "10 30 41 45 36 16 05 01 10",
        '1' => "11 20 26/16 36",
        '2' => "01 10 30 41 42 06 46",
        '3' => "01 10 30 41 42 33 13/33 44 45 36 16 05",
        '4' => "30 04 44/30 36",
        '5' => "40 00 03 33 44 45 36 06",
        '6' => "30 10 01 05 16 36 45 44 33 13 04",
        '7' => "00 40 16",
        '8' => "10 30 41 42 33 13 04 05 16 36 45 44 33/13 02 01 10",
        '9' => "42 33 13 02 01 10 30 41 45 36 16",
        '<' => "31 13 35",
        '.' => "26 26",
        ',' => "26 15",
        '-' => "13 33",
        '/' => "06 40",
        _ => "",
    }
}

/// The strokes of `c` as line segments in grid units ((x0, y0), (x1, y1)).
pub fn segments(c: char) -> Vec<((f32, f32), (f32, f32))> {
    let mut out = Vec::new();
    for stroke in strokes(c.to_ascii_uppercase()).split('/') {
        let pts: Vec<(f32, f32)> = stroke
            .split_whitespace()
            .filter_map(|p| {
                let mut d = p.chars().filter_map(|ch| ch.to_digit(10));
                Some((d.next()? as f32, d.next()? as f32))
            })
            .collect();
        match pts.as_slice() {
            [single] => out.push((*single, *single)),
            _ => out.extend(
                pts.windows(2)
                    .filter_map(|w| Some((*w.first()?, *w.get(1)?))),
            ),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mrz_character_has_strokes_inside_the_cell() {
        for c in ('A'..='Z').chain('0'..='9').chain(['<']) {
            let segs = segments(c);
            assert!(!segs.is_empty(), "{c}");
            for ((x0, y0), (x1, y1)) in segs {
                for (x, y) in [(x0, y0), (x1, y1)] {
                    assert!(
                        (0.0..=GRID_W).contains(&x) && (0.0..=GRID_H).contains(&y),
                        "{c}"
                    );
                }
            }
        }
        assert!(segments(' ').is_empty());
    }
}
