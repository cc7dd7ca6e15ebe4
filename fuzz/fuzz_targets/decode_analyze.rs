//! Any bytes through `imageio::decode_image` and, when they decode, `Analyzer::analyze`: neither
//! may panic, and a refusal is a one-line message.
#![no_main]

use idshot::analysis::{Analyzer, Spec};
use idshot::imageio::decode_image;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match decode_image(data) {
        Ok(loaded) => {
            let report = Analyzer::new(Spec::default()).analyze(&loaded.rgb);
            assert_eq!(report.width, loaded.rgb.width());
        }
        Err(e) => assert!(!e.to_string().contains('\n'), "{e}"),
    }
});
