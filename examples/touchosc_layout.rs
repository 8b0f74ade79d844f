//! Writes examples/faderd-mixer.tosc, the TouchOSC layout faderd ships:
//! `cargo run --example touchosc_layout`.
//!
//! A .tosc file is zlib-compressed XML (`<lexml version='3'>`) of nested
//! nodes, each with properties, values and OSC messages. Every path here is
//! a native faderd address (DESIGN.md); tests/touchosc_layout.rs checks them.
//!
//! Page "Mixer": 8 strips (name, automation mode, pan, fader with touch,
//! meter, dB, mute, solo) and the master, transport buttons.
//! Page "Sends": sends 1 and 2 of the 8 strips, with the buses' names.
//! Page "EQ": the 8 strips' high-pass filter and 4 bands (gain, frequency,
//! band in/out), EQ in/out.
//! Page "Dynamics": the 8 strips' compressor and gate, gain reduction.
//! Page "Master & FX": the limiter, the loudness readout and its reset, the
//! reverb on bus 1 and the delay on bus 2.
//!
//! Knobs for settings on their own scales (Hz, dB, ms) use the `/pos`
//! form of the address: a position 0..1 on the same scale a Mackie V-Pot
//! turns (log for frequencies and times).

use std::fmt::Write as _;
use std::io::Write as _;

const STRIPS: usize = 8;
const SENDS: usize = 2;
const MODES: [&str; 6] = ["off", "read", "touch", "latch", "write", "trim"];

#[derive(Clone, Copy)]
struct Rect(f32, f32, f32, f32);

/// What one OSC message of a control does.
struct Osc {
    path: String,
    /// The control value sent as the argument (`x`, `touch`, `text`), with
    /// its conversion; `None`: no argument.
    arg: Option<(&'static str, &'static str)>,
    /// The value whose change triggers sending.
    trigger: &'static str,
    /// `ANY` change, or `RISE` (a button's press only).
    condition: &'static str,
    /// `VALUE` (the control's value) or `CONSTANT` (the text in `arg.0`).
    arg_kind: &'static str,
    send: bool,
    receive: bool,
}

impl Osc {
    fn both(path: String, var: &'static str, conv: &'static str) -> Osc {
        Osc {
            path,
            arg: Some((var, conv)),
            trigger: var,
            condition: "ANY",
            arg_kind: "VALUE",
            send: true,
            receive: true,
        }
    }
    fn receive(path: String, var: &'static str, conv: &'static str) -> Osc {
        Osc {
            receive: true,
            send: false,
            ..Osc::both(path, var, conv)
        }
    }
    fn send(path: String, var: &'static str, conv: &'static str) -> Osc {
        Osc {
            receive: false,
            ..Osc::both(path, var, conv)
        }
    }
    /// Sent on a button's press with a fixed float argument.
    fn on_press(path: String, constant: &'static str) -> Osc {
        Osc {
            arg: Some((constant, "FLOAT")),
            trigger: "x",
            condition: "RISE",
            arg_kind: "CONSTANT",
            send: true,
            receive: false,
            path,
        }
    }
}

struct Node {
    kind: &'static str,
    name: String,
    frame: Rect,
    props: Vec<(char, &'static str, String)>,
    values: Vec<(&'static str, String)>,
    osc: Vec<Osc>,
    children: Vec<Node>,
}

impl Node {
    fn new(kind: &'static str, name: impl Into<String>, frame: Rect) -> Node {
        let values = match kind {
            "FADER" | "RADIAL" | "BUTTON" | "RADIO" => {
                vec![("x", "0".into()), ("touch", "false".into())]
            }
            "LABEL" | "TEXT" => vec![("text", String::new()), ("touch", "false".into())],
            _ => vec![("touch", "false".into())],
        };
        Node {
            kind,
            name: name.into(),
            frame,
            props: Vec::new(),
            values,
            osc: Vec::new(),
            children: Vec::new(),
        }
    }
    fn prop(mut self, ty: char, key: &'static str, value: impl Into<String>) -> Node {
        self.props.push((ty, key, value.into()));
        self
    }
    fn default_x(mut self, x: f32) -> Node {
        if let Some(v) = self.values.iter_mut().find(|v| v.0 == "x") {
            v.1 = x.to_string();
        }
        self
    }
    fn text(mut self, t: &str) -> Node {
        if let Some(v) = self.values.iter_mut().find(|v| v.0 == "text") {
            v.1 = t.into();
        }
        self
    }
    fn osc(mut self, o: Osc) -> Node {
        self.osc.push(o);
        self
    }
    fn child(mut self, n: Node) -> Node {
        self.children.push(n);
        self
    }
}

fn label(name: String, frame: Rect, text: &str) -> Node {
    Node::new("LABEL", name, frame)
        .text(text)
        .prop('i', "textSize", "12")
        .prop('b', "interactive", "0")
}

fn button(name: String, frame: Rect, toggle: bool, path: String) -> Node {
    Node::new("BUTTON", name, frame)
        .prop('i', "buttonType", if toggle { "1" } else { "0" })
        .osc(if toggle {
            Osc::both(path, "x", "INTEGER")
        } else {
            Osc::send(path, "x", "INTEGER")
        })
}

fn cdata(s: &str) -> String {
    format!("<![CDATA[{s}]]>")
}

fn write_node(out: &mut String, n: &Node, id: &mut u32) {
    *id += 1;
    let _ = write!(
        out,
        "<node ID='faderd-{:04x}-0000-4000-8000-{:012x}' type='{}'><properties>",
        *id, *id, n.kind
    );
    let Rect(x, y, w, h) = n.frame;
    let _ = write!(
        out,
        "<property type='s'><key>{}</key><value>{}</value></property>\
         <property type='r'><key>{}</key><value><x>{x}</x><y>{y}</y><w>{w}</w><h>{h}</h></value></property>",
        cdata("name"),
        cdata(&n.name),
        cdata("frame"),
    );
    for (ty, key, value) in &n.props {
        let value = if *ty == 's' {
            cdata(value)
        } else {
            value.clone()
        };
        let _ = write!(
            out,
            "<property type='{ty}'><key>{}</key><value>{value}</value></property>",
            cdata(key)
        );
    }
    out.push_str("</properties><values>");
    for (key, default) in &n.values {
        let _ = write!(
            out,
            "<value><key>{}</key><locked>0</locked><lockedDefaultCurrent>0</lockedDefaultCurrent>\
             <default>{}</default><defaultPull>0</defaultPull></value>",
            cdata(key),
            cdata(default)
        );
    }
    out.push_str("</values>");
    if !n.osc.is_empty() {
        out.push_str("<messages>");
        for o in &n.osc {
            let _ = write!(
                out,
                "<osc><enabled>1</enabled><send>{}</send><receive>{}</receive><feedback>0</feedback>\
                 <noDuplicates>0</noDuplicates><connections>1111111111</connections>\
                 <triggers><trigger><var>{}</var><condition>{}</condition></trigger></triggers>\
                 <path><partial><type>CONSTANT</type><conversion>STRING</conversion><value>{}</value>\
                 <scaleMin>0</scaleMin><scaleMax>1</scaleMax></partial></path><arguments>",
                u8::from(o.send),
                u8::from(o.receive),
                cdata(o.trigger),
                o.condition,
                cdata(&o.path),
            );
            if let Some((var, conv)) = o.arg {
                let _ = write!(
                    out,
                    "<partial><type>{}</type><conversion>{conv}</conversion><value>{}</value>\
                     <scaleMin>0</scaleMin><scaleMax>1</scaleMax></partial>",
                    o.arg_kind,
                    cdata(var)
                );
            }
            out.push_str("</arguments></osc>");
        }
        out.push_str("</messages>");
    }
    if !n.children.is_empty() {
        out.push_str("<children>");
        for c in &n.children {
            write_node(out, c, id);
        }
        out.push_str("</children>");
    }
    out.push_str("</node>");
}

/// One mixer column for `base` ("strip/3" or "master").
fn mixer_column(base: &str, title: &str, x: f32, with_solo: bool) -> Vec<Node> {
    let w = 104.0;
    let key = base.replace('/', "_");
    let mut nodes = vec![
        label(format!("{key}_name"), Rect(x, 60.0, w, 28.0), title).osc(Osc::receive(
            format!("/{base}/name"),
            "text",
            "STRING",
        )),
        label(format!("{key}_mode"), Rect(x, 92.0, w, 20.0), "off").osc(Osc::receive(
            format!("/{base}/automation"),
            "text",
            "STRING",
        )),
        Node::new(
            "RADIO",
            format!("{key}_automation"),
            Rect(x, 114.0, w, 26.0),
        )
        .prop('i', "steps", MODES.len().to_string())
        .prop('i', "orientation", "1")
        .osc(Osc::send(format!("/{base}/automation"), "x", "INTEGER")),
        Node::new(
            "RADIAL",
            format!("{key}_pan"),
            Rect(x + 22.0, 146.0, 60.0, 60.0),
        )
        .prop('b', "centered", "1")
        .default_x(0.5)
        .osc(Osc::both(format!("/{base}/pan"), "x", "FLOAT")),
        Node::new(
            "FADER",
            format!("{key}_fader"),
            Rect(x + 6.0, 214.0, 64.0, 380.0),
        )
        .prop('i', "orientation", "0")
        .prop('b', "grabFocus", "1")
        .default_x(0.75)
        .osc(Osc::both(format!("/{base}/fader"), "x", "FLOAT"))
        .osc(Osc::send(
            format!("/{base}/fader/touch"),
            "touch",
            "INTEGER",
        )),
        Node::new(
            "FADER",
            format!("{key}_meter"),
            Rect(x + 76.0, 214.0, 20.0, 380.0),
        )
        .prop('b', "interactive", "0")
        .prop('i', "orientation", "0")
        .osc(Osc::receive(format!("/{base}/meter"), "x", "FLOAT")),
        label(format!("{key}_db"), Rect(x, 598.0, w, 24.0), "0.0").osc(Osc::receive(
            format!("/{base}/gain"),
            "text",
            "STRING",
        )),
        button(
            format!("{key}_mute"),
            Rect(x + 4.0, 628.0, 46.0, 40.0),
            true,
            format!("/{base}/mute"),
        ),
    ];
    if with_solo {
        nodes.push(button(
            format!("{key}_solo"),
            Rect(x + 54.0, 628.0, 46.0, 40.0),
            true,
            format!("/{base}/solo"),
        ));
    }
    nodes
}

/// A knob for a setting by its `/pos` address, with a label showing the
/// value in its own units.
fn knob(name: String, frame: Rect, address: &str, centered: bool) -> Vec<Node> {
    let Rect(x, y, w, h) = frame;
    let mut radial = Node::new("RADIAL", name.clone(), frame).osc(Osc::both(
        format!("/{address}/pos"),
        "x",
        "FLOAT",
    ));
    if centered {
        radial = radial.prop('b', "centered", "1").default_x(0.5);
    }
    vec![
        radial,
        label(
            format!("{name}_value"),
            Rect(x - 6.0, y + h, w + 12.0, 18.0),
            "",
        )
        .osc(Osc::receive(format!("/{address}"), "text", "STRING")),
    ]
}

/// A caption.
fn caption(name: String, frame: Rect, text: &str) -> Node {
    label(name, frame, text).prop('i', "textSize", "10")
}

fn eq_column(n: usize, x: f32) -> Vec<Node> {
    let base = format!("strip/{n}");
    let mut nodes = vec![
        label(
            format!("eq{n}_name"),
            Rect(x, 60.0, 110.0, 24.0),
            &format!("Strip {n}"),
        )
        .osc(Osc::receive(format!("/{base}/name"), "text", "STRING")),
        button(
            format!("eq{n}_on"),
            Rect(x, 88.0, 52.0, 26.0),
            true,
            format!("/{base}/eq/on"),
        ),
        button(
            format!("eq{n}_hpf_on"),
            Rect(x + 58.0, 88.0, 52.0, 26.0),
            true,
            format!("/{base}/hpf/on"),
        ),
        caption(
            format!("eq{n}_hpf_caption"),
            Rect(x, 120.0, 40.0, 18.0),
            "HPF",
        ),
    ];
    nodes.extend(knob(
        format!("eq{n}_hpf"),
        Rect(x + 44.0, 118.0, 46.0, 46.0),
        &format!("{base}/hpf/freq"),
        false,
    ));
    for k in 1..=4 {
        let y = 190.0 + (k as f32 - 1.0) * 130.0;
        nodes.push(button(
            format!("eq{n}_band{k}_on"),
            Rect(x, y, 110.0, 22.0),
            true,
            format!("/{base}/eq/{k}/on"),
        ));
        nodes.extend(knob(
            format!("eq{n}_band{k}_gain"),
            Rect(x + 4.0, y + 28.0, 48.0, 48.0),
            &format!("{base}/eq/{k}/gain"),
            true,
        ));
        nodes.extend(knob(
            format!("eq{n}_band{k}_freq"),
            Rect(x + 60.0, y + 28.0, 48.0, 48.0),
            &format!("{base}/eq/{k}/freq"),
            false,
        ));
    }
    nodes
}

fn dynamics_column(n: usize, x: f32) -> Vec<Node> {
    let base = format!("strip/{n}");
    let mut nodes = vec![
        label(
            format!("dyn{n}_name"),
            Rect(x, 60.0, 110.0, 24.0),
            &format!("Strip {n}"),
        )
        .osc(Osc::receive(format!("/{base}/name"), "text", "STRING")),
        button(
            format!("dyn{n}_comp_on"),
            Rect(x, 88.0, 110.0, 26.0),
            true,
            format!("/{base}/comp/on"),
        ),
        caption(
            format!("dyn{n}_gr_caption"),
            Rect(x, 118.0, 40.0, 20.0),
            "GR",
        ),
        label(
            format!("dyn{n}_gr"),
            Rect(x + 40.0, 118.0, 70.0, 20.0),
            "0.0",
        )
        .osc(Osc::receive(format!("/{base}/meter/gr"), "text", "STRING")),
    ];
    let comp = [
        ("threshold", "Thr"),
        ("ratio", "Ratio"),
        ("attack", "Att"),
        ("release", "Rel"),
        ("makeup", "Gain"),
    ];
    for (i, (param, text)) in comp.iter().enumerate() {
        let (col, row) = ((i % 2) as f32, (i / 2) as f32);
        let (kx, ky) = (x + 4.0 + col * 56.0, 146.0 + row * 96.0);
        nodes.push(caption(
            format!("dyn{n}_{param}_caption"),
            Rect(kx, ky, 50.0, 16.0),
            text,
        ));
        nodes.extend(knob(
            format!("dyn{n}_{param}"),
            Rect(kx + 2.0, ky + 18.0, 46.0, 46.0),
            &format!("{base}/comp/{param}"),
            false,
        ));
    }
    nodes.push(button(
        format!("dyn{n}_gate_on"),
        Rect(x, 440.0, 110.0, 26.0),
        true,
        format!("/{base}/gate/on"),
    ));
    for (i, (param, text)) in [("threshold", "Thr"), ("range", "Range")]
        .iter()
        .enumerate()
    {
        let kx = x + 4.0 + i as f32 * 56.0;
        nodes.push(caption(
            format!("dyn{n}_gate_{param}_caption"),
            Rect(kx, 472.0, 50.0, 16.0),
            text,
        ));
        nodes.extend(knob(
            format!("dyn{n}_gate_{param}"),
            Rect(kx + 2.0, 490.0, 46.0, 46.0),
            &format!("{base}/gate/{param}"),
            false,
        ));
    }
    nodes
}

fn master_fx_page(mut page: Node) -> Node {
    // Limiter and loudness.
    page = page
        .child(label(
            "limiter_title".into(),
            Rect(12.0, 60.0, 300.0, 26.0),
            "Master limiter",
        ))
        .child(button(
            "limiter_on".into(),
            Rect(12.0, 92.0, 90.0, 36.0),
            true,
            "/master/limiter/on".into(),
        ));
    for (i, (param, text)) in [("ceiling", "Ceiling"), ("release", "Release")]
        .iter()
        .enumerate()
    {
        let x = 120.0 + i as f32 * 90.0;
        page = page.child(caption(
            format!("limiter_{param}_caption"),
            Rect(x, 88.0, 80.0, 16.0),
            text,
        ));
        for n in knob(
            format!("limiter_{param}"),
            Rect(x + 8.0, 106.0, 60.0, 60.0),
            &format!("master/limiter/{param}"),
            false,
        ) {
            page = page.child(n);
        }
    }
    page = page.child(label(
        "loudness_title".into(),
        Rect(12.0, 200.0, 300.0, 26.0),
        "Loudness (LUFS, LU, dBTP)",
    ));
    let figures = [
        ("momentary", "M"),
        ("short_term", "S"),
        ("integrated", "I"),
        ("range", "LRA"),
        ("true_peak", "TP"),
    ];
    for (i, (name, text)) in figures.iter().enumerate() {
        let x = 12.0 + i as f32 * 80.0;
        page = page
            .child(caption(
                format!("loudness_{name}_caption"),
                Rect(x, 232.0, 74.0, 18.0),
                text,
            ))
            .child(
                label(
                    format!("loudness_{name}"),
                    Rect(x, 252.0, 74.0, 30.0),
                    "-inf",
                )
                .osc(Osc::receive(
                    format!("/master/loudness/{name}"),
                    "text",
                    "STRING",
                )),
            );
    }
    page = page.child(
        Node::new("BUTTON", "loudness_reset", Rect(420.0, 232.0, 90.0, 50.0))
            .prop('i', "buttonType", "0")
            .osc(Osc::on_press("/master/loudness/reset".into(), "1")),
    );
    // Bus 1: reverb; bus 2: delay.
    page = page.child(
        label("fx1_name".into(), Rect(12.0, 320.0, 300.0, 26.0), "Bus 1").osc(Osc::receive(
            "/bus/1/name".into(),
            "text",
            "STRING",
        )),
    );
    let reverb = [
        ("size", "Size"),
        ("decay", "Decay"),
        ("predelay", "Pre-delay"),
        ("damping", "Damping"),
        ("width", "Width"),
    ];
    for (i, (param, text)) in reverb.iter().enumerate() {
        let x = 12.0 + i as f32 * 100.0;
        page = page.child(caption(
            format!("reverb_{param}_caption"),
            Rect(x, 350.0, 90.0, 16.0),
            text,
        ));
        for n in knob(
            format!("reverb_{param}"),
            Rect(x + 15.0, 368.0, 60.0, 60.0),
            &format!("bus/1/reverb/{param}"),
            false,
        ) {
            page = page.child(n);
        }
    }
    page = page.child(
        label("fx2_name".into(), Rect(12.0, 480.0, 300.0, 26.0), "Bus 2").osc(Osc::receive(
            "/bus/2/name".into(),
            "text",
            "STRING",
        )),
    );
    let delay = [
        ("time", "Time"),
        ("feedback", "Feedback"),
        ("hpf", "High-pass"),
        ("lpf", "Low-pass"),
    ];
    for (i, (param, text)) in delay.iter().enumerate() {
        let x = 12.0 + i as f32 * 100.0;
        page = page.child(caption(
            format!("delay_{param}_caption"),
            Rect(x, 510.0, 90.0, 16.0),
            text,
        ));
        for n in knob(
            format!("delay_{param}"),
            Rect(x + 15.0, 528.0, 60.0, 60.0),
            &format!("bus/2/delay/{param}"),
            false,
        ) {
            page = page.child(n);
        }
    }
    page.child(button(
        "delay_ping_pong".into(),
        Rect(420.0, 540.0, 90.0, 40.0),
        true,
        "/bus/2/delay/ping_pong".into(),
    ))
}

fn transport_bar() -> Vec<Node> {
    vec![
        button("play".into(), Rect(12.0, 8.0, 90.0, 40.0), false, "/transport/play".into())
            .osc(Osc::receive("/transport/play".into(), "x", "INTEGER")),
        button("stop".into(), Rect(108.0, 8.0, 90.0, 40.0), false, "/transport/stop".into())
            .osc(Osc::receive("/transport/stop".into(), "x", "INTEGER")),
        Node::new("BUTTON", "rewind", Rect(204.0, 8.0, 90.0, 40.0))
            .prop('i', "buttonType", "0")
            .osc(Osc::on_press("/transport/locate".into(), "0")),
        label("position".into(), Rect(300.0, 8.0, 160.0, 40.0), "0.0")
            .osc(Osc::receive("/transport/locate".into(), "text", "STRING")),
        // Asks for feedback and meters, replies to the port it sends from.
        Node::new("BUTTON", "sync", Rect(900.0, 8.0, 110.0, 40.0))
            .prop('i', "buttonType", "0")
            .prop(
                's',
                "script",
                "function onValueChanged(key)\n  if key == 'x' and self.values.x == 1 then sendOSC('/subscribe', 0, 1) end\nend",
            ),
    ]
}

fn layout() -> Node {
    let screen = Rect(0.0, 0.0, 1024.0, 768.0);
    let page = |name: &str| {
        Node::new("GROUP", name, Rect(0.0, 40.0, 1024.0, 728.0)).prop('s', "tabLabel", name)
    };
    let mut mixer = page("Mixer");
    for n in 1..=STRIPS {
        for node in mixer_column(
            &format!("strip/{n}"),
            &format!("Strip {n}"),
            4.0 + (n as f32 - 1.0) * 112.0,
            true,
        ) {
            mixer = mixer.child(node);
        }
    }
    for node in mixer_column("master", "Master", 900.0, false) {
        mixer = mixer.child(node);
    }
    let mut sends = page("Sends");
    for k in 1..=SENDS {
        let y = 60.0 + (k as f32 - 1.0) * 300.0;
        sends = sends.child(
            label(
                format!("bus_{k}_name"),
                Rect(12.0, y, 300.0, 28.0),
                &format!("Bus {k}"),
            )
            .osc(Osc::receive(format!("/bus/{k}/name"), "text", "STRING")),
        );
        for n in 1..=STRIPS {
            let x = 12.0 + (n as f32 - 1.0) * 124.0;
            let base = format!("strip/{n}/send/{k}");
            sends = sends
                .child(
                    label(
                        format!("s{n}_send{k}_name"),
                        Rect(x, y + 36.0, 110.0, 24.0),
                        &format!("Strip {n}"),
                    )
                    .osc(Osc::receive(
                        format!("/strip/{n}/name"),
                        "text",
                        "STRING",
                    )),
                )
                .child(
                    Node::new(
                        "RADIAL",
                        format!("s{n}_send{k}"),
                        Rect(x + 15.0, y + 64.0, 80.0, 80.0),
                    )
                    .osc(Osc::both(format!("/{base}/fader"), "x", "FLOAT")),
                )
                .child(
                    label(
                        format!("s{n}_send{k}_db"),
                        Rect(x, y + 148.0, 110.0, 24.0),
                        "-inf",
                    )
                    .osc(Osc::receive(
                        format!("/{base}/gain"),
                        "text",
                        "STRING",
                    )),
                )
                .child(button(
                    format!("s{n}_send{k}_pre"),
                    Rect(x + 25.0, y + 178.0, 60.0, 36.0),
                    true,
                    format!("/{base}/pre"),
                ));
        }
    }
    let mut eq = page("EQ");
    let mut dynamics = page("Dynamics");
    for n in 1..=STRIPS {
        let x = 4.0 + (n as f32 - 1.0) * 127.0;
        for node in eq_column(n, x) {
            eq = eq.child(node);
        }
        for node in dynamics_column(n, x) {
            dynamics = dynamics.child(node);
        }
    }
    let master_fx = master_fx_page(page("Master & FX"));
    let mut root = Node::new("GROUP", "faderd", screen).prop(
        's',
        "script",
        "function init()\n  sendOSC('/subscribe', 0, 1)\nend",
    );
    for n in transport_bar() {
        root = root.child(n);
    }
    root.child(
        Node::new("PAGER", "pages", Rect(0.0, 56.0, 1024.0, 712.0))
            .child(mixer)
            .child(sends)
            .child(eq)
            .child(dynamics)
            .child(master_fx),
    )
}

/// The layout's XML.
fn xml() -> String {
    let mut out = String::from("<?xml version='1.0' encoding='UTF-8'?><lexml version='3'>");
    write_node(&mut out, &layout(), &mut 0);
    out.push_str("</lexml>");
    out
}

fn main() -> std::io::Result<()> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/faderd-mixer.tosc");
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(xml().as_bytes())?;
    std::fs::write(&path, z.finish()?)?;
    println!("wrote {}", path.display());
    Ok(())
}
