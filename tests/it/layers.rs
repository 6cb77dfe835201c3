//! The crate's layers point down, and no two modules import each other:
//!
//! domain → (config, fonts, i18n, images, password, security) → db → services → (charts, reports, mail) → (web, cli)
//!
//! A module may use its own layer and those below it; `crate::` paths in `src/` are read to see
//! which modules each one uses, and `super::` paths for the modules inside one folder.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module of `src/` and its layer (0 is the lowest).
const LAYERS: &[(&str, usize)] = &[
    ("domain", 0),
    ("config", 1),
    ("fonts", 1),
    ("i18n", 1),
    ("images", 1),
    ("password", 1),
    ("security", 1),
    ("db", 2),
    ("accounts", 3),
    ("api_keys", 3),
    ("aggregator", 3),
    ("catalog", 3),
    ("demo", 3),
    ("desks", 3),
    ("devices", 3),
    ("follow_up", 3),
    ("gateway", 3),
    ("invitations", 3),
    ("letterhead", 3),
    ("publications", 3),
    ("rate_limit", 3),
    ("readiness", 3),
    ("response_rate", 3),
    ("rollup", 3),
    ("setup", 3),
    ("sheets", 3),
    ("survey", 3),
    ("units", 3),
    ("charts", 4),
    ("mail", 4),
    ("reports", 4),
    ("cli", 5),
    ("web", 5),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a source folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a source file: `src/web/dashboard/unit.rs` is `["web", "dashboard", "unit"]`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).expect("under src");
    let mut parts: Vec<String> = relative.with_extension("").iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
        parts.pop();
    }
    parts
}

/// The module path after each occurrence of `prefix` (`crate::` or `super::`), split at `::`.
fn paths_after(source: &str, prefix: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find(prefix) {
        let before = rest[..at].chars().last();
        rest = &rest[at + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).unwrap_or(rest.len());
        let path: Vec<String> = rest[..end].split("::").filter(|p| !p.is_empty()).map(str::to_string).collect();
        found.push(path);
    }
    found
}

/// `module → modules it uses`: between top-level modules (`web → survey`), and between the
/// modules of one folder (`web::dashboard → web::pages`).
fn uses() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut add = |from: &[String], to: &[String]| {
        if from[0] != to[0] {
            edges.entry(from[0].clone()).or_default().insert(to[0].clone());
        } else if from.len() >= 2 && to.len() >= 2 && from[1] != to[1] {
            edges.entry(from[..2].join("::")).or_default().insert(to[..2].join("::"));
        }
    };
    for file in files {
        let module = module_of(&src, &file);
        if module.is_empty() {
            continue;
        }
        let source = std::fs::read_to_string(&file).expect("a source file");
        for path in paths_after(&source, "crate::") {
            if path.first().is_some_and(|top| layer_of(top).is_some()) {
                add(&module, &path);
            }
        }
        // `super::x` in `a/b.rs` or `a/b/mod.rs` (module `a::b`) is `a::x`
        if module.len() >= 2 {
            let parent = &module[..module.len() - 1];
            for path in paths_after(&source, "super::") {
                let target: Vec<String> = parent.iter().cloned().chain(path).collect();
                add(&module, &target);
            }
        }
    }
    edges
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, layer)| *layer)
}

#[test]
fn every_module_of_src_has_a_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for entry in std::fs::read_dir(&src).expect("src") {
        let path = entry.expect("an entry").path();
        let name = path.file_stem().expect("a name").to_string_lossy().into_owned();
        if matches!(name.as_str(), "lib" | "main") {
            continue;
        }
        assert!(layer_of(&name).is_some(), "src/{name} has no layer in tests/layers.rs: say where it belongs");
    }
}

#[test]
fn no_module_uses_one_in_a_layer_above_it() {
    let mut upward = Vec::new();
    for (from, targets) in uses() {
        let Some(from_layer) = layer_of(&from) else { continue };
        for to in targets {
            if layer_of(&to).is_some_and(|to_layer| to_layer > from_layer) {
                upward.push(format!("{from} → {to}"));
            }
        }
    }
    assert!(upward.is_empty(), "modules that use a layer above their own: {upward:?}");
}

#[test]
fn no_two_modules_use_each_other() {
    let edges = uses();
    let mut mutual = Vec::new();
    for (from, targets) in &edges {
        for to in targets {
            if from < to && edges.get(to).is_some_and(|back| back.contains(from)) {
                mutual.push(format!("{from} ↔ {to}"));
            }
        }
    }
    assert!(mutual.is_empty(), "modules that use each other: {mutual:?}");
}

#[test]
fn the_reader_sees_the_uses_it_checks() {
    // Guards the reader itself: a few uses the code is known to have.
    let edges = uses();
    for (from, to) in [("web", "survey"), ("survey", "db"), ("db", "domain"), ("reports", "charts")] {
        assert!(edges.get(from).is_some_and(|t| t.contains(to)), "{from} → {to} not seen: {edges:?}");
    }
    assert!(edges.get("web::dashboard").is_some_and(|t| t.contains("web::pages")), "sibling uses not seen");
}
