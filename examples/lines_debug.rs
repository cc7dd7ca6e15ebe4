//! Draws the Hough lines found on a frame's working copy: `lines_debug IN OUT.png`.
use idshot::analysis::locate::Locator;
use idshot::analysis::work::WorkImage;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let img = image::open(&args[1])?.to_rgb8();
    let mut work = WorkImage::default();
    work.rebuild(&img, 640);
    // COARSE=k: look at the working copy k times coarser, as the analysis does when the fine pass
    // finds nothing.
    if let Some(k) = std::env::var("COARSE").ok().and_then(|v| v.parse().ok()) {
        let fine = std::mem::take(&mut work);
        work.rebuild_coarser(&fine, k);
    }
    // BRIGHTEN=passes: that copy with its levels stretched and smoothed, as the last look in dark
    // frames sees it.
    if let Some(passes) = std::env::var("BRIGHTEN").ok().and_then(|v| v.parse().ok()) {
        let plain = std::mem::take(&mut work);
        work.rebuild_brightened(&plain, passes);
    }
    // The locator's own lines: its thresholds, the sides seen where stripes stop (marked
    // "stripes") before the frame borders.
    let mut locator = Locator::default();
    let lines = locator.find_lines(&work);
    let mut out = image::RgbImage::from_fn(work.width as u32, work.height as u32, |x, y| {
        let i = work.idx(x as usize, y as usize);
        if work.edge[i] != 0 {
            image::Rgb([255, 255, 255])
        } else {
            let p = work.rgb[i];
            image::Rgb([p[0] / 3, p[1] / 3, p[2] / 3])
        }
    });
    for (k, l) in lines.iter().enumerate() {
        let (p, n) = (
            l.pos.last().copied().unwrap_or(0),
            l.neg.last().copied().unwrap_or(0),
        );
        let stripes = if l.stripes_beyond != 0.0 {
            " stripes"
        } else {
            ""
        };
        println!(
            "{k:2} theta {:6.1} rho {:7.1} votes {:4} pos {p} neg {n} border {}{stripes}",
            l.theta.to_degrees(),
            l.rho,
            l.votes,
            l.border
        );
        let mut t = l.t_min;
        while t < l.t_max {
            let (x, y) = l.point_at(t);
            if x >= 0.0 && y >= 0.0 && (x as u32) < out.width() && (y as u32) < out.height() {
                out.put_pixel(
                    x as u32,
                    y as u32,
                    image::Rgb([255, (k * 37 % 200) as u8, 0]),
                );
            }
            t += 1.0;
        }
    }
    out.save(&args[2])?;
    Ok(())
}
