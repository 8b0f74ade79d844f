//! Meters leave the audio thread through atomics: the engine writes, the hub
//! reads at its own pace. Latest value wins; peaks are held until read.

use std::sync::atomic::{AtomicU32, Ordering};

/// Peak and RMS of both channels of one node.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MeterReading {
    /// Sample peaks (left, right) since the last read, linear.
    pub peak: [f32; 2],
    /// RMS (left, right), linear, 300 ms integration.
    pub rms: [f32; 2],
    /// The most gain reduction of the strip's dynamics (gate, compressor,
    /// limiter) since the last read, dB (<= 0).
    pub gain_reduction_db: f32,
    /// The most gain reduction of the strip's limiter alone (the
    /// master's) since the last read, dB (<= 0; 0 with no limiter).
    pub limiter_reduction_db: f32,
}

/// What one block's dynamics took off, dB (<= 0 each).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct BlockReduction {
    /// The most of the gate's, the compressor's and the limiter's.
    pub all_db: f32,
    /// The limiter's alone.
    pub limiter_db: f32,
}

#[derive(Debug, Default)]
struct NodeMeter {
    peak: [AtomicU32; 2],
    mean_square: [AtomicU32; 2],
    /// Gain reduction as a positive dB figure (so `fetch_max` holds it).
    reduction: AtomicU32,
    /// The limiter's share, the same way.
    limiter: AtomicU32,
}

/// One meter per node of a graph, shared between the engine and the hub.
#[derive(Debug)]
pub struct MeterBank {
    nodes: Box<[NodeMeter]>,
}

impl MeterBank {
    /// A bank for `nodes` nodes, all silent.
    pub fn new(nodes: usize) -> MeterBank {
        MeterBank {
            nodes: (0..nodes).map(|_| NodeMeter::default()).collect(),
        }
    }

    /// Number of nodes metered.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True for a bank of no nodes.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Audio thread: record one block of node `index`. Wait-free.
    #[inline]
    pub(crate) fn record(
        &self,
        index: usize,
        peak: [f32; 2],
        mean_square: [f32; 2],
        reduction: BlockReduction,
    ) {
        if let Some(m) = self.nodes.get(index) {
            // Non-negative f32s order the same as their bit patterns, so
            // `fetch_max` holds the largest.
            let held = |db: f32| (-db).max(0.0).to_bits();
            m.reduction
                .fetch_max(held(reduction.all_db), Ordering::Relaxed);
            m.limiter
                .fetch_max(held(reduction.limiter_db), Ordering::Relaxed);
            for ch in 0..2 {
                m.peak[ch].fetch_max(peak[ch].max(0.0).to_bits(), Ordering::Relaxed);
                m.mean_square[ch].store(mean_square[ch].to_bits(), Ordering::Relaxed);
            }
        }
    }

    /// Hub: read node `index`, resetting its held peak.
    pub fn take(&self, index: usize) -> MeterReading {
        let Some(m) = self.nodes.get(index) else {
            return MeterReading::default();
        };
        let mut r = MeterReading::default();
        for ch in 0..2 {
            r.peak[ch] = f32::from_bits(m.peak[ch].swap(0, Ordering::Relaxed));
            r.rms[ch] = f32::from_bits(m.mean_square[ch].load(Ordering::Relaxed)).sqrt();
        }
        let taken = |a: &AtomicU32| {
            let db = f32::from_bits(a.swap(0, Ordering::Relaxed));
            if db > 0.0 { -db } else { 0.0 }
        };
        r.gain_reduction_db = taken(&m.reduction);
        r.limiter_reduction_db = taken(&m.limiter);
        r
    }
}
