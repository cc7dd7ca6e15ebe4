//! The analysis reuses its buffers from frame to frame: once it has seen frames of a kind, judging
//! another allocates nothing (its report's glare regions aside, and these scenes have none). A
//! counting allocator wraps the system's and counts only this test's thread while it is measured.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use idshot::analysis::{Analyzer, Spec};
use idshot::scene::{Background, SceneSpec, render};

thread_local! {
    static MEASURING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count_one() {
    // try_with: the thread's locals may already be gone while it shuts down.
    let measuring = MEASURING.try_with(Cell::get).unwrap_or(false);
    if measuring {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
    }
}

struct CountingAllocator;

// A global allocator is an unsafe trait: this one forwards every call to the system allocator
// unchanged, with the same layout and pointer, and only counts.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: the caller's layout is passed on as it came.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        // SAFETY: `ptr` came from this allocator, that is from the system's, with `layout`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as for `realloc`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Allocations made by `f` on this thread.
fn allocations_in(f: impl FnOnce()) -> usize {
    ALLOCATIONS.with(|n| n.set(0));
    MEASURING.with(|m| m.set(true));
    f();
    MEASURING.with(|m| m.set(false));
    ALLOCATIONS.with(Cell::get)
}

/// Rounds over the frames after the first, before measuring: the recycled buffers settle there
/// (the line finder's pool of profiles grows to the most lines any of these frames holds at once;
/// the focus probe's luma and colour lists can trade places once). Without it, 3 allocations.
const WARM_UP_ROUNDS: usize = 1;

#[test]
fn judging_a_frame_again_allocates_nothing() {
    // A card in good light, a passport page (its machine-readable zone is read), a card on a pale
    // desk in a dim room (the dark frames' last look runs), a frame with no document and a card
    // turned a little over slats (the slats' ends are read as sides).
    let scenes = [
        SceneSpec::default(),
        SceneSpec {
            kind: idshot::analysis::DocKind::Td3,
            ..SceneSpec::default()
        },
        SceneSpec {
            background: Background::Desk,
            exposure: 0.02,
            noise: 12.0,
            ..SceneSpec::default()
        },
        SceneSpec {
            placement: idshot::scene::Placement::Pose {
                center: (4.0, 4.0),
                fill: 0.3,
                pitch_deg: 0.0,
                yaw_deg: 0.0,
                roll_deg: 0.0,
                hfov_deg: idshot::scene::DEFAULT_HFOV_DEG,
            },
            ..SceneSpec::default()
        },
        SceneSpec {
            seed: 2,
            background: Background::Slats,
            placement: idshot::scene::Placement::Pose {
                center: (0.5, 0.5),
                fill: 0.6,
                pitch_deg: 3.0,
                yaw_deg: -2.0,
                roll_deg: 2.5,
                hfov_deg: idshot::scene::DEFAULT_HFOV_DEG,
            },
            ..SceneSpec::default()
        },
    ];
    let frames: Vec<_> = scenes.iter().map(|s| render(s).image).collect();
    let mut analyzer = Analyzer::new(Spec::default());
    let first: Vec<_> = frames.iter().map(|f| analyzer.analyze(f)).collect();
    for _ in 0..WARM_UP_ROUNDS {
        for frame in &frames {
            analyzer.analyze(frame);
        }
    }
    assert!(first.iter().take(3).all(|r| r.document.is_some()));
    assert!(first.get(4).is_some_and(|r| r.document.is_some()));
    assert!(first.iter().all(|r| r.glare_regions.is_empty()));
    for (i, frame) in frames.iter().enumerate() {
        let mut report = None;
        let n = allocations_in(|| report = Some(analyzer.analyze(frame)));
        assert_eq!(
            report.as_ref(),
            first.get(i),
            "scene {i} judged differently"
        );
        assert_eq!(n, 0, "scene {i}: {n} allocations");
    }
}
