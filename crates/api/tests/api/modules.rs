//! No import cycles between the top-level modules of any crate of the
//! workspace: a module that uses another may not be used by it, directly or
//! through others. Read from the sources (`crate::x` paths, grouped
//! `crate::{x, y}` imports, and `super::x` from a top-level module), so a
//! cycle fails the tests instead of waiting for a reviewer.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a source file belongs to (`None` for the crate
/// root), and whether the file is that module's own file (where `super::`
/// means the crate root).
fn top_module(src: &Path, file: &Path) -> (Option<String>, bool) {
    let relative = file.strip_prefix(src).unwrap();
    let parts: Vec<String> = relative
        .iter()
        .map(|part| part.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    match parts.as_slice() {
        [root] if root == "lib" || root == "main" => (None, false),
        [single] => (Some(single.clone()), true),
        [first, rest] if rest == "mod" => (Some(first.clone()), true),
        [first, ..] => (Some(first.clone()), false),
        [] => (None, false),
    }
}

fn identifier(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// The names `text` (just after `crate::` or `super::`) refers to at its
/// first level: one identifier, or each of a `{...}` group.
fn referenced(text: &str) -> Vec<String> {
    let Some(group) = text.strip_prefix('{') else {
        return vec![identifier(text).to_owned()];
    };
    let mut names = Vec::new();
    let mut depth = 0;
    let mut at_item_start = true;
    for (index, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => at_item_start = true,
            c if c.is_whitespace() => {}
            _ if at_item_start && depth == 0 => {
                names.push(identifier(&group[index..]).to_owned());
                at_item_start = false;
            }
            _ => {}
        }
    }
    names
}

fn edges_of_crate(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeSet<String> = files
        .iter()
        .filter_map(|file| top_module(src, file).0)
        .collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let (Some(from), own_file) = top_module(src, file) else {
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        let code: String = text
            .lines()
            .filter(|line| !line.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let mut prefixes = vec!["crate::"];
        if own_file {
            prefixes.push("super::");
        }
        for prefix in prefixes {
            for (index, _) in code.match_indices(prefix) {
                let preceded_by_path = code[..index]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':');
                if preceded_by_path {
                    continue;
                }
                for name in referenced(&code[index + prefix.len()..]) {
                    if name != from && modules.contains(&name) {
                        edges.entry(from.clone()).or_default().insert(name);
                    }
                }
            }
        }
    }
    edges
}

/// Every cycle found by a depth-first walk, each as `a -> b -> a`.
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    fn walk(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        found: &mut Vec<String>,
    ) {
        if let Some(position) = stack.iter().position(|entry| entry == node) {
            let mut cycle = stack[position..].to_vec();
            cycle.push(node.to_owned());
            found.push(cycle.join(" -> "));
            return;
        }
        if done.contains(node) {
            return;
        }
        stack.push(node.to_owned());
        for next in edges.get(node).into_iter().flatten() {
            walk(next, edges, stack, done, found);
        }
        stack.pop();
        done.insert(node.to_owned());
    }
    let mut found = Vec::new();
    let mut done = BTreeSet::new();
    for node in edges.keys() {
        walk(node, edges, &mut Vec::new(), &mut done, &mut found);
    }
    found
}

#[test]
fn no_crate_has_an_import_cycle_between_its_modules() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut found = Vec::new();
    let mut checked = 0;
    for entry in std::fs::read_dir(&crates).unwrap() {
        let src = entry.unwrap().path().join("src");
        if !src.is_dir() {
            continue;
        }
        let name = src
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        checked += 1;
        for cycle in cycles(&edges_of_crate(&src)) {
            found.push(format!("{name}: {cycle}"));
        }
    }
    assert!(
        checked >= 5,
        "only {checked} crates found under {}",
        crates.display()
    );
    assert!(found.is_empty(), "import cycles:\n{}", found.join("\n"));
}

#[test]
fn the_cycle_finder_sees_grouped_and_super_imports() {
    assert_eq!(
        referenced("{error::E, smtp::{A, B}, telegram::T};"),
        ["error", "smtp", "telegram"]
    );
    assert_eq!(referenced("outbox::enqueue(conn)"), ["outbox"]);
    let edges: BTreeMap<String, BTreeSet<String>> = [
        ("a".to_owned(), BTreeSet::from(["b".to_owned()])),
        ("b".to_owned(), BTreeSet::from(["a".to_owned()])),
    ]
    .into();
    assert_eq!(cycles(&edges), ["a -> b -> a"]);
}
