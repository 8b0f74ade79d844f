//! A node's raw signal for one piece of a block: hardware inputs, a clip
//! on the transport's timeline, a generator, or silence; and whether,
//! with the transport standing, that signal is exact silence.
//!
//! Thread: the audio thread, or a render worker. No allocation, lock, I/O
//! or panic.

use super::auto::TimelineClock;
use super::graph::{Channels, Node, NodeInput};
use crate::dsp::state_words::all_positive_zero;

/// The clocks a block is rendered at.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    /// Free-running sample clock (generators run on it).
    pub(crate) frame: u64,
    /// Timeline frame while the transport rolls (clips play on it); `None`
    /// when stopped: clips are silent.
    pub(crate) timeline: Option<u64>,
    /// The timeline as automation reads it (also when stopped).
    pub(crate) automation: TimelineClock,
}

/// True when what [`fill_source`] would put into `node.pre[..n]` while
/// the transport stands is exact silence: a bus (its accumulator is empty
/// when nothing routes into it), no source, a clip (it plays only while
/// rolling), or hardware inputs holding `+0.0`. A tone never is.
pub(crate) fn hears_silence_standing(node: &Node, inputs: &[Box<[f32]>], n: usize) -> bool {
    let silent = |ch: usize| inputs.get(ch).is_none_or(|b| all_positive_zero(&b[..n]));
    match node.input {
        NodeInput::Silence | NodeInput::Bus | NodeInput::Clip { .. } => true,
        NodeInput::Input { first } => {
            silent(first) && (node.channels == Channels::Mono || silent(first + 1))
        }
        NodeInput::Tone(_) => false,
    }
}

/// Put a standing-alone node's raw signal into `node.pre[..n]`.
pub(crate) fn fill_source(
    node: &mut Node,
    inputs: &[Box<[f32]>],
    off: usize,
    clock: Clock,
    n: usize,
) {
    let stereo = node.channels == Channels::Stereo;
    let pre = &mut node.pre;
    match &mut node.input {
        // A bus given no accumulator hears nothing.
        NodeInput::Silence | NodeInput::Bus => {
            pre.l[..n].fill(0.0);
            pre.r[..n].fill(0.0);
        }
        NodeInput::Input { first } => {
            copy_or_silence(&mut pre.l[..n], inputs.get(*first).map(|b| &b[off..]));
            if stereo {
                copy_or_silence(&mut pre.r[..n], inputs.get(*first + 1).map(|b| &b[off..]));
            }
        }
        NodeInput::Clip { clip, looped } => {
            let left = clip.channels.first().map(|c| &c[..]);
            let right = if stereo {
                clip.channels.get(1).map(|c| &c[..]).or(left)
            } else {
                None
            };
            let Some(frame) = clock.timeline else {
                pre.l[..n].fill(0.0);
                pre.r[..n].fill(0.0);
                return;
            };
            let start = clip.start;
            play_clip(&mut pre.l[..n], left, frame, start, *looped);
            if stereo {
                play_clip(&mut pre.r[..n], right, frame, start, *looped);
            }
        }
        NodeInput::Tone(generator) => {
            generator.fill(clock.frame, &mut pre.l[..n]);
            if stereo {
                let (l, r) = (&pre.l[..n], &mut pre.r[..n]);
                r.copy_from_slice(l);
            }
        }
    }
}

fn copy_or_silence(dst: &mut [f32], src: Option<&[f32]>) {
    match src {
        Some(s) => dst.copy_from_slice(&s[..dst.len()]),
        None => dst.fill(0.0),
    }
}

/// Timeline frames from `frame` of a clip whose `src` starts at timeline
/// frame `start`; silence outside it (or, looped, the clip again).
fn play_clip(dst: &mut [f32], src: Option<&[f32]>, frame: u64, start: u64, looped: bool) {
    let Some(src) = src.filter(|s| !s.is_empty()) else {
        dst.fill(0.0);
        return;
    };
    let len = src.len() as u64;
    // Frames before the clip's start are silent.
    let mut written = usize::try_from(start.saturating_sub(frame))
        .unwrap_or(usize::MAX)
        .min(dst.len());
    dst[..written].fill(0.0);
    let frame = (frame + written as u64) - start;
    let mut pos = if looped { frame % len } else { frame };
    while written < dst.len() {
        if pos >= len {
            if !looped {
                dst[written..].fill(0.0);
                return;
            }
            pos = 0;
        }
        let take = (dst.len() - written).min((len - pos) as usize);
        dst[written..written + take].copy_from_slice(&src[pos as usize..pos as usize + take]);
        written += take;
        pos += take as u64;
    }
}
