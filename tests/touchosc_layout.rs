//! The shipped TouchOSC layout (examples/faderd-mixer.tosc) parses, and
//! every OSC address it uses is one faderd takes (what it sends) or emits
//! (what it listens for), checked against a real hub and OSC surface.

use faderd::engine::EngineConfig;
use faderd::mixer::{Hub, Origin};
use faderd::surfaces::osc::codec::decode;
use faderd::surfaces::osc::{OscCommand, OscStats, OscSurface, SurfaceOptions};
use rosc::{OscMessage, OscPacket, OscType};
use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

fn layout_xml() -> String {
    let bytes = std::fs::read("examples/faderd-mixer.tosc").unwrap();
    let mut xml = String::new();
    flate2::read::ZlibDecoder::new(&bytes[..])
        .read_to_string(&mut xml)
        .expect("a .tosc file is zlib-compressed XML");
    xml
}

/// A session with everything the layout shows: 8 tracks with 2 sends
/// each, a reverb and a delay bus.
fn hub() -> Hub {
    let mut yaml = String::from(
        "version: 1\nname: layout\nbuses:\n  - { name: Verb, kind: aux, reverb: {} }\n  - { name: Echo, kind: aux, delay: {} }\ntracks:\n",
    );
    for n in 1..=8 {
        yaml.push_str(&format!(
            "  - {{ name: T{n}, sends: [{{ bus: Verb, gain_db: -10 }}, {{ bus: Echo, gain_db: -20 }}] }}\n"
        ));
    }
    let session = faderd::config::parse_session(&yaml, Path::new("layout.yaml")).unwrap();
    let clips = faderd::media::load_clips(&session, Path::new(".")).unwrap();
    let cfg = EngineConfig {
        sample_rate: 48_000,
        max_block: 64,
        inputs: 0,
        outputs: 2,
    };
    Hub::new(session, clips, cfg).unwrap().0
}

struct Message {
    path: String,
    send: bool,
    receive: bool,
    arg: Option<(String, String)>, // (kind, conversion)
    /// A constant argument's value.
    constant: Option<f32>,
}

fn messages(doc: &roxmltree::Document) -> Vec<Message> {
    let text = |n: roxmltree::Node, tag: &str| {
        n.children()
            .find(|c| c.has_tag_name(tag))
            .and_then(|c| c.text())
            .unwrap_or("")
            .to_owned()
    };
    doc.descendants()
        .filter(|n| n.has_tag_name("osc"))
        .map(|osc| {
            let path_partials: Vec<_> = osc
                .children()
                .find(|c| c.has_tag_name("path"))
                .unwrap()
                .children()
                .filter(|c| c.has_tag_name("partial"))
                .collect();
            assert_eq!(path_partials.len(), 1, "one constant path partial");
            assert_eq!(text(path_partials[0], "type"), "CONSTANT");
            let partial = osc
                .children()
                .find(|c| c.has_tag_name("arguments"))
                .and_then(|a| a.children().find(|c| c.has_tag_name("partial")));
            let arg = partial.map(|p| (text(p, "type"), text(p, "conversion")));
            let constant = partial
                .filter(|p| text(*p, "type") == "CONSTANT")
                .and_then(|p| text(p, "value").parse().ok());
            Message {
                path: text(path_partials[0], "value"),
                send: text(osc, "send") == "1",
                receive: text(osc, "receive") == "1",
                arg,
                constant,
            }
        })
        .collect()
}

#[test]
fn the_layout_is_well_formed_lexml() {
    let xml = layout_xml();
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "lexml");
    assert_eq!(root.attribute("version"), Some("3"));
    let mut ids = BTreeSet::new();
    let mut kinds = BTreeSet::new();
    for node in doc.descendants().filter(|n| n.has_tag_name("node")) {
        assert!(
            ids.insert(node.attribute("ID").unwrap().to_owned()),
            "unique IDs"
        );
        kinds.insert(node.attribute("type").unwrap().to_owned());
        let keys: Vec<_> = node
            .children()
            .find(|c| c.has_tag_name("properties"))
            .unwrap()
            .children()
            .filter_map(|p| p.children().find(|k| k.has_tag_name("key")))
            .filter_map(|k| k.text())
            .collect();
        assert!(
            keys.contains(&"name") && keys.contains(&"frame"),
            "{keys:?}"
        );
    }
    for k in [
        "GROUP", "PAGER", "FADER", "RADIAL", "BUTTON", "LABEL", "RADIO",
    ] {
        assert!(kinds.contains(k), "{k} missing: {kinds:?}");
    }
    // The layout subscribes (with meters) when it opens.
    assert!(xml.contains("sendOSC('/subscribe', 0, 1)"));
}

#[test]
fn everything_the_layout_sends_is_a_faderd_input() {
    let xml = layout_xml();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let mut hub = hub();
    let mut sent = BTreeSet::new();
    for m in messages(&doc).into_iter().filter(|m| m.send) {
        let arg = match m.arg.as_ref().map(|(_, conv)| conv.as_str()) {
            Some("FLOAT") => vec![OscType::Float(m.constant.unwrap_or(0.0))],
            Some("INTEGER") => vec![OscType::Int(1)],
            Some("STRING") => vec![OscType::String("x".into())],
            Some(other) => panic!("{}: conversion {other}", m.path),
            None => vec![],
        };
        let bytes = rosc::encoder::encode(&OscPacket::Message(OscMessage {
            addr: m.path.clone(),
            args: arg,
        }))
        .unwrap();
        let decoded = decode(&bytes);
        assert_eq!(decoded.len(), 1, "{}", m.path);
        match decoded.into_iter().next().unwrap() {
            Ok(OscCommand::Set { address, value }) => {
                hub.apply(Origin::Daemon, address, value)
                    .unwrap_or_else(|e| panic!("{}: {e}", m.path));
            }
            Ok(OscCommand::Touch { address, on }) => {
                hub.touch(Origin::Daemon, address, on)
                    .unwrap_or_else(|e| panic!("{}: {e}", m.path));
            }
            Ok(OscCommand::Transport(_) | OscCommand::ResetLoudness) => {}
            other => panic!("{}: {other:?}", m.path),
        }
        sent.insert(m.path);
    }
    for want in [
        "/strip/1/fader",
        "/strip/8/fader/touch",
        "/strip/3/pan",
        "/strip/3/mute",
        "/strip/3/solo",
        "/strip/5/automation",
        "/strip/8/send/2/fader",
        "/master/fader",
        "/transport/play",
        "/transport/stop",
        "/transport/locate",
        "/strip/4/hpf/freq/pos",
        "/strip/4/eq/3/gain/pos",
        "/strip/4/eq/on",
        "/strip/6/comp/threshold/pos",
        "/strip/6/gate/range/pos",
        "/master/limiter/ceiling/pos",
        "/bus/1/reverb/decay/pos",
        "/bus/2/delay/time/pos",
        "/bus/2/delay/ping_pong",
    ] {
        assert!(sent.contains(want), "{want} not in the layout");
    }
}

#[test]
fn everything_the_layout_listens_for_is_something_faderd_sends() {
    let xml = layout_xml();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let mut hub = hub();
    let mut surface = OscSurface::new(
        SurfaceOptions {
            max_datagram: 65_507,
            ..SurfaceOptions::default()
        },
        Arc::new(OscStats::default()),
        Arc::new(faderd::health::Health::default()),
    );
    let from = "127.0.0.1:9000".parse().unwrap();
    let mut grams = surface.handle(
        &mut hub,
        from,
        vec![Ok(OscCommand::Subscribe {
            port: None,
            meters: true,
        })],
        Instant::now(),
    );
    // The state dump is paced over ticks.
    for _ in 0..50 {
        grams.extend(surface.tick(
            &hub,
            &[],
            &faderd::mixer::MeterFrame::default(),
            Instant::now(),
        ));
    }
    let mut emitted = BTreeSet::new();
    fn collect(p: OscPacket, out: &mut BTreeSet<String>) {
        match p {
            OscPacket::Message(m) => {
                out.insert(m.addr);
            }
            OscPacket::Bundle(b) => b.content.into_iter().for_each(|p| collect(p, out)),
        }
    }
    for g in grams {
        collect(rosc::decoder::decode_udp(&g.bytes).unwrap().1, &mut emitted);
    }
    let mut listened = 0;
    for m in messages(&doc).into_iter().filter(|m| m.receive) {
        assert!(
            emitted.contains(&m.path),
            "the layout listens for {} but faderd never sends it",
            m.path
        );
        listened += 1;
    }
    assert!(listened > 300, "{listened}");
}
