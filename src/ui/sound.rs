//! The shutter sound: a click synthesised in code (no sound files, no decoders) and played on the
//! default output device from a thread of its own, so the UI thread never waits on audio.
//!
//! Without a sound device (servers, CI, Xvfb) the first click logs one line to stderr and every
//! later one is silent: no panic, no dialog.

use std::f32::consts::TAU;
use std::num::NonZero;
use std::sync::atomic::{AtomicBool, Ordering};

use crossbeam_channel::{Receiver, Sender, TrySendError, bounded};

use crate::scene::rng::Rng;

/// The click's length: two short bursts (the shutter opening, then closing) and their decay.
pub const CLICK_SECS: f32 = 0.15;
/// The click's peak level (full scale is 1.0): audible, never startling.
pub const CLICK_PEAK: f32 = 0.4;
/// The noise seed: the same click on every run and every machine.
const CLICK_SEED: u64 = 0x5407_7E12;
/// The noise is band-passed to this range: a dry click, without rumble or hiss.
const BAND_LOW_HZ: f32 = 600.0;
const BAND_HIGH_HZ: f32 = 5000.0;
/// How much of a burst is its ringing tone rather than noise.
const TONE_SHARE: f32 = 0.3;
/// Each burst's rise time.
const ATTACK_SECS: f32 = 0.0005;
/// The last stretch fades to exact silence, so the click never ends on a step.
const FADE_SECS: f32 = 0.02;

/// One burst of the click.
struct Burst {
    start_secs: f32,
    /// Exponential decay time constant.
    decay_secs: f32,
    level: f32,
    /// The mechanism's ring under the noise.
    tone_hz: f32,
}

const BURSTS: [Burst; 2] = [
    // The shutter opening: sharp and bright.
    Burst {
        start_secs: 0.0,
        decay_secs: 0.008,
        level: 1.0,
        tone_hz: 2400.0,
    },
    // The shutter closing: a little later, softer and lower.
    Burst {
        start_secs: 0.065,
        decay_secs: 0.012,
        level: 0.7,
        tone_hz: 1700.0,
    },
];

/// The coefficient of a one-pole low-pass at `hz` (0..=1; 1 passes everything).
fn one_pole(hz: f32, sample_rate: f32) -> f32 {
    1.0 - (-TAU * hz / sample_rate).exp()
}

/// A camera-shutter click as mono samples at `sample_rate`: [`CLICK_SECS`] long, peak
/// [`CLICK_PEAK`], zero mean, ending in silence. Pure and deterministic. Empty at rate 0.
pub fn shutter_click(sample_rate: u32) -> Vec<f32> {
    let len = (CLICK_SECS * sample_rate as f32).round() as usize;
    if len == 0 {
        return Vec::new();
    }
    let fs = sample_rate as f32;
    let (a_high, a_low) = (one_pole(BAND_HIGH_HZ, fs), one_pole(BAND_LOW_HZ, fs));
    let mut rng = Rng::new(CLICK_SEED);
    let (mut below_high, mut below_low) = (0.0f32, 0.0f32);
    let fade_start = CLICK_SECS - FADE_SECS;
    let mut out = Vec::with_capacity(len);
    let mut envelopes = Vec::with_capacity(len);
    for i in 0..len {
        let t = i as f32 / fs;
        // Band-passed white noise: low-passed at the top of the band, minus its own low-pass at
        // the bottom (which also removes any DC).
        below_high += a_high * (rng.range(-1.0, 1.0) - below_high);
        below_low += a_low * (below_high - below_low);
        let noise = below_high - below_low;
        let fade = if t > fade_start {
            0.5 * (1.0 + (std::f32::consts::PI * (t - fade_start) / FADE_SECS).cos())
        } else {
            1.0
        };
        let (mut sample, mut envelope) = (0.0, 0.0);
        for b in &BURSTS {
            let dt = t - b.start_secs;
            if dt < 0.0 {
                continue;
            }
            let env = b.level * (dt / ATTACK_SECS).min(1.0) * (-dt / b.decay_secs).exp() * fade;
            sample +=
                env * ((1.0 - TONE_SHARE) * noise + TONE_SHARE * (TAU * b.tone_hz * dt).sin());
            envelope += env;
        }
        out.push(sample);
        envelopes.push(envelope);
    }
    // Zero mean: take the small offset out in proportion to the envelope, so the silence stays
    // silent.
    let mean = out.iter().sum::<f32>() / len as f32;
    let envelope_mean = envelopes.iter().sum::<f32>() / len as f32;
    if envelope_mean > 0.0 {
        for (s, e) in out.iter_mut().zip(&envelopes) {
            *s -= mean * e / envelope_mean;
        }
    }
    let peak = out.iter().fold(0.0f32, |m, s| m.max(s.abs()));
    if peak > 0.0 {
        let gain = CLICK_PEAK / peak;
        out.iter_mut().for_each(|s| *s *= gain);
    }
    out
}

/// Set when the sound gave up (no device, or no thread): said once per run, and every
/// [`Shutter`] stays silent from then on without asking the audio system again.
static GAVE_UP: AtomicBool = AtomicBool::new(false);

fn give_up(message: &str) {
    if !GAVE_UP.swap(true, Ordering::Relaxed) {
        eprintln!("idshot: {message}; the shutter stays silent");
    }
}

/// Plays the shutter click. The sound device is opened on the first [`Shutter::play`], on a
/// thread of its own that keeps it open for as long as the `Shutter` lives.
#[derive(Debug, Default)]
pub struct Shutter {
    /// The sound thread's inbox (one request at most: clicks asked for while one is pending are
    /// dropped); None until the first click.
    requests: Option<Sender<()>>,
}

impl Shutter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks for one click. Never waits: the device is opened and the click played elsewhere.
    pub fn play(&mut self) {
        if GAVE_UP.load(Ordering::Relaxed) {
            return;
        }
        if self.requests.is_none() {
            let (tx, rx) = bounded(1);
            let spawned = std::thread::Builder::new()
                .name("idshot-sound".into())
                .spawn(move || sound_thread(rx));
            if let Err(e) = spawned {
                give_up(&format!("cannot start the sound thread ({e})"));
                return;
            }
            self.requests = Some(tx);
        }
        let Some(requests) = &self.requests else {
            return;
        };
        match requests.try_send(()) {
            // Full: a click is already on its way; rapid captures never queue up.
            Ok(()) | Err(TrySendError::Full(())) => {}
            // The thread found no device and ended (it said so, once).
            Err(TrySendError::Disconnected(())) => {
                self.requests = None;
                give_up("the sound thread ended");
            }
        }
    }
}

/// Opens the default output device, then plays one click per request until the [`Shutter`] is
/// dropped (which closes the device). Without a device: logs once and ends.
fn sound_thread(requests: Receiver<()>) {
    let mut sink = match rodio::DeviceSinkBuilder::open_default_sink() {
        Ok(sink) => sink,
        Err(e) => {
            give_up(&format!("no sound device ({e})"));
            return;
        }
    };
    // Closing the device with the app is expected: no message about it.
    sink.log_on_drop(false);
    let rate = sink.config().sample_rate();
    let Some(mono) = NonZero::new(1) else {
        return;
    };
    let click = rodio::buffer::SamplesBuffer::new(mono, rate, shutter_click(rate.get()));
    while requests.recv().is_ok() {
        // Mixed in by the device's own callback: returns at once.
        sink.mixer().add(click.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs_to_samples(secs: f32, rate: u32) -> usize {
        (secs * rate as f32).round() as usize
    }

    #[test]
    fn length_matches_the_duration_at_each_rate() {
        for rate in [44_100, 48_000] {
            let click = shutter_click(rate);
            assert_eq!(click.len(), secs_to_samples(CLICK_SECS, rate), "{rate} Hz");
        }
        assert_eq!(shutter_click(44_100).len(), 6615);
        assert_eq!(shutter_click(48_000).len(), 7200);
        assert!(shutter_click(0).is_empty());
    }

    #[test]
    fn level_is_gentle_but_audible() {
        for rate in [44_100, 48_000] {
            let click = shutter_click(rate);
            assert!(click.iter().all(|s| s.is_finite()), "{rate} Hz");
            let peak = click.iter().fold(0.0f32, |m, s| m.max(s.abs()));
            assert!(peak > 0.05 && peak <= 0.5, "{rate} Hz: peak {peak}");
        }
    }

    #[test]
    fn has_no_dc_offset() {
        for rate in [44_100, 48_000] {
            let click = shutter_click(rate);
            let mean = click.iter().sum::<f32>() / click.len() as f32;
            assert!(mean.abs() < 1e-4, "{rate} Hz: mean {mean}");
        }
    }

    #[test]
    fn ends_in_silence() {
        for rate in [44_100, 48_000] {
            let click = shutter_click(rate);
            let tail = secs_to_samples(0.005, rate);
            let loudest = click[click.len() - tail..]
                .iter()
                .fold(0.0f32, |m, s| m.max(s.abs()));
            assert!(loudest < 0.002, "{rate} Hz: last 5 ms reach {loudest}");
            assert!(click.last().is_some_and(|s| s.abs() < 1e-6), "{rate} Hz");
        }
    }

    #[test]
    fn has_two_bursts() {
        let rate = 48_000;
        let click = shutter_click(rate);
        // Loudest in each burst's first 10 ms, and the gap just before the second burst.
        let loudest = |from: f32, to: f32| {
            click[secs_to_samples(from, rate)..secs_to_samples(to, rate)]
                .iter()
                .fold(0.0f32, |m, s| m.max(s.abs()))
        };
        let (first, gap, second) = (
            loudest(0.0, 0.01),
            loudest(0.055, 0.064),
            loudest(0.065, 0.075),
        );
        assert!(first > 0.2 && second > 0.1, "bursts {first} {second}");
        assert!(gap < second / 4.0, "gap {gap}, second burst {second}");
    }

    #[test]
    fn is_deterministic() {
        let a = shutter_click(44_100);
        let b = shutter_click(44_100);
        assert_eq!(a, b);
        // And not trivially so: the noise varies from sample to sample.
        assert!(a.windows(2).filter(|w| w[0] != w[1]).count() > a.len() / 2);
    }
}
