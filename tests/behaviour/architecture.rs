//! Imports point toward the engine: each module may only `use crate::` what
//! the table in src/lib.rs allows.

use crate::common;
use common::files_under;
use std::path::Path;

/// The import rules as src/lib.rs's module table states them: (module,
/// the modules it may import besides itself), or `None` for "everything".
fn rules() -> Vec<(String, Option<Vec<String>>)> {
    let lib = std::fs::read_to_string("src/lib.rs").unwrap();
    let mut rules = Vec::new();
    for line in lib.lines() {
        let Some(row) = line.strip_prefix("//! | `") else {
            continue;
        };
        let cells: Vec<&str> = row.split('|').collect();
        let module = cells[0].trim().trim_end_matches('`').to_owned();
        let may = cells[2].trim();
        let allowed = (may != "everything").then(|| {
            may.split('`')
                .skip(1)
                .step_by(2)
                .map(|name| name.split("::").next().unwrap().to_owned())
                .collect()
        });
        rules.push((module, allowed));
    }
    rules
}

/// A module's files: its folder's, or its one file.
fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    if !dir.is_dir() {
        return vec![dir.with_extension("rs")];
    }
    let mut rs = files_under(dir);
    rs.retain(|p| p.extension().is_some_and(|x| x == "rs"));
    rs
}

#[test]
fn modules_import_only_toward_the_engine() {
    let rules = rules();
    let modules: Vec<&str> = rules.iter().map(|(m, _)| m.as_str()).collect();
    for m in [
        "dsp", "engine", "model", "mixer", "config", "surfaces", "audio", "daemon",
    ] {
        assert!(
            modules.contains(&m),
            "src/lib.rs's table has no `{m}`: {modules:?}"
        );
    }
    let mut violations = Vec::new();
    for (module, allowed) in &rules {
        let Some(allowed) = allowed else {
            continue;
        };
        for file in files(&Path::new("src").join(module)) {
            let text = std::fs::read_to_string(&file).unwrap();
            for (n, line) in text.lines().enumerate() {
                let mut rest = line;
                while let Some(i) = rest.find("crate::") {
                    let name: String = rest[i + 7..]
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if name != *module && !allowed.contains(&name) {
                        violations.push(format!("{}:{}: `{module}` may not import `crate::{name}` (may import: {allowed:?})", file.display(), n + 1));
                    }
                    rest = &rest[i + 7..];
                }
            }
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

/// The audio thread's code, the engine's and the DSP kernels' (their
/// tests aside), takes no lock, blocks on no channel, logs, prints,
/// formats, or touches files or the network.
#[test]
fn the_engine_and_its_kernels_use_no_locks_channels_or_logging() {
    // Allocation is proven absent at run time by tests/behaviour/rt_alloc.rs; this
    // guards what a run-time check cannot see: locks, blocking channels,
    // logging and printing.
    let banned = [
        "Mutex",
        "RwLock",
        "crossbeam",
        "tracing::",
        "println!",
        "eprintln!",
        "format!",
        "std::fs",
        "std::net",
    ];
    let mut found = Vec::new();
    let mut code = files(Path::new("src/engine"));
    code.extend(files(Path::new("src/dsp")));
    for file in code {
        let text = std::fs::read_to_string(&file).unwrap();
        let text = text.split("#[cfg(test)]").next().unwrap();
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for b in banned {
                if line.contains(b) {
                    found.push(format!("{}:{}: {b}", file.display(), n + 1));
                }
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// Within a surface, imports run one way: the pure codec imports neither
/// the driver nor the surface state, and the driver does not import the
/// surface state (it hands it packets).
#[test]
fn a_surfaces_codec_driver_and_state_import_one_way() {
    let mut violations = Vec::new();
    for entry in std::fs::read_dir("src/surfaces").unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        for (file, banned) in [
            ("codec.rs", &["super::driver", "super::surface"][..]),
            ("driver.rs", &["super::surface"][..]),
        ] {
            let path = dir.join(file);
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            for b in banned {
                if text.contains(b) {
                    violations.push(format!("{} imports {b}", path.display()));
                }
            }
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

/// The modules of `dir` (one file each) and, per module, the sibling
/// modules it names as `super::NAME` (test modules' `super::*` aside).
fn sibling_imports(dir: &Path) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|x| x != "rs") || path.ends_with("mod.rs") {
            continue;
        }
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        // Only the module's own code: its unit tests may reach anywhere.
        let code = text.split("#[cfg(test)]").next().unwrap();
        let mut uses: Vec<String> = Vec::new();
        let mut rest = code;
        while let Some(i) = rest.find("super::") {
            let target: String = rest[i + 7..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !target.is_empty() && target != name && !uses.contains(&target) {
                uses.push(target);
            }
            rest = &rest[i + 7..];
        }
        out.push((name, uses));
    }
    out
}

/// A cycle among `graph`'s modules, if there is one.
fn cycle(graph: &[(String, Vec<String>)]) -> Option<Vec<String>> {
    fn visit(
        at: &str,
        graph: &[(String, Vec<String>)],
        path: &mut Vec<String>,
        done: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == at) {
            let mut c = path[i..].to_vec();
            c.push(at.to_owned());
            return Some(c);
        }
        if done.iter().any(|d| d == at) {
            return None;
        }
        path.push(at.to_owned());
        if let Some((_, next)) = graph.iter().find(|(n, _)| n == at) {
            for n in next {
                if let Some(c) = visit(n, graph, path, done) {
                    return Some(c);
                }
            }
        }
        path.pop();
        done.push(at.to_owned());
        None
    }
    let mut done = Vec::new();
    graph
        .iter()
        .find_map(|(n, _)| visit(n, graph, &mut Vec::new(), &mut done))
}

/// The engine's modules, and each surface's, import each other without a
/// circle (so each can be read, tested and replaced from the bottom up).
#[test]
fn no_module_circles_in_the_engine_or_a_surface() {
    let mut dirs = vec![std::path::PathBuf::from("src/engine")];
    for entry in std::fs::read_dir("src/surfaces").unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            dirs.push(p);
        }
    }
    for dir in dirs {
        let graph = sibling_imports(&dir);
        assert!(
            cycle(&graph).is_none(),
            "{}: {:?}",
            dir.display(),
            cycle(&graph)
        );
    }
}
