//! Loudness after ITU-R BS.1770-4 and EBU R 128 / Tech 3341-3342:
//! momentary (400 ms), short-term (3 s), integrated (gated), loudness range
//! and true peak, for a stereo programme.
//!
//! Split in two, like the rest of the engine:
//! - [`LoudnessTap`] runs on the audio thread: K-weighting, 100 ms energy
//!   sums and true peak. Allocation-free; it hands a [`LoudnessBlock`] to a
//!   callback every 100 ms of audio.
//! - [`LoudnessMeter`] runs anywhere else (the hub, a render): it turns
//!   those blocks into the figures. It allocates once, when built.
//!
//! Blocks are aligned to the start of the measurement, as in the reference
//! implementations, so an offline bounce and a file scanner agree.

use super::true_peak::TruePeak;
use std::collections::VecDeque;
use std::f64::consts::PI;

/// Loudness of a mean square `z` summed over channels, in LUFS (LKFS).
pub fn energy_to_lufs(z: f64) -> f64 {
    if z <= 0.0 {
        f64::NEG_INFINITY
    } else {
        -0.691 + 10.0 * z.log10()
    }
}

/// Absolute gate of integrated loudness and loudness range.
pub const ABSOLUTE_GATE_LUFS: f64 = -70.0;
/// Relative gate of integrated loudness, below the ungated level.
pub const RELATIVE_GATE_LU: f64 = -10.0;
/// Relative gate of loudness range.
pub const LRA_RELATIVE_GATE_LU: f64 = -20.0;

/// One biquad of the K-weighting, in f64 (a measurement, not a sound).
#[derive(Debug, Clone, Copy, Default)]
struct Stage {
    b: [f64; 3],
    a: [f64; 2],
    s: [f64; 2],
}

impl Stage {
    #[inline]
    fn run(&mut self, x: f64) -> f64 {
        let y = self.b[0] * x + self.s[0];
        self.s[0] = self.b[1] * x - self.a[0] * y + self.s[1];
        self.s[1] = self.b[2] * x - self.a[1] * y;
        y
    }

    fn flush_denormals(&mut self) {
        for s in &mut self.s {
            if s.abs() < 1e-30 {
                *s = 0.0;
            }
        }
    }

    /// True when its memory is exactly empty: silence in gives silence
    /// out and leaves it so.
    fn is_empty(&self) -> bool {
        self.s.iter().all(|s| s.to_bits() == 0)
    }
}

/// The K-weighting filter of one channel: the head's high shelf, then the
/// revised low-frequency B-curve high-pass. Coefficients for any rate come
/// from the analogue prototypes BS.1770's 48 kHz tables were derived from.
#[derive(Debug, Clone, Copy)]
struct KWeighting {
    shelf: Stage,
    highpass: Stage,
}

impl KWeighting {
    fn new(rate: f64) -> KWeighting {
        // Stage 1: high shelf, +4 dB above ~1.7 kHz.
        let (f0, gain_db, q) = (1681.974450955533, 3.999843853973347, 0.7071752369554196);
        let k = (PI * f0 / rate).tan();
        let vh = 10f64.powf(gain_db / 20.0);
        let vb = vh.powf(0.4996667741545416);
        let a0 = 1.0 + k / q + k * k;
        let shelf = Stage {
            b: [
                (vh + vb * k / q + k * k) / a0,
                2.0 * (k * k - vh) / a0,
                (vh - vb * k / q + k * k) / a0,
            ],
            a: [2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0],
            s: [0.0; 2],
        };
        // Stage 2: high-pass at ~38 Hz.
        let (f0, q) = (38.13547087602444, 0.5003270373238773);
        let k = (PI * f0 / rate).tan();
        let a0 = 1.0 + k / q + k * k;
        let highpass = Stage {
            b: [1.0, -2.0, 1.0],
            a: [2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0],
            s: [0.0; 2],
        };
        KWeighting { shelf, highpass }
    }

    #[inline]
    fn run(&mut self, x: f32) -> f64 {
        self.highpass.run(self.shelf.run(f64::from(x)))
    }
}

/// What the audio thread measured over 100 ms.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LoudnessBlock {
    /// K-weighted mean square, summed over the channels (weight 1 each).
    pub energy: f64,
    /// Largest true peak (4x oversampled) of either channel, linear.
    pub true_peak: f32,
    /// Largest sample magnitude of either channel.
    pub sample_peak: f32,
}

/// The audio thread's half of the meter, for a stereo programme.
#[derive(Debug, Clone)]
pub struct LoudnessTap {
    filters: [KWeighting; 2],
    true_peak: [TruePeak; 2],
    block_frames: usize,
    frames: usize,
    sum: f64,
    peak: f32,
    sample_peak: f32,
}

impl LoudnessTap {
    /// A tap for a stream at `rate` frames per second. Call off the audio
    /// thread (it designs filters).
    pub fn new(rate: u32) -> LoudnessTap {
        let rate_f = f64::from(rate.max(1000));
        LoudnessTap {
            filters: [KWeighting::new(rate_f); 2],
            true_peak: [TruePeak::new(), TruePeak::new()],
            block_frames: (rate.max(1000) / 10) as usize,
            frames: 0,
            sum: 0.0,
            peak: 0.0,
            sample_peak: 0.0,
        }
    }

    /// Audio thread: measure `left` and `right` (equal lengths), calling
    /// `emit` for every 100 ms completed. No allocation, lock or I/O.
    pub fn process(&mut self, left: &[f32], right: &[f32], mut emit: impl FnMut(LoudnessBlock)) {
        let n = left.len().min(right.len());
        let mut done = 0;
        while done < n {
            let take = (n - done).min(self.block_frames - self.frames);
            for (ch, buf) in [&left[done..done + take], &right[done..done + take]]
                .into_iter()
                .enumerate()
            {
                let (filter, tp) = (&mut self.filters[ch], &mut self.true_peak[ch]);
                // Exact silence into empty filters: nothing to add, no peak;
                // only the true-peak window moves on.
                if filter.shelf.is_empty()
                    && filter.highpass.is_empty()
                    && crate::dsp::state_words::all_positive_zero(buf)
                    && tp.skip_silence(buf.len())
                {
                    continue;
                }
                let mut sum = 0.0;
                let mut sample_peak = self.sample_peak;
                for &x in buf {
                    let y = filter.run(x);
                    sum += y * y;
                    sample_peak = sample_peak.max(x.abs());
                }
                self.sum += sum;
                self.peak = tp.block_max(buf, self.peak);
                self.sample_peak = sample_peak;
                filter.shelf.flush_denormals();
                filter.highpass.flush_denormals();
            }
            self.frames += take;
            done += take;
            if self.frames == self.block_frames {
                emit(LoudnessBlock {
                    energy: self.sum / self.block_frames as f64,
                    true_peak: self.peak,
                    sample_peak: self.sample_peak,
                });
                self.frames = 0;
                self.sum = 0.0;
                self.peak = 0.0;
                self.sample_peak = 0.0;
            }
        }
    }
}

/// Loudness figures at one moment. Silence reads `-inf`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoudnessReading {
    /// Momentary loudness (last 400 ms), LUFS.
    pub momentary: f64,
    /// Short-term loudness (last 3 s), LUFS.
    pub short_term: f64,
    /// Integrated (programme) loudness since the reset, LUFS.
    pub integrated: f64,
    /// Loudness range since the reset, LU.
    pub range: f64,
    /// Highest true peak since the reset, dBTP.
    pub true_peak_dbtp: f64,
    /// Highest sample peak since the reset, dBFS.
    pub sample_peak_dbfs: f64,
    /// Highest momentary loudness since the reset, LUFS.
    pub max_momentary: f64,
    /// Seconds measured since the reset.
    pub seconds: f64,
}

impl Default for LoudnessReading {
    fn default() -> Self {
        LoudnessReading {
            momentary: f64::NEG_INFINITY,
            short_term: f64::NEG_INFINITY,
            integrated: f64::NEG_INFINITY,
            range: 0.0,
            true_peak_dbtp: f64::NEG_INFINITY,
            sample_peak_dbfs: f64::NEG_INFINITY,
            max_momentary: f64::NEG_INFINITY,
            seconds: 0.0,
        }
    }
}

/// Gating blocks sorted into 0.01 LU bins from the absolute gate up, each
/// bin keeping its count and summed energy: the gated mean is exact but
/// for blocks within 0.01 LU of the relative gate, and memory stays fixed
/// however long the programme runs.
#[derive(Debug, Clone)]
struct Histogram {
    count: Vec<u64>,
    energy: Vec<f64>,
}

const BIN_LU: f64 = 0.01;
/// Highest loudness binned; louder blocks share the top bin.
const HISTOGRAM_TOP_LUFS: f64 = 10.0;

impl Histogram {
    fn new() -> Histogram {
        let bins = ((HISTOGRAM_TOP_LUFS - ABSOLUTE_GATE_LUFS) / BIN_LU) as usize + 1;
        Histogram {
            count: vec![0; bins],
            energy: vec![0.0; bins],
        }
    }

    fn clear(&mut self) {
        self.count.fill(0);
        self.energy.fill(0.0);
    }

    fn bin(lufs: f64) -> usize {
        ((lufs - ABSOLUTE_GATE_LUFS) / BIN_LU).floor() as usize
    }

    /// Count a block of energy `z` if it passes the absolute gate.
    fn add(&mut self, z: f64) {
        let l = energy_to_lufs(z);
        if l >= ABSOLUTE_GATE_LUFS {
            let b = Self::bin(l).min(self.count.len() - 1);
            self.count[b] += 1;
            self.energy[b] += z;
        }
    }

    /// First bin at or above `gate` (LUFS) after the relative gate `rel` LU
    /// below the mean of all blocks; `None` when nothing passed.
    fn gated_from(&self, rel: f64) -> Option<usize> {
        let n: u64 = self.count.iter().sum();
        if n == 0 {
            return None;
        }
        let mean = self.energy.iter().sum::<f64>() / n as f64;
        let gate = energy_to_lufs(mean) + rel;
        Some(if gate <= ABSOLUTE_GATE_LUFS {
            0
        } else {
            // A bin straddling the gate is counted when its lower edge
            // clears it.
            (((gate - ABSOLUTE_GATE_LUFS) / BIN_LU).ceil() as usize).min(self.count.len() - 1)
        })
    }

    fn integrated(&self) -> f64 {
        let Some(from) = self.gated_from(RELATIVE_GATE_LU) else {
            return f64::NEG_INFINITY;
        };
        let n: u64 = self.count[from..].iter().sum();
        if n == 0 {
            return f64::NEG_INFINITY;
        }
        energy_to_lufs(self.energy[from..].iter().sum::<f64>() / n as f64)
    }

    /// Loudness range: 95th minus 10th percentile of the gated blocks
    /// (nearest rank, as Tech 3342's reference code).
    fn range(&self) -> f64 {
        let Some(from) = self.gated_from(LRA_RELATIVE_GATE_LU) else {
            return 0.0;
        };
        let n: u64 = self.count[from..].iter().sum();
        if n == 0 {
            return 0.0;
        }
        let rank = |p: f64| ((n - 1) as f64 * p + 0.5) as u64;
        let value_at = |r: u64| {
            let mut seen = 0;
            for (i, c) in self.count[from..].iter().enumerate() {
                seen += c;
                if seen > r {
                    let b = from + i;
                    // The bin's mean loudness (exact when it holds one value).
                    return energy_to_lufs(self.energy[b] / *c as f64);
                }
            }
            f64::NEG_INFINITY
        };
        value_at(rank(0.95)) - value_at(rank(0.10))
    }
}

/// How often the short-term history takes a reading, in 100 ms blocks
/// (0.5 s of programme), and how many it keeps (the last minute).
pub const HISTORY_EVERY_BLOCKS: u64 = 5;
pub const HISTORY_READINGS: usize = 120;

/// The figures, built from the audio thread's 100 ms blocks.
#[derive(Debug, Clone)]
pub struct LoudnessMeter {
    /// The last 30 blocks (3 s), newest last.
    recent: VecDeque<f64>,
    /// Short-term loudness (LUFS) every [`HISTORY_EVERY_BLOCKS`] blocks
    /// since the reset, the last [`HISTORY_READINGS`], newest last.
    history: VecDeque<f32>,
    /// 100 ms blocks seen since the reset.
    blocks: u64,
    gating: Histogram,
    short_term: Histogram,
    true_peak: f32,
    sample_peak: f32,
    max_momentary: f64,
}

impl Default for LoudnessMeter {
    fn default() -> Self {
        LoudnessMeter::new()
    }
}

impl LoudnessMeter {
    /// An empty meter. Allocates.
    pub fn new() -> LoudnessMeter {
        LoudnessMeter {
            recent: VecDeque::with_capacity(30),
            history: VecDeque::with_capacity(HISTORY_READINGS),
            blocks: 0,
            gating: Histogram::new(),
            short_term: Histogram::new(),
            true_peak: 0.0,
            sample_peak: 0.0,
            max_momentary: f64::NEG_INFINITY,
        }
    }

    /// Start again (integrated, range and peaks forget the past).
    pub fn reset(&mut self) {
        self.recent.clear();
        self.history.clear();
        self.blocks = 0;
        self.gating.clear();
        self.short_term.clear();
        self.true_peak = 0.0;
        self.sample_peak = 0.0;
        self.max_momentary = f64::NEG_INFINITY;
    }

    /// Mean energy of the last `n` blocks, counting the ones before the
    /// start as silence.
    fn window(&self, n: usize) -> f64 {
        self.recent.iter().rev().take(n).sum::<f64>() / n as f64
    }

    /// Add the next 100 ms.
    pub fn push(&mut self, block: LoudnessBlock) {
        if self.recent.len() == 30 {
            self.recent.pop_front();
        }
        self.recent.push_back(block.energy);
        self.blocks += 1;
        self.true_peak = self.true_peak.max(block.true_peak);
        self.sample_peak = self.sample_peak.max(block.sample_peak);
        // Gating blocks: 400 ms, overlapping by 75 %.
        if self.blocks >= 4 {
            let z = self.window(4);
            self.gating.add(z);
            self.max_momentary = self.max_momentary.max(energy_to_lufs(z));
        }
        // Short-term blocks for the range: 3 s, every second.
        if self.blocks >= 30 && (self.blocks - 30).is_multiple_of(10) {
            self.short_term.add(self.window(30));
        }
        if self.blocks.is_multiple_of(HISTORY_EVERY_BLOCKS) {
            if self.history.len() == HISTORY_READINGS {
                self.history.pop_front();
            }
            self.history
                .push_back(energy_to_lufs(self.window(30)) as f32);
        }
    }

    /// The short-term loudness (LUFS, `-inf` for silence) every 0.5 s of
    /// programme over the last minute since the reset, oldest first.
    pub fn history(&self) -> impl ExactSizeIterator<Item = f32> + '_ {
        self.history.iter().copied()
    }

    /// The figures now.
    pub fn reading(&self) -> LoudnessReading {
        let db = |x: f32| {
            if x > 0.0 {
                20.0 * f64::from(x).log10()
            } else {
                f64::NEG_INFINITY
            }
        };
        LoudnessReading {
            momentary: energy_to_lufs(self.window(4)),
            short_term: energy_to_lufs(self.window(30)),
            integrated: self.gating.integrated(),
            range: self.short_term.range(),
            true_peak_dbtp: db(self.true_peak),
            sample_peak_dbfs: db(self.sample_peak),
            max_momentary: self.max_momentary,
            seconds: self.blocks as f64 / 10.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::generator::{Generator, ToneSpec, Wave};

    const RATE: u32 = 48_000;

    fn ours(l: &[f32], r: &[f32], block: usize) -> LoudnessReading {
        let mut tap = LoudnessTap::new(RATE);
        let mut meter = LoudnessMeter::new();
        for (cl, cr) in l.chunks(block).zip(r.chunks(block)) {
            tap.process(cl, cr, |b| meter.push(b));
        }
        meter.reading()
    }

    struct Reference {
        integrated: f64,
        range: f64,
        momentary: f64,
        short_term: f64,
        true_peak_db: f64,
    }

    fn reference(l: &[f32], r: &[f32]) -> Reference {
        use ebur128::{EbuR128, Mode};
        let mut e = EbuR128::new(
            2,
            RATE,
            Mode::I | Mode::LRA | Mode::M | Mode::S | Mode::TRUE_PEAK,
        )
        .unwrap();
        e.add_frames_planar_f32(&[l, r]).unwrap();
        let tp = e.true_peak(0).unwrap().max(e.true_peak(1).unwrap());
        Reference {
            integrated: e.loudness_global().unwrap(),
            range: e.loudness_range().unwrap(),
            momentary: e.loudness_momentary().unwrap(),
            short_term: e.loudness_shortterm().unwrap(),
            true_peak_db: 20.0 * tp.log10(),
        }
    }

    fn sine(freq: f64, amp: f64, seconds: f64) -> Vec<f32> {
        let n = (seconds * f64::from(RATE)) as usize;
        (0..n)
            .map(|i| (amp * (2.0 * PI * freq * i as f64 / f64::from(RATE)).sin()) as f32)
            .collect()
    }

    fn pink(seconds: f64, level_db: f64, seed: u64) -> Vec<f32> {
        let mut g = Generator::new(
            ToneSpec {
                wave: Wave::Pink,
                freq_hz: 0.0,
                level_db,
                pulse: None,
                seed,
            },
            RATE,
        );
        let mut buf = vec![0.0; (seconds * f64::from(RATE)) as usize];
        g.fill(0, &mut buf);
        buf
    }

    fn agree(name: &str, l: &[f32], r: &[f32]) {
        let o = ours(l, r, 64);
        let e = reference(l, r);
        println!(
            "{name}: I {:.3}/{:.3} LRA {:.3}/{:.3} M {:.3}/{:.3} S {:.3}/{:.3} TP {:.3}/{:.3}",
            o.integrated,
            e.integrated,
            o.range,
            e.range,
            o.momentary,
            e.momentary,
            o.short_term,
            e.short_term,
            o.true_peak_dbtp,
            e.true_peak_db
        );
        let close = |a: f64, b: f64, tol: f64| {
            (a == f64::NEG_INFINITY && b == f64::NEG_INFINITY) || (a - b).abs() <= tol
        };
        assert!(close(o.integrated, e.integrated, 0.1), "{name}: integrated");
        assert!(close(o.range, e.range, 0.1), "{name}: range");
        assert!(close(o.momentary, e.momentary, 0.1), "{name}: momentary");
        assert!(close(o.short_term, e.short_term, 0.1), "{name}: short-term");
        assert!(
            close(o.true_peak_dbtp, e.true_peak_db, 0.2),
            "{name}: true peak"
        );
    }

    #[test]
    fn a_full_scale_1k_sine_reads_like_the_reference() {
        // BS.1770: a 0 dBFS 997 Hz sine on one channel is -3.01 LUFS.
        let l = sine(997.0, 1.0, 10.0);
        let silent = vec![0.0; l.len()];
        let o = ours(&l, &silent, 64);
        assert!((o.integrated + 3.01).abs() < 0.05, "{}", o.integrated);
        agree("997 Hz 0 dBFS left", &l, &silent);
    }

    #[test]
    fn sines_at_several_levels_agree_with_the_ebur128_crate() {
        for (f, db) in [
            (100.0, -6.0),
            (997.0, -20.0),
            (3_000.0, -33.0),
            (10_000.0, -50.0),
        ] {
            let x = sine(f, 10f64.powf(db / 20.0), 12.0);
            agree(&format!("{f} Hz {db} dBFS"), &x, &x);
        }
    }

    #[test]
    fn pink_noise_agrees_with_the_ebur128_crate() {
        let l = pink(20.0, -18.0, 1);
        let r = pink(20.0, -18.0, 2);
        agree("pink -18", &l, &r);
    }

    #[test]
    fn gated_passages_agree_with_the_ebur128_crate() {
        // Loud, quiet (below the relative gate), silence (below the
        // absolute gate), loud again: the gates must drop the same blocks.
        let mut l = pink(8.0, -16.0, 3);
        l.extend(pink(6.0, -40.0, 4));
        l.extend(vec![0.0; 48_000 * 5]);
        l.extend(sine(440.0, 0.3, 7.0));
        l.extend(pink(4.0, -26.0, 5));
        let r: Vec<f32> = l.iter().map(|x| x * 0.5).collect();
        agree("gated passages", &l, &r);
    }

    #[test]
    fn block_size_does_not_change_the_figures() {
        let l = pink(6.0, -20.0, 6);
        let r = pink(6.0, -20.0, 7);
        let a = ours(&l, &r, 64);
        for block in [1, 37, 256, 4800] {
            let b = ours(&l, &r, block);
            // Only the order of summation differs.
            for (x, y) in [
                (a.integrated, b.integrated),
                (a.momentary, b.momentary),
                (a.short_term, b.short_term),
                (a.range, b.range),
                (a.true_peak_dbtp, b.true_peak_dbtp),
            ] {
                assert!((x - y).abs() < 1e-6, "block {block}: {x} vs {y}");
            }
        }
    }

    #[test]
    fn the_history_holds_a_short_term_reading_every_half_second_of_the_last_minute() {
        let mut tap = LoudnessTap::new(RATE);
        let mut meter = LoudnessMeter::new();
        let mut at_each_reading = Vec::new();
        let tone = sine(1000.0, 0.5, 75.0);
        for c in tone.chunks(4800) {
            tap.process(c, c, |b| meter.push(b));
            if meter.blocks.is_multiple_of(HISTORY_EVERY_BLOCKS) {
                at_each_reading.push(meter.reading().short_term as f32);
            }
        }
        let history: Vec<f32> = meter.history().collect();
        // 75 s of programme: the last minute, one reading each 0.5 s,
        // each the short-term figure of its moment.
        assert_eq!(history.len(), HISTORY_READINGS);
        assert_eq!(history, at_each_reading[at_each_reading.len() - 120..]);
        assert!((history[119] - meter.reading().short_term as f32).abs() < 1e-6);
        meter.reset();
        assert_eq!(meter.history().len(), 0);
    }

    #[test]
    fn silence_reads_minus_infinity() {
        let z = vec![0.0; 48_000 * 4];
        let o = ours(&z, &z, 64);
        assert_eq!(o.integrated, f64::NEG_INFINITY);
        assert_eq!(o.momentary, f64::NEG_INFINITY);
        assert_eq!(o.range, 0.0);
        assert_eq!(o.seconds, 4.0);
    }
}
