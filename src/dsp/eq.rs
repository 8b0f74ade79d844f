//! A strip's high-pass filter and 4-band parametric EQ as one kernel:
//! cascaded biquad sections per channel, with parameter changes smoothed
//! so a moving EQ does not zipper.
//!
//! Smoothing: frequency (in octaves), gain (in dB) and Q (in octaves of
//! Q) glide in a straight line to their targets over the smoothing time,
//! in steps taken every [`EQ_CONTROL_FRAMES`] samples of the engine's
//! sample clock; the coefficients are recomputed at those steps only. Steps fall on the
//! clock's grid, not on block boundaries, so the output does not depend
//! on how a period is split into blocks. A band switched off glides to
//! 0 dB first (shelves and peaks); filters and notches switch at once.
//!
//! Pure, allocation-free, real-time safe.

use super::biquad::{BUTTERWORTH_Q, Coefs, Section, cascade, cascade_stereo};

/// Samples between smoothing steps (and coefficient updates).
pub const EQ_CONTROL_FRAMES: u64 = 32;

/// Slopes of the high-pass filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum HpfSlope {
    /// 12 dB/octave (2nd-order Butterworth).
    #[default]
    Db12,
    /// 18 dB/octave (3rd-order Butterworth).
    Db18,
    /// 24 dB/octave (4th-order Butterworth).
    Db24,
}

impl HpfSlope {
    /// dB per octave.
    pub fn db_per_octave(self) -> u8 {
        match self {
            HpfSlope::Db12 => 12,
            HpfSlope::Db18 => 18,
            HpfSlope::Db24 => 24,
        }
    }

    /// The slope of `db` dB per octave.
    pub fn from_db(db: f64) -> Option<HpfSlope> {
        match db as i64 {
            12 if db == 12.0 => Some(HpfSlope::Db12),
            18 if db == 18.0 => Some(HpfSlope::Db18),
            24 if db == 24.0 => Some(HpfSlope::Db24),
            _ => None,
        }
    }
}

/// What an EQ band does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BandKind {
    /// Boost or cut below the frequency.
    LowShelf,
    /// A bell around the frequency.
    Peak,
    /// Boost or cut above the frequency.
    HighShelf,
    /// Remove above the frequency (12 dB/octave).
    LowPass,
    /// Remove below the frequency (12 dB/octave).
    HighPass,
    /// Remove a narrow band at the frequency.
    Notch,
}

impl BandKind {
    /// Every kind, numbered as surfaces send them (0..5).
    pub const ALL: [BandKind; 6] = [
        BandKind::LowShelf,
        BandKind::Peak,
        BandKind::HighShelf,
        BandKind::LowPass,
        BandKind::HighPass,
        BandKind::Notch,
    ];

    /// The name in session files and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            BandKind::LowShelf => "low_shelf",
            BandKind::Peak => "peak",
            BandKind::HighShelf => "high_shelf",
            BandKind::LowPass => "low_pass",
            BandKind::HighPass => "high_pass",
            BandKind::Notch => "notch",
        }
    }

    /// Parse a name.
    pub fn from_name(name: &str) -> Option<BandKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == name.trim())
    }

    /// True for kinds that boost or cut by a gain (shelves and peaks).
    pub fn has_gain(self) -> bool {
        matches!(
            self,
            BandKind::LowShelf | BandKind::Peak | BandKind::HighShelf
        )
    }
}

/// One band's settings, as the engine takes them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BandSpec {
    /// In the path.
    pub on: bool,
    /// What it does.
    pub kind: BandKind,
    /// Hz.
    pub freq_hz: f32,
    /// dB (shelves and peaks).
    pub gain_db: f32,
    /// Q.
    pub q: f32,
}

/// The whole EQ's settings, as the engine takes them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EqSpec {
    /// The four bands are in the path.
    pub on: bool,
    /// The high-pass filter is in the path.
    pub hpf_on: bool,
    /// Its corner, Hz.
    pub hpf_hz: f32,
    /// Its slope.
    pub hpf_slope: HpfSlope,
    /// The bands.
    pub bands: [BandSpec; 4],
}

impl EqSpec {
    /// Everything off: the signal passes untouched.
    pub const FLAT: EqSpec = EqSpec {
        on: false,
        hpf_on: false,
        hpf_hz: 80.0,
        hpf_slope: HpfSlope::Db12,
        bands: [BandSpec {
            on: false,
            kind: BandKind::Peak,
            freq_hz: 1_000.0,
            gain_db: 0.0,
            q: 1.0,
        }; 4],
    };
}

/// Smoothed values of one band (frequency in log2 Hz, gain in dB, Q in log2).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Glide {
    lf: f64,
    db: f64,
    lq: f64,
}

impl Glide {
    fn of(b: &BandSpec, effective_db: f64) -> Glide {
        Glide {
            lf: f64::from(b.freq_hz.max(1.0)).log2(),
            db: effective_db,
            lq: f64::from(b.q.max(0.01)).log2(),
        }
    }

    /// `(t - self) / steps`.
    fn delta_to(&self, t: &Glide, steps: f64) -> Glide {
        Glide {
            lf: (t.lf - self.lf) / steps,
            db: (t.db - self.db) / steps,
            lq: (t.lq - self.lq) / steps,
        }
    }

    fn add(&mut self, d: &Glide) {
        self.lf += d.lf;
        self.db += d.db;
        self.lq += d.lq;
    }
}

/// The HPF's sections and Q's for a slope: (first-order?, Q's of 2nd-order sections).
fn hpf_sections(slope: HpfSlope) -> (bool, &'static [f64]) {
    match slope {
        HpfSlope::Db12 => (false, &[BUTTERWORTH_Q]),
        HpfSlope::Db18 => (true, &[1.0]),
        // Butterworth 4th order: Q = 1 / (2 cos(pi/8)), 1 / (2 cos(3 pi/8)).
        HpfSlope::Db24 => (false, &[0.541_196_100_146_197, 1.306_562_964_876_376_5]),
    }
}

/// Which part of the kernel to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EqPart {
    /// The high-pass filter.
    pub hpf: bool,
    /// The four bands.
    pub bands: bool,
}

impl EqPart {
    /// Both.
    pub const ALL: EqPart = EqPart {
        hpf: true,
        bands: true,
    };
    /// The high-pass filter only.
    pub const HPF: EqPart = EqPart {
        hpf: true,
        bands: false,
    };
    /// The bands only.
    pub const BANDS: EqPart = EqPart {
        hpf: false,
        bands: true,
    };
}

/// The kernel. See the module docs.
#[derive(Debug, Clone)]
pub struct StripEq {
    rate: f64,
    target: EqSpec,
    /// Per band: where it is now, where it goes, by how much per step and
    /// for how many more steps, and whether it is in the path.
    glide: [Glide; 4],
    to: [Glide; 4],
    delta: [Glide; 4],
    steps_left: [u32; 4],
    active: [bool; 4],
    /// Sections: 0..2 HPF, 2..6 bands; per channel.
    sections: [[Section; MAX_SECTIONS]; 2],
    /// The HPF's sections in use (by index), and the bands'.
    hpf_used: usize,
    /// Steps a glide takes.
    steps: u32,
}

fn band_coefs(kind: BandKind, g: &Glide, rate: f64) -> Coefs {
    let (f, q) = (g.lf.exp2(), g.lq.exp2());
    match kind {
        BandKind::LowShelf => Coefs::low_shelf(f, q, g.db, rate),
        BandKind::Peak => Coefs::peaking(f, q, g.db, rate),
        BandKind::HighShelf => Coefs::high_shelf(f, q, g.db, rate),
        BandKind::LowPass => Coefs::lowpass(f, q, rate),
        BandKind::HighPass => Coefs::highpass(f, q, rate),
        BandKind::Notch => Coefs::notch(f, q, rate),
    }
}

/// The gain a band aims at: its own, or 0 dB when it is out of the path.
fn effective_db(eq_on: bool, b: &BandSpec) -> f64 {
    if eq_on && b.on && b.kind.has_gain() {
        f64::from(b.gain_db)
    } else {
        0.0
    }
}

impl StripEq {
    /// An EQ at `spec`, settled, at `rate` Hz, gliding over about
    /// `smoothing_frames` samples. Allocation-free: build anywhere.
    pub fn new(spec: EqSpec, rate: u32, smoothing_frames: u32) -> StripEq {
        let steps = (u64::from(smoothing_frames) / EQ_CONTROL_FRAMES).max(1) as u32;
        let zero = Glide {
            lf: 10.0,
            db: 0.0,
            lq: 0.0,
        };
        let mut eq = StripEq {
            rate: f64::from(rate.max(1)),
            target: spec,
            glide: [zero; 4],
            to: [zero; 4],
            delta: [zero; 4],
            steps_left: [0; 4],
            active: [false; 4],
            sections: [[Section::default(); MAX_SECTIONS]; 2],
            hpf_used: 0,
            steps,
        };
        for i in 0..4 {
            let b = spec.bands[i];
            eq.glide[i] = Glide::of(&b, effective_db(spec.on, &b));
            eq.to[i] = eq.glide[i];
        }
        eq.set_hpf();
        for i in 0..4 {
            eq.refresh_band(i);
        }
        eq
    }

    /// New settings; they are reached by gliding.
    pub fn set(&mut self, spec: EqSpec) {
        if spec == self.target {
            return;
        }
        let hpf_changed = spec.hpf_on != self.target.hpf_on
            || spec.hpf_hz != self.target.hpf_hz
            || spec.hpf_slope != self.target.hpf_slope;
        let kinds_changed: [bool; 4] =
            std::array::from_fn(|i| spec.bands[i].kind != self.target.bands[i].kind);
        let switched: [bool; 4] = std::array::from_fn(|i| {
            spec.on != self.target.on || spec.bands[i].on != self.target.bands[i].on
        });
        self.target = spec;
        if hpf_changed {
            self.set_hpf();
        }
        for (i, changed) in kinds_changed.into_iter().enumerate() {
            let b = spec.bands[i];
            let to = Glide::of(&b, effective_db(spec.on, &b));
            if changed {
                // A new kind starts from its target: nothing to glide from.
                self.glide[i] = to;
                self.to[i] = to;
                self.steps_left[i] = 0;
                for ch in &mut self.sections {
                    ch[2 + i].reset();
                }
                self.refresh_band(i);
            } else if to != self.to[i] {
                self.to[i] = to;
                self.delta[i] = self.glide[i].delta_to(&to, f64::from(self.steps));
                self.steps_left[i] = self.steps;
            }
            if switched[i] && !b.kind.has_gain() {
                // Filters and notches switch at once.
                self.refresh_band(i);
            }
        }
    }

    /// New settings, in effect at once (no glide): for automation lanes
    /// that step on their own grid, so the result does not depend on where
    /// the sample clock's glide grid falls.
    pub fn jump(&mut self, spec: EqSpec) {
        self.set(spec);
        for i in 0..4 {
            if self.steps_left[i] > 0 {
                self.steps_left[i] = 0;
                self.glide[i] = self.to[i];
                self.refresh_band(i);
            }
        }
    }

    /// Take `leader`'s settings and where its glides stand, keeping this
    /// EQ's own filter memory: from then on it filters its own signal as
    /// `leader` filters its signal (a render sends stems through a copy
    /// of the master's EQ this way). Call it before each block `leader`
    /// processes. A section whose memory `leader` holds empty was cleared
    /// (a band coming into the path starts so), and is cleared here too.
    pub fn follow(&mut self, leader: &StripEq) {
        let memory = self.sections;
        self.clone_from(leader);
        for (mine, kept) in self
            .sections
            .iter_mut()
            .flatten()
            .zip(memory.iter().flatten())
        {
            if !mine.is_empty() {
                mine.take_state_of(kept);
            }
        }
    }

    /// The settings aimed at.
    pub fn spec(&self) -> EqSpec {
        self.target
    }

    fn set_hpf(&mut self) {
        let t = self.target;
        if !t.hpf_on {
            self.hpf_used = 0;
            return;
        }
        let f = f64::from(t.hpf_hz);
        let (first, qs) = hpf_sections(t.hpf_slope);
        let mut coefs = [Coefs::IDENTITY; 2];
        let mut n = 0;
        if first {
            coefs[n] = Coefs::highpass1(f, self.rate);
            n += 1;
        }
        for q in qs {
            coefs[n] = Coefs::highpass(f, *q, self.rate);
            n += 1;
        }
        let newly = self.hpf_used == 0;
        for ch in &mut self.sections {
            for (s, c) in ch.iter_mut().zip(coefs).take(n) {
                s.set(c);
                if newly {
                    s.reset();
                }
            }
        }
        self.hpf_used = n;
    }

    /// Recompute band `i`'s coefficients from its glide, and whether it
    /// is in the path.
    fn refresh_band(&mut self, i: usize) {
        let b = self.target.bands[i];
        let g = self.glide[i];
        let in_path = if b.kind.has_gain() {
            // Until it has glided to 0 dB, a band switched off still plays.
            g.db.abs() > 1e-3
        } else {
            self.target.on && b.on
        };
        if in_path && !self.active[i] {
            for ch in &mut self.sections {
                ch[2 + i].reset();
            }
        }
        self.active[i] = in_path;
        if in_path {
            let c = band_coefs(b.kind, &g, self.rate);
            for ch in &mut self.sections {
                ch[2 + i].set(c);
            }
        }
    }

    /// True while some band is still gliding.
    fn gliding(&self) -> bool {
        self.steps_left.iter().any(|s| *s > 0)
    }

    /// True when nothing glides and every filter's memory is empty: with
    /// silence in it stays so.
    pub fn is_quiet(&self) -> bool {
        !self.gliding() && self.sections.iter().flatten().all(|s| s.is_empty())
    }

    /// Its state (filter memories and glides in progress), word by word.
    pub fn state_words(&self, w: &mut super::state_words::StateWords) {
        for s in &self.steps_left {
            w.word(*s);
        }
        for ch in &self.sections {
            for s in ch {
                s.state_words(w);
            }
        }
    }

    /// One smoothing step for every band that glides.
    fn step(&mut self) {
        for i in 0..4 {
            if self.steps_left[i] == 0 {
                continue;
            }
            self.steps_left[i] -= 1;
            if self.steps_left[i] == 0 {
                self.glide[i] = self.to[i];
            } else {
                let d = self.delta[i];
                self.glide[i].add(&d);
            }
            self.refresh_band(i);
        }
    }

    fn run(&mut self, part: EqPart, l: &mut [f32], r: Option<&mut [f32]>) {
        // The sections in the path, in order: high-pass, then the bands.
        let mut order = [0usize; MAX_SECTIONS];
        let mut count = 0;
        let used = if part.hpf { self.hpf_used } else { 0 };
        for i in 0..used {
            order[count] = i;
            count += 1;
        }
        if part.bands {
            for (i, on) in self.active.iter().enumerate() {
                if *on {
                    order[count] = 2 + i;
                    count += 1;
                }
            }
        }
        let mut secs = [[Section::default(); MAX_SECTIONS]; 2];
        for (local, own) in secs.iter_mut().zip(&self.sections) {
            for (k, &i) in order[..count].iter().enumerate() {
                local[k] = own[i];
            }
        }
        let [left, right] = &mut secs;
        match r {
            Some(r) => run_stereo(count, left, right, l, r),
            None => run_mono(count, left, l),
        }
        for (own, local) in self.sections.iter_mut().zip(&secs) {
            for (k, &i) in order[..count].iter().enumerate() {
                own[i] = local[k];
            }
        }
    }

    /// Filter a block in place; `frame` is the sample clock at its first
    /// sample. `r` is `None` for a mono strip.
    #[inline]
    pub fn process(&mut self, frame: u64, l: &mut [f32], r: Option<&mut [f32]>) {
        self.process_part(EqPart::ALL, frame, l, r);
    }

    /// Like [`StripEq::process`], only the high-pass filter or only the
    /// bands (so something can sit between them). The bands glide only
    /// when they are processed.
    #[inline]
    pub fn process_part(
        &mut self,
        part: EqPart,
        frame: u64,
        l: &mut [f32],
        mut r: Option<&mut [f32]>,
    ) {
        let n = l.len();
        if !part.bands || !self.gliding() {
            self.run(part, l, r);
            return;
        }
        let mut done = 0;
        while done < n {
            let f = frame + done as u64;
            if f.is_multiple_of(EQ_CONTROL_FRAMES) {
                self.step();
            }
            let to_grid = (EQ_CONTROL_FRAMES - f % EQ_CONTROL_FRAMES) as usize;
            let m = to_grid.min(n - done);
            let rr = r.as_deref_mut().map(|r| &mut r[done..done + m]);
            self.run(part, &mut l[done..done + m], rr);
            done += m;
        }
    }

    /// The EQ's total gain at `f` Hz as it is set now (the product of its
    /// sections in the path), analytically, in dB.
    pub fn magnitude_db(&self, f: f64) -> f64 {
        let t = self.target;
        let mut db = 0.0;
        if t.hpf_on {
            let (first, qs) = hpf_sections(t.hpf_slope);
            let hz = f64::from(t.hpf_hz);
            if first {
                db += Coefs::highpass1(hz, self.rate).magnitude_db(f, self.rate);
            }
            for q in qs {
                db += Coefs::highpass(hz, *q, self.rate).magnitude_db(f, self.rate);
            }
        }
        for b in &t.bands {
            if t.on && b.on {
                let g = Glide::of(b, effective_db(true, b));
                db += band_coefs(b.kind, &g, self.rate).magnitude_db(f, self.rate);
            }
        }
        db
    }
}

/// Sections a strip's EQ runs at most: two for the high-pass, four bands.
const MAX_SECTIONS: usize = 6;

/// The first `n` of `secs` in series over `buf`.
fn run_mono(n: usize, secs: &mut [Section; MAX_SECTIONS], buf: &mut [f32]) {
    fn go<const N: usize>(secs: &mut [Section; MAX_SECTIONS], buf: &mut [f32]) {
        if let Some(head) = secs.first_chunk_mut::<N>() {
            cascade(head, buf);
        }
    }
    match n {
        1 => go::<1>(secs, buf),
        2 => go::<2>(secs, buf),
        3 => go::<3>(secs, buf),
        4 => go::<4>(secs, buf),
        5 => go::<5>(secs, buf),
        6 => go::<6>(secs, buf),
        _ => {}
    }
}

/// The first `n` sections of each channel in series over `l` and `r`.
fn run_stereo(
    n: usize,
    left: &mut [Section; MAX_SECTIONS],
    right: &mut [Section; MAX_SECTIONS],
    l: &mut [f32],
    r: &mut [f32],
) {
    fn go<const N: usize>(
        left: &mut [Section; MAX_SECTIONS],
        right: &mut [Section; MAX_SECTIONS],
        l: &mut [f32],
        r: &mut [f32],
    ) {
        if let (Some(a), Some(b)) = (left.first_chunk_mut::<N>(), right.first_chunk_mut::<N>()) {
            cascade_stereo(a, b, l, r);
        }
    }
    match n {
        1 => go::<1>(left, right, l, r),
        2 => go::<2>(left, right, l, r),
        3 => go::<3>(left, right, l, r),
        4 => go::<4>(left, right, l, r),
        5 => go::<5>(left, right, l, r),
        6 => go::<6>(left, right, l, r),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> EqSpec {
        EqSpec {
            on: true,
            hpf_on: false,
            hpf_hz: 80.0,
            hpf_slope: HpfSlope::Db12,
            bands: [BandSpec {
                on: true,
                kind: BandKind::Peak,
                freq_hz: 1_000.0,
                gain_db: 0.0,
                q: 1.0,
            }; 4],
        }
    }

    fn level(eq: &mut StripEq, f: f64) -> f64 {
        let mut buf: Vec<f32> = (0..9_600)
            .map(|i| (2.0 * std::f64::consts::PI * f * i as f64 / 48_000.0).sin() as f32)
            .collect();
        eq.process(0, &mut buf, None);
        let peak = buf[4_800..].iter().fold(0.0f32, |m, x| m.max(x.abs()));
        20.0 * f64::from(peak).log10()
    }

    #[test]
    fn flat_is_transparent_and_switches_take_effect() {
        let mut eq = StripEq::new(spec(), 48_000, 480);
        assert!(level(&mut eq, 1_000.0).abs() < 0.01);
        let mut s = spec();
        s.bands[0].kind = BandKind::Notch;
        s.bands[0].q = 4.0;
        eq.set(s);
        assert!(level(&mut eq, 1_000.0) < -40.0);
        // The EQ switched off: the notch leaves the path at once.
        s.on = false;
        eq.set(s);
        assert!(level(&mut eq, 1_000.0).abs() < 0.01);
        s.on = true;
        eq.set(s);
        assert!(level(&mut eq, 1_000.0) < -40.0);
    }

    #[test]
    fn a_gain_change_arrives_in_the_smoothing_time_in_even_steps() {
        let mut eq = StripEq::new(spec(), 48_000, 480);
        let mut s = spec();
        s.bands[1].gain_db = 12.0;
        eq.set(s);
        let mut seen = Vec::new();
        for k in 0..20u64 {
            let mut buf = [0.0f32; 32];
            eq.process(k * 32, &mut buf, None);
            seen.push(eq.glide[1].db);
        }
        // 480 frames = 15 steps of 0.8 dB, then it rests on 12.
        assert!((seen[0] - 0.8).abs() < 1e-9, "{seen:?}");
        assert!((seen[7] - 6.4).abs() < 1e-9, "{seen:?}");
        assert_eq!(seen[14], 12.0);
        assert_eq!(seen[19], 12.0);
    }
}
