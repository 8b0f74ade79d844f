//! Solo-in-place with solo-safe and signal-flow propagation.
//!
//! When any strip is soloed, a track or bus stays audible if it is soloed,
//! solo-safe, feeds a soloed strip (upstream: soloing a reverb return keeps
//! the tracks that send to it), or is fed by a soloed strip (downstream:
//! soloing a vocal keeps the reverb it sends to and the group it is routed
//! to). A solo-safe strip keeps its own path too: the group it is routed to
//! and the buses it sends to stay audible, so a safe source is heard
//! through them (the path's other, unsafe sources are still muted at their
//! own strips). Everything else is muted by solo. Master is never muted by
//! solo.

use crate::model::{Output, Session};

/// For each track and each bus: muted by solo?
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SoloMutes {
    /// Per track.
    pub tracks: Vec<bool>,
    /// Per bus.
    pub buses: Vec<bool>,
}

/// Compute which strips the current solos mute.
pub fn solo_mutes(session: &Session) -> SoloMutes {
    let t = session.tracks.len();
    let b = session.buses.len();
    let mut out = SoloMutes {
        tracks: vec![false; t],
        buses: vec![false; b],
    };
    let any_solo = session.tracks.iter().any(|x| x.controls.solo)
        || session.buses.iter().any(|x| x.controls.solo);
    if !any_solo {
        return out;
    }
    // Nodes 0..t are tracks, t..t+b buses; edges follow the signal.
    let n = t + b;
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, track) in session.tracks.iter().enumerate() {
        if let Output::Bus(g) = track.output {
            edges[i].push(t + g);
        }
        edges[i].extend(aux_targets(&track.controls).map(|b| t + b));
    }
    for (j, bus) in session.buses.iter().enumerate() {
        edges[t + j].extend(aux_targets(&bus.controls).map(|b| t + b));
    }
    let soloed: Vec<bool> = session
        .tracks
        .iter()
        .map(|x| x.controls.solo)
        .chain(session.buses.iter().map(|x| x.controls.solo))
        .collect();
    let safe: Vec<bool> = session
        .tracks
        .iter()
        .map(|x| x.controls.solo_safe)
        .chain(session.buses.iter().map(|x| x.controls.solo_safe))
        .collect();
    let soloed_or_safe: Vec<bool> = soloed.iter().zip(&safe).map(|(s, f)| *s || *f).collect();
    let downstream = reach(&edges, &soloed_or_safe);
    let mut reversed: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (from, tos) in edges.iter().enumerate() {
        for &to in tos {
            reversed[to].push(from);
        }
    }
    let upstream = reach(&reversed, &soloed);
    for k in 0..n {
        let muted = !(downstream[k] || upstream[k]);
        if k < t {
            out.tracks[k] = muted;
        } else {
            out.buses[k - t] = muted;
        }
    }
    out
}

/// Nodes reachable from any start node (starts included).
fn reach(edges: &[Vec<usize>], start: &[bool]) -> Vec<bool> {
    let mut seen = start.to_vec();
    let mut stack: Vec<usize> = (0..start.len()).filter(|&i| start[i]).collect();
    while let Some(i) = stack.pop() {
        for &j in &edges[i] {
            if j < seen.len() && !seen[j] {
                seen[j] = true;
                stack.push(j);
            }
        }
    }
    seen
}

/// The aux buses a strip sends to (hardware sends leave the mix).
fn aux_targets(c: &crate::model::Controls) -> impl Iterator<Item = usize> + '_ {
    c.sends.iter().filter_map(|s| match s.target {
        crate::model::SendTarget::Bus(b) => Some(b),
        crate::model::SendTarget::Output(_) => None,
    })
}
