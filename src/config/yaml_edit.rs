//! Saving into the user's own file: only the values that changed are
//! rewritten; comments, key order, blank lines, quoting and flow or block
//! style of everything else stay as the user wrote them.
//!
//! How: the file's text is parsed into a tree that knows where every node
//! sits (byte ranges from the YAML parser's events). The change is found
//! by comparing two canonical texts of the session (as loaded from this
//! file, and as it is now; both written by the same serializer), and each
//! difference becomes one edit of the user's text: a scalar replaced in
//! place, an entry added at the end of its mapping (in that mapping's
//! style), an entry removed, or (where the shapes no longer line up: a
//! list that grew) the one node re-rendered in the style it had. The
//! caller checks that the edited text reads back as the session it meant
//! to save, and falls back to its own layout otherwise.
//!
//! Pure: text in, text out. Thread: any.

use granit_parser::{Event, Parser, StructureStyle};
use std::ops::Range;

/// Why a text could not be edited in place.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    /// The text is not YAML this editor reads (it has already been read
    /// as a session, so this means a construct it does not edit in: a
    /// complex key, several documents).
    #[error("cannot edit this YAML in place: {0}")]
    Unsupported(&'static str),
    /// The YAML parser refused it.
    #[error("cannot edit this YAML in place: {0}")]
    Parse(String),
}

/// A node of a YAML text and where it sits in it.
#[derive(Debug, Clone)]
enum Node {
    Scalar {
        span: Range<usize>,
        value: String,
    },
    Map {
        flow: bool,
        span: Range<usize>,
        entries: Vec<Entry>,
    },
    Seq {
        flow: bool,
        span: Range<usize>,
        items: Vec<Node>,
    },
    /// An alias: its value lives elsewhere and is not edited in.
    Alias {
        span: Range<usize>,
    },
}

#[derive(Debug, Clone)]
struct Entry {
    key: String,
    key_span: Range<usize>,
    value: Node,
}

impl Node {
    fn span(&self) -> Range<usize> {
        match self {
            Node::Scalar { span, .. }
            | Node::Map { span, .. }
            | Node::Seq { span, .. }
            | Node::Alias { span } => span.clone(),
        }
    }

    fn entry(&self, key: &str) -> Option<&Entry> {
        match self {
            Node::Map { entries, .. } => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    /// Same value (not same place): scalars by their value, mappings by
    /// key regardless of order, sequences item by item.
    fn same(&self, other: &Node) -> bool {
        match (self, other) {
            (Node::Scalar { value: a, .. }, Node::Scalar { value: b, .. }) => a == b,
            (Node::Map { entries: a, .. }, Node::Map { entries: b, .. }) => {
                a.len() == b.len()
                    && a.iter().all(|e| {
                        b.iter()
                            .find(|f| f.key == e.key)
                            .is_some_and(|f| e.value.same(&f.value))
                    })
            }
            (Node::Seq { items: a, .. }, Node::Seq { items: b, .. }) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same(y))
            }
            _ => false,
        }
    }
}

/// Deepest nesting read (the files were read within a tighter bound).
const MAX_DEPTH: usize = 64;

enum Frame {
    Map {
        flow: bool,
        start: usize,
        entries: Vec<Entry>,
        key: Option<(String, Range<usize>)>,
    },
    Seq {
        flow: bool,
        start: usize,
        items: Vec<Node>,
    },
}

/// Parse `text` (one document) into a located tree.
fn parse(text: &str) -> Result<Node, EditError> {
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut root = None;
    let mut documents = 0;
    while let Some(event) = parser.next_event() {
        let (event, span) = event.map_err(|e| EditError::Parse(e.to_string()))?;
        let range = span.byte_range().unwrap_or(0..0);
        let node = match event {
            Event::DocumentStart(..) => {
                documents += 1;
                if documents > 1 {
                    return Err(EditError::Unsupported("more than one document"));
                }
                continue;
            }
            Event::MappingStart(style, ..) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(EditError::Unsupported("nesting too deep"));
                }
                stack.push(Frame::Map {
                    flow: style == StructureStyle::Flow,
                    start: range.start,
                    entries: Vec::new(),
                    key: None,
                });
                continue;
            }
            Event::SequenceStart(style, ..) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(EditError::Unsupported("nesting too deep"));
                }
                stack.push(Frame::Seq {
                    flow: style == StructureStyle::Flow,
                    start: range.start,
                    items: Vec::new(),
                });
                continue;
            }
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map {
                    flow,
                    start,
                    entries,
                    key: None,
                }) => {
                    let end = if flow {
                        range.end
                    } else {
                        entries.last().map_or(start, |e| e.value.span().end)
                    };
                    Node::Map {
                        flow,
                        span: start..end,
                        entries,
                    }
                }
                _ => return Err(EditError::Unsupported("an unbalanced mapping")),
            },
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq { flow, start, items }) => {
                    let end = if flow {
                        range.end
                    } else {
                        items.last().map_or(start, |i| i.span().end)
                    };
                    Node::Seq {
                        flow,
                        span: start..end,
                        items,
                    }
                }
                _ => return Err(EditError::Unsupported("an unbalanced sequence")),
            },
            Event::Scalar(value, ..) => Node::Scalar {
                span: range,
                value: value.into_owned(),
            },
            Event::Alias(_) | Event::UnresolvedAlias(_) => Node::Alias { span: range },
            _ => continue,
        };
        match stack.last_mut() {
            None => root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                Some((k, key_span)) => entries.push(Entry {
                    key: k,
                    key_span,
                    value: node,
                }),
                None => match node {
                    Node::Scalar { span, value } => *key = Some((value, span)),
                    _ => return Err(EditError::Unsupported("a key that is not a scalar")),
                },
            },
        }
    }
    root.ok_or(EditError::Unsupported("an empty document"))
}

/// One change to the user's text.
#[derive(Debug)]
struct Edit {
    at: Range<usize>,
    text: String,
}

/// The user's `text` with the change from `old` to `new` applied, where
/// `old` and `new` are the canonical texts of the state the file holds
/// and the state to save.
pub fn apply_change(text: &str, old: &str, new: &str) -> Result<String, EditError> {
    let user = parse(text)?;
    let (old_tree, new_tree) = (parse(old)?, parse(new)?);
    let mut ed = Editor {
        user: text,
        new,
        edits: Vec::new(),
    };
    ed.walk(&user, &old_tree, &new_tree)?;
    // Back to front, so earlier offsets stay valid. Edits never overlap
    // (each touches its own node, or the gap after its own mapping); two
    // insertions at one place (a nested mapping's and its parent's, which
    // end together) go in so that the later-made (the parent's) ends up
    // after the other.
    let mut edits: Vec<(usize, Edit)> = ed.edits.into_iter().enumerate().collect();
    edits.sort_by_key(|(i, e)| std::cmp::Reverse((e.at.start, e.at.end, *i)));
    let mut out = text.to_owned();
    for (_, e) in edits {
        out.replace_range(e.at, &e.text);
    }
    Ok(out)
}

struct Editor<'a> {
    user: &'a str,
    new: &'a str,
    edits: Vec<Edit>,
}

impl Editor<'_> {
    fn walk(&mut self, u: &Node, o: &Node, n: &Node) -> Result<(), EditError> {
        if o.same(n) {
            return Ok(());
        }
        match (u, o, n) {
            (Node::Map { .. }, Node::Map { entries: oe, .. }, Node::Map { entries: ne, .. }) => {
                let gone: Vec<&str> = oe
                    .iter()
                    .filter(|e| n.entry(&e.key).is_none() && u.entry(&e.key).is_some())
                    .map(|e| e.key.as_str())
                    .collect();
                if gone.iter().any(|k| !self.removable(u, k)) {
                    // A key that cannot go on its own: the mapping anew.
                    self.replace(u, n);
                    return Ok(());
                }
                // Inner edits first, then additions, then removals: see
                // the order edits are applied in.
                let mut added = Vec::new();
                for e in ne {
                    match (o.entry(&e.key), u.entry(&e.key)) {
                        (Some(old), Some(user)) => self.walk(&user.value, &old.value, &e.value)?,
                        (None, Some(user)) => self.replace(&user.value, &e.value),
                        // Left out of the file (a default) and unchanged.
                        (Some(old), None) if old.value.same(&e.value) => {}
                        (_, None) => added.push(e),
                    }
                }
                for e in added {
                    self.insert(u, e);
                }
                for k in gone {
                    self.remove(u, k);
                }
                Ok(())
            }
            (
                Node::Seq { items: ui, .. },
                Node::Seq { items: oi, .. },
                Node::Seq { items: ni, .. },
            ) if ui.len() == oi.len() && oi.len() == ni.len() => {
                for ((u, o), n) in ui.iter().zip(oi).zip(ni) {
                    self.walk(u, o, n)?;
                }
                Ok(())
            }
            _ => {
                self.replace(u, n);
                Ok(())
            }
        }
    }

    /// True when entry `key` of mapping `u` can be removed on its own: in
    /// a flow mapping, or on lines of its own in a block mapping that
    /// keeps other entries.
    fn removable(&self, u: &Node, key: &str) -> bool {
        let Node::Map { flow, entries, .. } = u else {
            return false;
        };
        let Some(e) = entries.iter().find(|e| e.key == key) else {
            return true;
        };
        if *flow {
            return true;
        }
        let start = e.key_span.start;
        entries.len() > 1 && self.user[self.line_start(start)..start].trim().is_empty()
    }

    /// Replace node `u` of the user's text by `n` of the new text, in the
    /// style `u` had.
    fn replace(&mut self, u: &Node, n: &Node) {
        let span = u.span();
        let text = match (u, n) {
            (_, Node::Scalar { .. }) | (_, Node::Alias { .. }) => self.source(n).to_owned(),
            (Node::Map { flow: true, .. } | Node::Seq { flow: true, .. }, _) => self.flow(n),
            (Node::Map { flow: false, .. } | Node::Seq { flow: false, .. }, _) => {
                let indent = self.column(span.start);
                // The first line starts where the old node did.
                self.block(n, indent)[indent..].to_owned()
            }
            (Node::Scalar { .. } | Node::Alias { .. }, _) => {
                // A scalar became a collection: flow fits in its place.
                self.flow(n)
            }
        };
        self.edits.push(Edit { at: span, text });
    }

    /// Add entry `e` (of the new text) at the end of mapping `u`.
    fn insert(&mut self, u: &Node, e: &Entry) {
        let Node::Map {
            flow,
            span,
            entries,
        } = u
        else {
            return;
        };
        let key = self.source_range(&e.key_span);
        if *flow {
            let text = format!("{key}: {}", self.flow(&e.value));
            match entries.last() {
                Some(last) => {
                    let at = last.value.span().end;
                    self.edits.push(Edit {
                        at: at..at,
                        text: format!(", {text}"),
                    });
                }
                None => {
                    let at = span.start + 1;
                    self.edits.push(Edit {
                        at: at..at,
                        text: format!(" {text} "),
                    });
                }
            }
            return;
        }
        let Some(first) = entries.first() else {
            return;
        };
        let indent = self.column(first.key_span.start);
        let at = self.line_end(span.end);
        let value = self.after_key(&e.value, indent);
        self.edits.push(Edit {
            at: at..at,
            text: format!("\n{}{key}:{value}", " ".repeat(indent)),
        });
    }

    /// Remove the entry `key` from mapping `u` (one that is
    /// [removable](Self::removable)).
    fn remove(&mut self, u: &Node, key: &str) {
        let Node::Map { flow, entries, .. } = u else {
            return;
        };
        let Some(i) = entries.iter().position(|e| e.key == key) else {
            return;
        };
        let e = &entries[i];
        let (start, end) = (e.key_span.start, e.value.span().end);
        let at = if *flow {
            // With the separator after it, or before it for the last one.
            match entries.get(i + 1) {
                Some(next) => start..next.key_span.start,
                None if i > 0 => entries[i - 1].value.span().end..end,
                None => start..end,
            }
        } else {
            // Whole lines: from the key's line to the end of the value's.
            self.line_start(start)..(self.line_end(end) + 1).min(self.user.len())
        };
        self.edits.push(Edit {
            at,
            text: String::new(),
        });
    }

    fn source(&self, n: &Node) -> &str {
        self.source_range(&n.span())
    }

    fn source_range(&self, r: &Range<usize>) -> &str {
        self.new.get(r.clone()).unwrap_or("")
    }

    /// Column (in bytes; indentation is spaces) of `at` in the user's text.
    fn column(&self, at: usize) -> usize {
        at - self.line_start(at)
    }

    fn line_start(&self, at: usize) -> usize {
        self.user[..at].rfind('\n').map_or(0, |i| i + 1)
    }

    /// Where the line holding `at` ends (before its newline), so an entry
    /// added after it comes after any comment on that line.
    fn line_end(&self, at: usize) -> usize {
        let at = at.min(self.user.len());
        self.user[at..]
            .find('\n')
            .map_or(self.user.len(), |i| at + i)
    }

    /// `n` in flow style: `{ a: 1, b: [1, 2] }`.
    fn flow(&self, n: &Node) -> String {
        match n {
            Node::Scalar { .. } | Node::Alias { .. } => self.source(n).to_owned(),
            Node::Map { entries, .. } if entries.is_empty() => "{}".to_owned(),
            Node::Map { entries, .. } => {
                let inner: Vec<String> = entries
                    .iter()
                    .map(|e| {
                        format!(
                            "{}: {}",
                            self.source_range(&e.key_span),
                            self.flow(&e.value)
                        )
                    })
                    .collect();
                format!("{{ {} }}", inner.join(", "))
            }
            Node::Seq { items, .. } => {
                let inner: Vec<String> = items.iter().map(|i| self.flow(i)).collect();
                format!("[{}]", inner.join(", "))
            }
        }
    }

    /// What follows `key:` for value `n` in a block mapping at `indent`:
    /// ` value` inline for scalars and short collections, else the block
    /// on the next lines.
    fn after_key(&self, n: &Node, indent: usize) -> String {
        match n {
            Node::Scalar { .. } | Node::Alias { .. } => format!(" {}", self.source(n)),
            _ => {
                let flow = self.flow(n);
                if flow.len() + indent <= SHORT_LINE {
                    format!(" {flow}")
                } else {
                    format!("\n{}", self.block(n, indent + 2))
                }
            }
        }
    }

    /// `n` in block style, every line indented by `indent`.
    fn block(&self, n: &Node, indent: usize) -> String {
        let pad = " ".repeat(indent);
        match n {
            Node::Map { entries, .. } if !entries.is_empty() => entries
                .iter()
                .map(|e| {
                    format!(
                        "{pad}{}:{}",
                        self.source_range(&e.key_span),
                        self.after_key(&e.value, indent)
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
            Node::Seq { items, .. } if !items.is_empty() => items
                .iter()
                .map(|i| {
                    let body = match i {
                        Node::Map { entries, .. } if !entries.is_empty() => {
                            // The first entry on the dash's line.
                            self.block(i, indent + 2)[indent + 2..].to_owned()
                        }
                        _ => self.flow(i),
                    };
                    format!("{pad}- {body}")
                })
                .collect::<Vec<_>>()
                .join("\n"),
            _ => format!("{pad}{}", self.flow(n)),
        }
    }
}

/// Collections whose flow form fits in this many columns are written on
/// one line.
const SHORT_LINE: usize = 100;

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(user: &str, old: &str, new: &str) -> String {
        apply_change(user, old, new).unwrap()
    }

    #[test]
    fn a_changed_scalar_is_replaced_in_place_and_nothing_else_moves() {
        let user = "# my mix\nname: x   # the name\ngain_db: -3\n\npan: 0.5\n";
        let got = edit(user, "name: x\ngain_db: -3.0\n", "name: x\ngain_db: -6.5\n");
        assert_eq!(
            got,
            "# my mix\nname: x   # the name\ngain_db: -6.5\n\npan: 0.5\n"
        );
    }

    #[test]
    fn flow_mappings_stay_flow() {
        let user = "tracks:\n  - { name: A, gain_db: -2 }   # lead\n  - { name: B }\n";
        let old = "tracks:\n- name: A\n  gain_db: -2.0\n- name: B\n";
        let new = "tracks:\n- name: A\n  gain_db: -4.0\n  mute: true\n- name: B\n  pan: 0.25\n";
        assert_eq!(
            edit(user, old, new),
            "tracks:\n  - { name: A, gain_db: -4.0, mute: true }   # lead\n  - { name: B, pan: 0.25 }\n"
        );
    }

    #[test]
    fn a_new_key_in_a_block_mapping_goes_after_the_last_line_and_its_comment() {
        let user = "master:\n  gain_db: 0   # unity\n# end\n";
        let got = edit(
            user,
            "master:\n  gain_db: 0.0\n",
            "master:\n  gain_db: 0.0\n  mute: true\n",
        );
        assert_eq!(
            got,
            "master:\n  gain_db: 0   # unity\n  mute: true\n# end\n"
        );
    }

    #[test]
    fn a_value_back_to_its_default_loses_its_key() {
        let user = "a:\n  mute: true  # muted for now\n  gain_db: 1\nb: { mute: true, pan: 0.2 }\n";
        let old = "a:\n  mute: true\n  gain_db: 1.0\nb:\n  mute: true\n  pan: 0.2\n";
        let new = "a:\n  gain_db: 1.0\nb:\n  pan: 0.2\n";
        assert_eq!(edit(user, old, new), "a:\n  gain_db: 1\nb: { pan: 0.2 }\n");
    }

    #[test]
    fn a_list_that_changed_length_is_rewritten_in_its_own_style() {
        let user = "lanes:\n  gain:\n    mode: touch\n    points: [[0, -3], [1, -6]]  # ride\n";
        let old = "lanes:\n  gain:\n    mode: touch\n    points:\n    - - 0.0\n      - -3.0\n    - - 1.0\n      - -6.0\n";
        let new = "lanes:\n  gain:\n    mode: touch\n    points:\n    - - 0.0\n      - -3.0\n    - - 0.5\n      - -4.0\n    - - 1.0\n      - -6.0\n";
        assert_eq!(
            edit(user, old, new),
            "lanes:\n  gain:\n    mode: touch\n    points: [[0.0, -3.0], [0.5, -4.0], [1.0, -6.0]]  # ride\n"
        );
        let block = "sends:\n  - bus: A\n    gain_db: -3\n";
        let old = "sends:\n- bus: A\n  gain_db: -3.0\n";
        let new = "sends:\n- bus: A\n  gain_db: -3.0\n- bus: B\n  gain_db: -6.0\n  pre: true\n";
        assert_eq!(
            edit(block, old, new),
            "sends:\n  - bus: A\n    gain_db: -3.0\n  - bus: B\n    gain_db: -6.0\n    pre: true\n"
        );
    }

    #[test]
    fn an_added_nested_mapping_is_written_in_block_style_under_a_block_parent() {
        let user = "name: x\n";
        let long = (0..20)
            .map(|i| format!("  k{i}: {i}\n"))
            .collect::<String>();
        let new = format!("name: x\nbig:\n{long}");
        let got = edit(user, "name: x\n", &new);
        assert_eq!(got, format!("name: x\nbig:\n{long}"));
    }
}
