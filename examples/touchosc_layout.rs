//! Writes the TouchOSC layouts faderd ships, examples/faderd-mixer.tosc
//! (a tablet, 1024x768) and examples/faderd-phone.tosc (a phone upright,
//! 400x800): `cargo run --example touchosc_layout`.
//!
//! A .tosc file is zlib-compressed XML (`<lexml version='3'>`) of nested
//! nodes, each with properties, values and OSC messages. Every path here is
//! a native faderd address (DESIGN.md); tests/behaviour/touchosc_layout.rs checks them.
//!
//! Page "Mixer": 8 strips (name, automation mode, pan, fader with touch,
//! meter, dB, mute, solo) and the master, transport buttons.
//! Page "Sends": sends 1 and 2 of the 8 strips, each with where it goes.
//! Page "EQ": the 8 strips' high-pass filter and 4 bands (gain, frequency,
//! band in/out), EQ in/out.
//! Page "Dynamics": the 8 strips' compressor and gate, gain reduction.
//! Page "Master & FX": the limiter, the loudness readout and its reset, and
//! the session's reverb and delay: the first bus carrying each, found by
//! what `/bus/N/fx` reports (a small Lua script per control).
//!
//! The phone: pages of four strips (1-4, 5-8), then the master with its
//! limiter and the loudness figures.
//!
//! Knobs for settings on their own scales (Hz, dB, ms) use the `/pos`
//! form of the address: a position 0..1 on the same scale a Mackie V-Pot
//! turns (log for frequencies and times).
//!
//! For a thumb: every button and knob is at least 44 px each way, every
//! button is coloured by its role and captioned (a non-interactive label
//! over it), readouts format what they receive with its unit (a small Lua
//! script each), and the automation mode is chosen from six labelled
//! buttons that open from a button showing the current mode. Node IDs are
//! UUIDs, the same on every run, so the file is reproducible.

use std::fmt::Write as _;
use std::io::Write as _;

const STRIPS: usize = 8;
const SENDS: usize = 2;
const MODES: [&str; 6] = ["off", "read", "touch", "latch", "write", "trim"];
/// Each mode's number, as `/strip/N/automation` takes it.
const MODE_INDEX: [&str; 6] = ["0", "1", "2", "3", "4", "5"];

#[derive(Clone, Copy)]
struct Rect(f32, f32, f32, f32);

/// The smallest touch target, px: a button or knob is at least this in
/// both directions.
const TOUCH_MIN: f32 = 44.0;

/// A control's colour (red, green, blue, 0..1).
#[derive(Clone, Copy)]
struct Colour(f32, f32, f32);

/// Colours by role, as consoles use them.
const MUTE: Colour = Colour(0.85, 0.2, 0.2);
const SOLO: Colour = Colour(0.95, 0.8, 0.1);
const ON: Colour = Colour(0.2, 0.55, 0.95);
const PLAY: Colour = Colour(0.2, 0.75, 0.3);
const NEUTRAL: Colour = Colour(0.55, 0.55, 0.6);
const AUTOMATION: Colour = Colour(0.9, 0.5, 0.1);
const PRE: Colour = Colour(0.6, 0.4, 0.9);

/// A readout's unit: how a label shows the number it receives.
#[derive(Clone, Copy)]
enum Unit {
    Db,
    Lufs,
    Lu,
    Dbtp,
    Hz,
    Ms,
    Ratio,
    Seconds,
    Percent,
}

impl Unit {
    /// What follows the number.
    fn suffix(self) -> &'static str {
        match self {
            Unit::Db => "dB",
            Unit::Lufs => "LUFS",
            Unit::Lu => "LU",
            Unit::Dbtp => "dBTP",
            Unit::Hz => "Hz",
            Unit::Ms => "ms",
            Unit::Ratio => ":1",
            Unit::Seconds => "s",
            Unit::Percent => "%",
        }
    }

    /// The Lua that rewrites a received number as text with its unit
    /// (`-6.0 dB`, `1.20 kHz`, `4.0:1`); text it wrote itself is left.
    fn script(self) -> String {
        let unit = self.suffix();
        let format = match self {
            Unit::Hz => {
                "(v >= 1000 and string.format('%.2f kHz', v / 1000) or string.format('%.0f Hz', v))"
                    .to_owned()
            }
            Unit::Percent => "string.format('%.0f %%', v * 100)".to_owned(),
            Unit::Ratio => format!("string.format('%.1f{unit}', v)"),
            Unit::Ms => format!("string.format('%.0f {unit}', v)"),
            _ => format!("string.format('%.1f {unit}', v)"),
        };
        format!(
            "function onValueChanged(key)\n  if key ~= 'text' then return end\n  local t = self.values.text\n  if t == '-inf' or t == 'inf' then self.values.text = t .. ' ' .. '{unit}' return end\n  local v = tonumber(t)\n  if v then self.values.text = {format} end\nend"
        )
    }
}

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
    /// Set a property (once: a later call replaces the earlier value).
    fn prop(mut self, ty: char, key: &'static str, value: impl Into<String>) -> Node {
        let value = value.into();
        match self.props.iter_mut().find(|p| p.1 == key) {
            Some(p) => *p = (ty, key, value),
            None => self.props.push((ty, key, value)),
        }
        self
    }
    fn colour(self, c: Colour) -> Node {
        let Colour(r, g, b) = c;
        self.prop(
            'c',
            "color",
            format!("<r>{r}</r><g>{g}</g><b>{b}</b><a>1</a>"),
        )
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

/// A label that shows the number faderd sends to `path` with its unit.
fn readout(name: String, frame: Rect, path: String, unit: Unit) -> Node {
    label(name, frame, "")
        .osc(Osc::receive(path, "text", "STRING"))
        .prop('s', "script", unit.script())
}

/// A button with its caption drawn over it (the caption lets touches
/// through) in the colour of its role; at least [`TOUCH_MIN`] each way.
fn button(
    name: String,
    frame: Rect,
    toggle: bool,
    path: String,
    caption: &str,
    colour: Colour,
) -> Vec<Node> {
    let Rect(x, y, w, h) = frame;
    let frame = Rect(x, y, w.max(TOUCH_MIN), h.max(TOUCH_MIN));
    let b = Node::new("BUTTON", name.clone(), frame)
        .prop('i', "buttonType", if toggle { "1" } else { "0" })
        .colour(colour)
        .osc(if toggle {
            Osc::both(path, "x", "INTEGER")
        } else {
            Osc::send(path, "x", "INTEGER")
        });
    vec![b, caption_over(format!("{name}_caption"), frame, caption)]
}

/// A caption over a control's frame.
fn caption_over(name: String, frame: Rect, text: &str) -> Node {
    label(name, frame, text).prop('i', "textSize", "14")
}

/// A momentary button that sends `path` with the float `constant` when
/// pressed, captioned.
fn press_button(
    name: &str,
    frame: Rect,
    path: &str,
    constant: &'static str,
    caption: &str,
) -> [Node; 2] {
    [
        Node::new("BUTTON", name, frame)
            .prop('i', "buttonType", "0")
            .colour(NEUTRAL)
            .osc(Osc::on_press(path.into(), constant)),
        caption_over(format!("{name}_caption"), frame, caption),
    ]
}

/// The master's loudness figures: (name in `/master/loudness/NAME`,
/// caption, unit).
const LOUDNESS_FIGURES: [(&str, &str, Unit); 5] = [
    ("momentary", "Momentary", Unit::Lufs),
    ("short_term", "Short-term", Unit::Lufs),
    ("integrated", "Integrated", Unit::Lufs),
    ("range", "Range", Unit::Lu),
    ("true_peak", "True peak", Unit::Dbtp),
];

/// A loudness figure: its 18-px caption in `caption_at`, its readout in
/// `value_at`.
fn loudness_figure(
    (name, text, unit): (&str, &str, Unit),
    caption_at: Rect,
    value_at: Rect,
) -> [Node; 2] {
    [
        caption(format!("loudness_{name}_caption"), caption_at, text),
        readout(
            format!("loudness_{name}"),
            value_at,
            format!("/master/loudness/{name}"),
            unit,
        ),
    ]
}

fn cdata(s: &str) -> String {
    format!("<![CDATA[{s}]]>")
}

/// A version-4-form UUID for node `n` of the layout: the same for every
/// run (the file is reproducible), unique within it.
fn uuid(n: u32) -> String {
    // splitmix64 of the node's number: 128 well-mixed bits.
    let mix = |mut z: u64| {
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let a = mix(u64::from(n).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let b = mix(a ^ 0xFADE_0D00_0000_0000);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:x}{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xFFFF,
        a & 0xFFF,
        8 | (b >> 62),
        (b >> 48) & 0xFFF,
        b & 0xFFFF_FFFF_FFFF
    )
}

fn write_node(out: &mut String, n: &Node, id: &mut u32) {
    *id += 1;
    let _ = write!(
        out,
        "<node ID='{}' type='{}'><properties>",
        uuid(*id),
        n.kind
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

/// Add `nodes` to `parent`.
fn with(mut parent: Node, nodes: impl IntoIterator<Item = Node>) -> Node {
    for n in nodes {
        parent = parent.child(n);
    }
    parent
}

/// The automation mode of `base`: a button showing the current mode that
/// opens a chooser of the six modes, each a labelled button of full touch
/// size; choosing one sends it and closes the chooser.
fn automation_selector(base: &str, key: &str, x: f32, y: f32, w: f32, chooser_y: f32) -> Vec<Node> {
    let chooser = format!("{key}_modes");
    let open = Node::new("BUTTON", format!("{key}_mode_button"), Rect(x, y, w, TOUCH_MIN))
        .prop('i', "buttonType", "0")
        .colour(AUTOMATION)
        .prop(
            's',
            "script",
            format!(
                "function onValueChanged(key)\n  if key == 'x' and self.values.x == 1 then\n    local c = self.parent.children['{chooser}']\n    c.properties.visible = not c.properties.visible\n  end\nend"
            ),
        );
    // The mode faderd reports ("read", "touch" ...), over the button.
    let shown = caption_over(format!("{key}_mode"), Rect(x, y, w, TOUCH_MIN), "off").osc(
        Osc::receive(format!("/{base}/automation"), "text", "STRING"),
    );
    let mut group = Node::new(
        "GROUP",
        chooser,
        Rect(x, chooser_y, w, MODES.len() as f32 * (TOUCH_MIN + 4.0)),
    )
    .prop('b', "visible", "0");
    for (i, mode) in MODES.iter().enumerate() {
        let frame = Rect(0.0, i as f32 * (TOUCH_MIN + 4.0), w, TOUCH_MIN);
        let choose = Node::new("BUTTON", format!("{key}_mode_{mode}"), frame)
            .prop('i', "buttonType", "0")
            .colour(AUTOMATION)
            .osc(Osc::on_press(format!("/{base}/automation"), MODE_INDEX[i]))
            .prop(
                's',
                "script",
                "function onValueChanged(key)\n  if key == 'x' and self.values.x == 0 then\n    self.parent.properties.visible = false\n  end\nend",
            );
        group = group.child(choose).child(caption_over(
            format!("{key}_mode_{mode}_caption"),
            frame,
            mode,
        ));
    }
    vec![open, shown, group]
}

/// A mixer column's size: its width and its fader's travel.
#[derive(Clone, Copy)]
struct Column {
    w: f32,
    fader_h: f32,
}

/// The tablet's columns: 8 strips and the master across 1024 px.
const TABLET_COLUMN: Column = Column {
    w: 104.0,
    fader_h: 384.0,
};

/// One mixer column for `base` ("strip/3" or "master").
fn mixer_column(base: &str, title: &str, x: f32, with_solo: bool, col: Column) -> Vec<Node> {
    let Column { w, fader_h } = col;
    let key = base.replace('/', "_");
    let mut nodes = vec![
        label(format!("{key}_name"), Rect(x, 4.0, w, 28.0), title).osc(Osc::receive(
            format!("/{base}/name"),
            "text",
            "STRING",
        )),
    ];
    nodes.extend(automation_selector(base, &key, x, 36.0, w, 140.0));
    let meter_w = 20.0_f32.min(w - TOUCH_MIN - 12.0);
    let fader_w = (w - meter_w - 12.0).min(64.0);
    let below = 150.0 + fader_h;
    nodes.extend([
        Node::new(
            "RADIAL",
            format!("{key}_pan"),
            Rect(x + (w - 60.0) / 2.0, 84.0, 60.0, 60.0),
        )
        .prop('b', "centered", "1")
        .default_x(0.5)
        .osc(Osc::both(format!("/{base}/pan"), "x", "FLOAT")),
        Node::new(
            "FADER",
            format!("{key}_fader"),
            Rect(x + 4.0, 150.0, fader_w, fader_h),
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
            Rect(x + w - meter_w - 4.0, 150.0, meter_w, fader_h),
        )
        .prop('b', "interactive", "0")
        .prop('i', "orientation", "0")
        .osc(Osc::receive(format!("/{base}/meter"), "x", "FLOAT")),
        readout(
            format!("{key}_db"),
            Rect(x, below + 4.0, w, 24.0),
            format!("/{base}/gain"),
            Unit::Db,
        ),
    ]);
    let half = (w - 4.0) / 2.0;
    nodes.extend(button(
        format!("{key}_mute"),
        Rect(x, below + 32.0, if with_solo { half } else { w }, 48.0),
        true,
        format!("/{base}/mute"),
        "MUTE",
        MUTE,
    ));
    if with_solo {
        nodes.extend(button(
            format!("{key}_solo"),
            Rect(x + half + 4.0, below + 32.0, half, 48.0),
            true,
            format!("/{base}/solo"),
            "SOLO",
            SOLO,
        ));
    }
    nodes
}

/// A knob for a setting by its `/pos` address, with a label showing the
/// value in its own units.
fn knob(name: String, frame: Rect, address: &str, centered: bool, unit: Unit) -> Vec<Node> {
    let Rect(x, y, w, h) = frame;
    let frame = Rect(x, y, w.max(TOUCH_MIN), h.max(TOUCH_MIN));
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
        readout(
            format!("{name}_value"),
            Rect(x - 8.0, y + frame.3, frame.2 + 16.0, 18.0),
            format!("/{address}"),
            unit,
        ),
    ]
}

/// A caption.
fn caption(name: String, frame: Rect, text: &str) -> Node {
    Node::new("LABEL", name, frame)
        .text(text)
        .prop('i', "textSize", "10")
        .prop('b', "interactive", "0")
}

fn eq_column(n: usize, x: f32) -> Vec<Node> {
    let base = format!("strip/{n}");
    let mut nodes = vec![
        label(
            format!("eq{n}_name"),
            Rect(x, 4.0, 118.0, 24.0),
            &format!("Strip {n}"),
        )
        .osc(Osc::receive(format!("/{base}/name"), "text", "STRING")),
    ];
    nodes.extend(button(
        format!("eq{n}_on"),
        Rect(x, 32.0, 57.0, 44.0),
        true,
        format!("/{base}/eq/on"),
        "EQ",
        ON,
    ));
    nodes.extend(button(
        format!("eq{n}_hpf_on"),
        Rect(x + 61.0, 32.0, 57.0, 44.0),
        true,
        format!("/{base}/hpf/on"),
        "HPF",
        ON,
    ));
    nodes.extend(knob(
        format!("eq{n}_hpf"),
        Rect(x + 35.0, 82.0, 48.0, 48.0),
        &format!("{base}/hpf/freq"),
        false,
        Unit::Hz,
    ));
    for k in 1..=4 {
        let y = 156.0 + (k as f32 - 1.0) * 128.0;
        nodes.extend(button(
            format!("eq{n}_band{k}_on"),
            Rect(x, y, 118.0, 44.0),
            true,
            format!("/{base}/eq/{k}/on"),
            &format!("BAND {k}"),
            ON,
        ));
        nodes.extend(knob(
            format!("eq{n}_band{k}_gain"),
            Rect(x + 4.0, y + 48.0, 48.0, 48.0),
            &format!("{base}/eq/{k}/gain"),
            true,
            Unit::Db,
        ));
        nodes.extend(knob(
            format!("eq{n}_band{k}_freq"),
            Rect(x + 64.0, y + 48.0, 48.0, 48.0),
            &format!("{base}/eq/{k}/freq"),
            false,
            Unit::Hz,
        ));
    }
    nodes
}

fn dynamics_column(n: usize, x: f32) -> Vec<Node> {
    let base = format!("strip/{n}");
    let mut nodes = vec![
        label(
            format!("dyn{n}_name"),
            Rect(x, 4.0, 118.0, 24.0),
            &format!("Strip {n}"),
        )
        .osc(Osc::receive(format!("/{base}/name"), "text", "STRING")),
    ];
    nodes.extend(button(
        format!("dyn{n}_comp_on"),
        Rect(x, 32.0, 118.0, 44.0),
        true,
        format!("/{base}/comp/on"),
        "COMP",
        ON,
    ));
    nodes.push(caption(
        format!("dyn{n}_gr_caption"),
        Rect(x, 80.0, 40.0, 20.0),
        "GR",
    ));
    nodes.push(readout(
        format!("dyn{n}_gr"),
        Rect(x + 40.0, 80.0, 78.0, 20.0),
        format!("/{base}/meter/gr"),
        Unit::Db,
    ));
    let comp = [
        ("threshold", "Thr", Unit::Db),
        ("ratio", "Ratio", Unit::Ratio),
        ("attack", "Att", Unit::Ms),
        ("release", "Rel", Unit::Ms),
        ("makeup", "Gain", Unit::Db),
    ];
    for (i, (param, text, unit)) in comp.iter().enumerate() {
        let (col, row) = ((i % 2) as f32, (i / 2) as f32);
        let (kx, ky) = (x + 4.0 + col * 60.0, 106.0 + row * 94.0);
        nodes.push(caption(
            format!("dyn{n}_{param}_caption"),
            Rect(kx, ky, 50.0, 16.0),
            text,
        ));
        nodes.extend(knob(
            format!("dyn{n}_{param}"),
            Rect(kx + 2.0, ky + 18.0, 48.0, 48.0),
            &format!("{base}/comp/{param}"),
            false,
            *unit,
        ));
    }
    nodes.extend(button(
        format!("dyn{n}_gate_on"),
        Rect(x, 392.0, 118.0, 44.0),
        true,
        format!("/{base}/gate/on"),
        "GATE",
        ON,
    ));
    for (i, (param, text)) in [("threshold", "Thr"), ("range", "Range")]
        .iter()
        .enumerate()
    {
        let kx = x + 4.0 + i as f32 * 60.0;
        nodes.push(caption(
            format!("dyn{n}_gate_{param}_caption"),
            Rect(kx, 442.0, 50.0, 16.0),
            text,
        ));
        nodes.extend(knob(
            format!("dyn{n}_gate_{param}"),
            Rect(kx + 2.0, 460.0, 48.0, 48.0),
            &format!("{base}/gate/{param}"),
            false,
            Unit::Db,
        ));
    }
    nodes
}

fn master_fx_page(mut page: Node) -> Node {
    // Limiter and loudness.
    page = page.child(label(
        "limiter_title".into(),
        Rect(12.0, 4.0, 300.0, 26.0),
        "Master limiter",
    ));
    page = with(
        page,
        button(
            "limiter_on".into(),
            Rect(12.0, 40.0, 90.0, 48.0),
            true,
            "/master/limiter/on".into(),
            "LIMIT",
            ON,
        ),
    );
    for (i, (param, text, unit)) in [
        ("ceiling", "Ceiling", Unit::Dbtp),
        ("release", "Release", Unit::Ms),
    ]
    .iter()
    .enumerate()
    {
        let x = 120.0 + i as f32 * 90.0;
        page = page.child(caption(
            format!("limiter_{param}_caption"),
            Rect(x, 32.0, 80.0, 16.0),
            text,
        ));
        page = with(
            page,
            knob(
                format!("limiter_{param}"),
                Rect(x + 8.0, 50.0, 60.0, 60.0),
                &format!("master/limiter/{param}"),
                false,
                *unit,
            ),
        );
    }
    page = page.child(label(
        "loudness_title".into(),
        Rect(12.0, 140.0, 300.0, 26.0),
        "Loudness",
    ));
    for (i, figure) in LOUDNESS_FIGURES.into_iter().enumerate() {
        let x = 12.0 + i as f32 * 100.0;
        page = with(
            page,
            loudness_figure(
                figure,
                Rect(x, 172.0, 94.0, 18.0),
                Rect(x, 192.0, 94.0, 30.0),
            ),
        );
    }
    page = with(
        page,
        press_button(
            "loudness_reset",
            Rect(520.0, 172.0, 90.0, 50.0),
            "/master/loudness/reset",
            "1",
            "RESET",
        ),
    );
    // The first bus carrying a reverb, and the first carrying a delay,
    // wherever they are in the session: each control learns the bus from
    // the `/bus/N/fx` faderd reports.
    page = with(
        page,
        fx_section(
            "reverb",
            "Reverb",
            260.0,
            &[
                ("size", "Size", Unit::Percent),
                ("decay", "Decay", Unit::Seconds),
                ("predelay", "Pre-delay", Unit::Ms),
                ("damping", "Damping", Unit::Percent),
                ("width", "Width", Unit::Percent),
            ],
        ),
    );
    page = with(
        page,
        fx_section(
            "delay",
            "Delay",
            420.0,
            &[
                ("time", "Time", Unit::Ms),
                ("feedback", "Feedback", Unit::Percent),
                ("hpf", "High-pass", Unit::Hz),
                ("lpf", "Low-pass", Unit::Hz),
            ],
        ),
    );
    let ping_pong = Rect(420.0, 474.0, 110.0, 48.0);
    page.child(
        Node::new("BUTTON", "delay_ping_pong", ping_pong)
            .prop('i', "buttonType", "1")
            .colour(ON)
            .prop(
                's',
                "script",
                fx_script("delay", "ping_pong", FxRole::Switch),
            ),
    )
    .child(caption_over(
        "delay_ping_pong_caption".into(),
        ping_pong,
        "PING-PONG",
    ))
}

/// What a control of an effect section does with the bus it has learnt.
#[derive(Clone, Copy)]
enum FxRole {
    /// A knob: sends and shows `/bus/N/KIND/PARAM/pos`.
    Knob,
    /// A switch: sends and shows `/bus/N/KIND/PARAM` as 0|1.
    Switch,
    /// A readout: shows `/bus/N/KIND/PARAM` with its unit.
    Readout(Unit),
    /// The section's title: shows the bus's name.
    Title,
}

/// The Lua of a control of the `kind` section ("reverb", "delay"): it
/// learns the first bus whose `/bus/N/fx` is `kind` (and forgets it when
/// that bus's effect changes), keeps the latest value of its own address on
/// every bus (whatever order a state dump comes in), and shows and talks
/// the learnt bus's.
fn fx_script(kind: &str, param: &str, role: FxRole) -> String {
    // The address this control shows, per bus, as a Lua pattern.
    let watched = match role {
        FxRole::Knob => format!("'^/bus/(%d+)/{kind}/{param}/pos$'"),
        FxRole::Switch | FxRole::Readout(_) => format!("'^/bus/(%d+)/{kind}/{param}$'"),
        FxRole::Title => "'^/bus/(%d+)/name$'".to_owned(),
    };
    let show = match role {
        FxRole::Knob | FxRole::Switch => "  if bus and seen[bus] ~= nil then\n\
             \x20   quiet = true\n\
             \x20   self.values.x = seen[bus]\n\
             \x20   quiet = false\n\
             \x20 end\n"
            .to_owned(),
        FxRole::Readout(_) => "  if bus and seen[bus] ~= nil then\n\
             \x20   self.values.text = tostring(seen[bus])\n\
             \x20 end\n"
            .to_owned(),
        FxRole::Title => {
            let title = format!("{}{}", kind[..1].to_uppercase(), &kind[1..]);
            format!(
                "  if bus == nil then\n\
                 \x20   self.values.text = 'No {kind} bus'\n\
                 \x20 elseif seen[bus] ~= nil then\n\
                 \x20   self.values.text = '{title} on ' .. seen[bus]\n\
                 \x20 end\n"
            )
        }
    };
    let send = match role {
        FxRole::Knob => format!(
            "function onValueChanged(key)\n\
             \x20 if key == 'x' and bus and not quiet then\n\
             \x20   sendOSC('/bus/' .. bus .. '/{kind}/{param}/pos', self.values.x)\n\
             \x20 end\n\
             end"
        ),
        FxRole::Switch => format!(
            "function onValueChanged(key)\n\
             \x20 if key == 'x' and bus and not quiet then\n\
             \x20   sendOSC('/bus/' .. bus .. '/{kind}/{param}', math.floor(self.values.x + 0.5))\n\
             \x20 end\n\
             end"
        ),
        FxRole::Readout(unit) => unit.script(),
        FxRole::Title => String::new(),
    };
    format!(
        "local bus = nil\n\
         local seen = {{}}\n\
         local quiet = false\n\
         local function show()\n{show}end\n\
         function onReceiveOSC(message)\n\
         \x20 local path, args = message[1], message[2]\n\
         \x20 local n = string.match(path, '^/bus/(%d+)/fx$')\n\
         \x20 if n then\n\
         \x20   if args[1].value == '{kind}' then\n\
         \x20     if bus == nil or tonumber(n) < tonumber(bus) then bus = n end\n\
         \x20   elseif bus == n then\n\
         \x20     bus = nil\n\
         \x20   end\n\
         \x20   show()\n\
         \x20   return\n\
         \x20 end\n\
         \x20 n = string.match(path, {watched})\n\
         \x20 if n then\n\
         \x20   seen[n] = args[1].value\n\
         \x20   if n == bus then show() end\n\
         \x20 end\n\
         end\n{send}"
    )
}

/// The controls of the first bus carrying `kind`, from `y` down: a title
/// and a knob with its readout per parameter.
fn fx_section(kind: &str, title: &str, y: f32, params: &[(&str, &str, Unit)]) -> Vec<Node> {
    let mut nodes = vec![
        label(format!("{kind}_title"), Rect(12.0, y, 400.0, 26.0), title).prop(
            's',
            "script",
            fx_script(kind, "name", FxRole::Title),
        ),
    ];
    for (i, (param, text, unit)) in params.iter().enumerate() {
        let x = 12.0 + i as f32 * 100.0;
        nodes.push(caption(
            format!("{kind}_{param}_caption"),
            Rect(x, y + 30.0, 90.0, 16.0),
            text,
        ));
        let knob = Rect(x + 15.0, y + 48.0, 60.0, 60.0);
        nodes.push(Node::new("RADIAL", format!("{kind}_{param}"), knob).prop(
            's',
            "script",
            fx_script(kind, param, FxRole::Knob),
        ));
        nodes.push(
            label(
                format!("{kind}_{param}_value"),
                Rect(x + 7.0, y + 108.0, 76.0, 18.0),
                "",
            )
            .prop(
                's',
                "script",
                fx_script(kind, param, FxRole::Readout(*unit)),
            ),
        );
    }
    nodes
}

/// Play, stop, return to zero, position and sync across `width` px.
fn transport_bar(width: f32) -> Vec<Node> {
    // Play and stop show the transport's state faderd reports.
    let shows_state = |nodes: Vec<Node>, path: &str| -> Vec<Node> {
        nodes
            .into_iter()
            .map(|n| {
                if n.kind == "BUTTON" {
                    n.osc(Osc::receive(path.into(), "x", "INTEGER"))
                } else {
                    n
                }
            })
            .collect()
    };
    let mut nodes = shows_state(
        button(
            "play".into(),
            Rect(12.0, 4.0, 90.0, 48.0),
            false,
            "/transport/play".into(),
            "PLAY",
            PLAY,
        ),
        "/transport/play",
    );
    nodes.extend(shows_state(
        button(
            "stop".into(),
            Rect(108.0, 4.0, 90.0, 48.0),
            false,
            "/transport/stop".into(),
            "STOP",
            NEUTRAL,
        ),
        "/transport/stop",
    ));
    nodes.extend(press_button(
        "rewind",
        Rect(204.0, 4.0, 90.0, 48.0),
        "/transport/locate",
        "0",
        "|< 0:00",
    ));
    // On a narrow screen the position goes under the buttons.
    let (position, sync) = if width >= 700.0 {
        (
            Rect(300.0, 4.0, 160.0, 48.0),
            Rect(width - 124.0, 4.0, 110.0, 48.0),
        )
    } else {
        (
            Rect(12.0, 56.0, 186.0, 36.0),
            Rect(300.0, 4.0, width - 312.0, 48.0),
        )
    };
    nodes.push(readout(
        "position".into(),
        position,
        "/transport/locate".into(),
        Unit::Seconds,
    ));
    // Asks for feedback and meters, replies to the port it sends from.
    nodes.push(
        Node::new("BUTTON", "sync", sync)
            .prop('i', "buttonType", "0")
            .colour(NEUTRAL)
            .prop(
                's',
                "script",
                "function onValueChanged(key)\n  if key == 'x' and self.values.x == 1 then sendOSC('/subscribe', 0, 1) end\nend",
            ),
    );
    nodes.push(caption_over("sync_caption".into(), sync, "SYNC"));
    nodes
}

/// The tablet canvas and the pager's place on it.
const SCREEN: Rect = Rect(0.0, 0.0, 1024.0, 768.0);
const PAGER: Rect = Rect(0.0, 56.0, 1024.0, 712.0);
/// The phone canvas (portrait) and its pager, under a two-row transport.
const PHONE: Rect = Rect(0.0, 0.0, 400.0, 800.0);
const PHONE_PAGER: Rect = Rect(0.0, 96.0, 400.0, 704.0);
/// The phone's columns: 4 strips across 400 px.
const PHONE_COLUMN: Column = Column {
    w: 92.0,
    fader_h: 400.0,
};
/// Pager tabs take the top of each page.
const TABS: f32 = 40.0;

/// A page of the pager `pager`: it fills the pager below its tabs.
fn page_in(pager: Rect, name: &str) -> Node {
    Node::new("GROUP", name, Rect(0.0, TABS, pager.2, pager.3 - TABS)).prop('s', "tabLabel", name)
}

/// The root group: it subscribes (with meters) when the layout opens.
fn root(screen: Rect) -> Node {
    Node::new("GROUP", "faderd", screen).prop(
        's',
        "script",
        "function init()\n  sendOSC('/subscribe', 0, 1)\nend",
    )
}

/// The phone layout: four strips a page (two pages), then the master with
/// the limiter and the loudness.
fn phone_layout() -> Node {
    let mut pager =
        Node::new("PAGER", "pages", PHONE_PAGER).prop('i', "tabbarSize", (TABS as u32).to_string());
    for first in [1, 5] {
        let mut page = page_in(PHONE_PAGER, &format!("{}-{}", first, first + 3));
        for n in first..first + 4 {
            page = with(
                page,
                mixer_column(
                    &format!("strip/{n}"),
                    &format!("Strip {n}"),
                    4.0 + (n - first) as f32 * 98.0,
                    true,
                    PHONE_COLUMN,
                ),
            );
        }
        pager = pager.child(page);
    }
    let mut master = with(
        page_in(PHONE_PAGER, "Master"),
        mixer_column("master", "Master", 4.0, false, PHONE_COLUMN),
    );
    master = with(
        master,
        button(
            "limiter_on".into(),
            Rect(110.0, 36.0, 130.0, 48.0),
            true,
            "/master/limiter/on".into(),
            "LIMIT",
            ON,
        ),
    );
    for (i, figure) in LOUDNESS_FIGURES.into_iter().enumerate() {
        let y = 100.0 + i as f32 * 56.0;
        master = with(
            master,
            loudness_figure(
                figure,
                Rect(110.0, y, 130.0, 18.0),
                Rect(110.0, y + 18.0, 130.0, 30.0),
            ),
        );
    }
    master = with(
        master,
        press_button(
            "loudness_reset",
            Rect(110.0, 390.0, 130.0, 48.0),
            "/master/loudness/reset",
            "1",
            "RESET",
        ),
    );
    with(root(PHONE), transport_bar(PHONE.2)).child(pager.child(master))
}

fn layout() -> Node {
    // A page fills the pager below its tabs; its contents are placed from
    // the top of that area.
    let page = |name: &str| {
        Node::new("GROUP", name, Rect(0.0, TABS, PAGER.2, PAGER.3 - TABS))
            .prop('s', "tabLabel", name)
    };
    let mut mixer = page("Mixer");
    for n in 1..=STRIPS {
        mixer = with(
            mixer,
            mixer_column(
                &format!("strip/{n}"),
                &format!("Strip {n}"),
                4.0 + (n as f32 - 1.0) * 112.0,
                true,
                TABLET_COLUMN,
            ),
        );
    }
    mixer = with(
        mixer,
        mixer_column("master", "Master", 908.0, false, TABLET_COLUMN),
    );
    let mut sends = page("Sends");
    for k in 1..=SENDS {
        let y = 4.0 + (k as f32 - 1.0) * 300.0;
        sends = sends.child(label(
            format!("send_{k}_title"),
            Rect(12.0, y, 500.0, 28.0),
            &format!("Send {k} of each strip"),
        ));
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
                .child(readout(
                    format!("s{n}_send{k}_db"),
                    Rect(x, y + 148.0, 110.0, 24.0),
                    format!("/{base}/gain"),
                    Unit::Db,
                ))
                // Where this strip's K-th send goes: a bus's name, or the
                // interface outputs of a hardware send.
                .child(
                    caption(
                        format!("s{n}_send{k}_bus"),
                        Rect(x, y + 226.0, 110.0, 20.0),
                        "",
                    )
                    .osc(Osc::receive(
                        format!("/{base}/bus"),
                        "text",
                        "STRING",
                    )),
                );
            sends = with(
                sends,
                button(
                    format!("s{n}_send{k}_pre"),
                    Rect(x + 15.0, y + 178.0, 80.0, 44.0),
                    true,
                    format!("/{base}/pre"),
                    "PRE",
                    PRE,
                ),
            );
        }
    }
    let mut eq = page("EQ");
    let mut dynamics = page("Dynamics");
    for n in 1..=STRIPS {
        let x = 4.0 + (n as f32 - 1.0) * 127.0;
        eq = with(eq, eq_column(n, x));
        dynamics = with(dynamics, dynamics_column(n, x));
    }
    let master_fx = master_fx_page(page("Master & FX"));
    with(root(SCREEN), transport_bar(SCREEN.2)).child(
        Node::new("PAGER", "pages", PAGER)
            .prop('i', "tabbarSize", (TABS as u32).to_string())
            .child(mixer)
            .child(sends)
            .child(eq)
            .child(dynamics)
            .child(master_fx),
    )
}

/// A layout's XML.
fn xml_of(layout: &Node) -> String {
    let mut out = String::from("<?xml version='1.0' encoding='UTF-8'?><lexml version='3'>");
    write_node(&mut out, layout, &mut 0);
    out.push_str("</lexml>");
    out
}

/// The shipped layouts: (file under examples/, its XML).
pub fn layouts() -> [(&'static str, String); 2] {
    [
        ("faderd-mixer.tosc", xml_of(&layout())),
        ("faderd-phone.tosc", xml_of(&phone_layout())),
    ]
}

fn main() -> std::io::Result<()> {
    for (file, xml) in layouts() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples")
            .join(file);
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(xml.as_bytes())?;
        std::fs::write(&path, z.finish()?)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
