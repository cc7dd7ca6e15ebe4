//! The passes over every pixel, compiled a second time for AVX2 and chosen at run time: the
//! binary still runs on any x86-64, and where AVX2 is present (nearly every x86-64 CPU since
//! 2013-2015) the same integer arithmetic runs in vectors twice as wide. The results are identical
//! (a test in `work` compares the two copies); the working copy builds about a third faster.

/// Runs `pass` as compiled for AVX2 when this CPU has it, else as compiled for any CPU of the
/// target. Only what is inlined into `pass` is compiled for AVX2: the functions it calls are
/// `#[inline(always)]`.
#[inline]
pub(crate) fn widest<R>(pass: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: `with_avx2` needs AVX2, and this CPU has just been found to have it.
        #[allow(unsafe_code)]
        return unsafe { with_avx2(pass) };
    }
    pass()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn with_avx2<R>(pass: impl FnOnce() -> R) -> R {
    pass()
}
