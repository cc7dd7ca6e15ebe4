//! Per-frame cost of the whole analysis (locate, refine, every check) at webcam resolutions, on
//! synthetic scenes from the scene generator. `cargo bench --bench analysis`.

use criterion::{Criterion, criterion_group, criterion_main};
use idshot::analysis::{Analyzer, Spec};
use idshot::scene::{Background, SceneSpec, render};

fn analysis(c: &mut Criterion) {
    let mut group = c.benchmark_group("analyze");
    for (name, width, height) in [
        ("720p", 1280, 720),
        ("1080p", 1920, 1080),
        ("4k", 3840, 2160),
    ] {
        let scene = render(&SceneSpec {
            width,
            height,
            background: Background::Wood,
            ..SceneSpec::default()
        });
        let mut analyzer = Analyzer::new(Spec::default());
        // Warm the reused buffers, and make sure the benchmark measures a real detection.
        assert!(
            analyzer.analyze(&scene.image).document.is_some(),
            "{name}: no document in the bench scene"
        );
        group.bench_function(name, |b| {
            b.iter(|| analyzer.analyze(std::hint::black_box(&scene.image)))
        });
    }
    group.finish();
}

criterion_group!(benches, analysis);
criterion_main!(benches);
