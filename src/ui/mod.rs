//! The desktop app (feature `gui`): a thin egui shell over the live pipeline.
//!
//! - [`flow`]: screens and transitions as plain data (tested without a window).
//! - [`geometry`]: frame pixels to preview points, with mirroring (pure).
//! - [`live`]: the pipeline started, stopped and watched off the UI thread.
//! - [`app`]: the egui rendering and input.
//! - [`sound`]: the shutter click, synthesised and played off the UI thread.

pub mod app;
pub mod flow;
pub mod geometry;
pub mod live;
pub mod settings;
pub mod sound;

pub use app::{AppOptions, IdshotApp};
pub use flow::{DocChoice, Flow, Screen};
pub use live::SourceChoice;
pub use settings::Settings;

/// Initial window size: room for the preview, the checklist and the large hint line.
const WINDOW_SIZE: [f32; 2] = [1400.0, 900.0];

/// How the window is drawn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Renderer {
    /// OpenGL: runs wherever GL does, and keeps the camera's rate on software rendering (Mesa's
    /// llvmpipe drew the 720p preview at 30 fps on a 2-core VM, where wgpu on lavapipe drew 8).
    #[default]
    Glow,
    /// wgpu (Vulkan, Metal, DX12): for systems whose OpenGL driver misbehaves.
    Wgpu,
}

/// Opens the window and runs until it is closed.
pub fn run(options: AppOptions, renderer: Renderer) -> anyhow::Result<()> {
    let native = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("idshot")
            .with_inner_size(WINDOW_SIZE)
            .with_min_inner_size([800.0, 560.0]),
        renderer: match renderer {
            Renderer::Glow => eframe::Renderer::Glow,
            Renderer::Wgpu => eframe::Renderer::Wgpu,
        },
        ..Default::default()
    };
    eframe::run_native(
        "idshot",
        native,
        Box::new(move |cc| {
            let settings: Settings = cc
                .storage
                .and_then(|s| eframe::get_value(s, settings::SETTINGS_KEY))
                .unwrap_or_default();
            Ok(Box::new(IdshotApp::new(options, settings)))
        }),
    )
    .map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))
}
