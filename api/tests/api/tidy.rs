//! The layout's checkable invariants (ARCHITECTURE.md), read off the api's sources: every module
//! opens with a doc comment; axum and the other HTTP crates are imported only under `http/` and by
//! the process files; the top-level modules, and the rooms inside `polls/`, import one another
//! without a cycle; shared modules import no feature, and features neither `observability` nor
//! the HTTP layer or the process.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Crates that make up the HTTP layer: only `http/` and the process files use them.
const HTTP_CRATES: [&str; 5] = ["axum", "tower_http", "utoipa_axum", "utoipa_swagger_ui", "hyper"];
/// Files outside `http/` that may use them: the server loop (it serves the router).
const HTTP_CRATES_ALSO_IN: [&str; 1] = ["server.rs"];
/// Modules whose children must not import one another in a cycle (the crate root's modules, and
/// the rooms of `polls/`).
const NO_CYCLES_AMONG_CHILDREN_OF: [&[&str]; 2] = [&[], &["polls"]];
/// The features: what the shared modules below them must not import.
const FEATURES: [&str; 4] = ["polls", "surveys", "accounts", "data_browser"];
/// Modules below the features, with what each must not import besides them (`observability`
/// reads no feature; `settings` knows no feature; features record their own metrics).
const BELOW_THE_FEATURES: [(&str, &[&str]); 4] = [
    ("observability", &["http", "state", "server"]),
    ("settings", &["http", "state", "server", "observability"]),
    ("limits", &["http", "state", "server", "observability"]),
    ("notifications", &["http", "state", "server", "observability"]),
];

struct Source {
    /// Relative to `src/`, e.g. `polls/live/stream.rs`.
    file: PathBuf,
    /// The module path, e.g. `["polls", "live", "stream"]` (`mod.rs` names its folder).
    module: Vec<String>,
    /// The text without its `#[cfg(test)]` tail and without comments.
    code: String,
    text: String,
}

fn sources() -> Vec<Source> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    collect(&root, &mut files);
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("read a source file");
            let file = path.strip_prefix(&root).expect("under src").to_path_buf();
            let mut module: Vec<String> =
                file.with_extension("").iter().map(|part| part.to_string_lossy().into_owned()).collect();
            if matches!(module.last().map(String::as_str), Some("mod" | "lib" | "main")) {
                module.pop();
            }
            let code = without_comments(&without_test_modules(&text));
            Source { file, module, code, text }
        })
        .collect()
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// The text without its `#[cfg(test)] mod … { … }` blocks (tests may import anything).
fn without_test_modules(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("#[cfg(test)]\nmod ") {
        out.push_str(&rest[..at]);
        let block = &rest[at..];
        let Some(open) = block.find('{') else { return out };
        let mut depth = 0;
        let mut end = block.len();
        for (i, c) in block[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &block[end..];
    }
    out.push_str(rest);
    out
}

/// The code with `//` comments and string literals blanked (a doc comment naming `crate::x` is
/// not an import).
fn without_comments(text: &str) -> String {
    text.lines()
        .map(|line| {
            let mut out = String::new();
            let mut in_string = false;
            let mut chars = line.chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '"' => {
                        in_string = !in_string;
                        out.push(' ');
                    }
                    '\\' if in_string => {
                        chars.next();
                    }
                    '/' if !in_string && chars.peek() == Some(&'/') => break,
                    _ if in_string => out.push(' '),
                    _ => out.push(c),
                }
            }
            out
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path a file names that starts at `crate`, `super` or `self`, resolved to an absolute
/// module path (items included: `crate::polls::live::spawn` → `polls, live, spawn`).
fn paths_named(source: &Source) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let code = &source.code;
    // `use` trees, brace groups expanded.
    let mut rest = code.as_str();
    while let Some(start) = find_word(rest, "use") {
        let after = &rest[start + 3..];
        let Some(end) = after.find(';') else { break };
        for path in expand_use_tree(after[..end].trim()) {
            found.push(path);
        }
        rest = &after[end..];
    }
    // Paths in expressions and types.
    let bytes = code.as_bytes();
    for anchor in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(at) = code[from..].find(anchor) {
            let at = from + at;
            from = at + anchor.len();
            if at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_' || bytes[at - 1] == b':') {
                continue;
            }
            let path: String =
                code[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':').collect();
            found.push(path.split("::").filter(|p| !p.is_empty()).map(str::to_owned).collect());
        }
    }
    found.into_iter().filter_map(|path| resolve(&source.module, path)).collect()
}

fn find_word(text: &str, word: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(at) = text[from..].find(word) {
        let at = from + at;
        let before_ok = at == 0 || !(bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_');
        let after_ok = bytes.get(at + word.len()).is_some_and(|b| b.is_ascii_whitespace());
        if before_ok && after_ok {
            return Some(at);
        }
        from = at + word.len();
    }
    None
}

/// `a::{b, c::{d, e}}` → `a::b`, `a::c::d`, `a::c::e`.
fn expand_use_tree(tree: &str) -> Vec<Vec<String>> {
    let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
    let mut out = Vec::new();
    expand(&tree, &[], &mut out);
    out
}

fn expand(tree: &str, prefix: &[String], out: &mut Vec<Vec<String>>) {
    match tree.find('{') {
        None => {
            let mut path = prefix.to_vec();
            let name = tree.split(" as ").next().unwrap_or(tree);
            path.extend(name.split("::").filter(|p| !p.is_empty() && *p != "*").map(str::to_owned));
            // `crate::x::{self}`: the module itself.
            if !prefix.is_empty() {
                path.retain(|p| p != "self");
            }
            out.push(path);
        }
        Some(open) => {
            let mut path = prefix.to_vec();
            path.extend(tree[..open].split("::").filter(|p| !p.is_empty()).map(str::to_owned));
            let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
            let mut depth = 0;
            let mut start = 0;
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        if !inner[start..i].is_empty() {
                            expand(&inner[start..i], &path, out);
                        }
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            if !inner[start..].is_empty() {
                expand(&inner[start..], &path, out);
            }
        }
    }
}

/// An absolute module path for `path` as written in `module` (`None`: another crate's path).
fn resolve(module: &[String], path: Vec<String>) -> Option<Vec<String>> {
    let mut parts = path.into_iter();
    let first = parts.next()?;
    let mut base: Vec<String> = match first.as_str() {
        "crate" => Vec::new(),
        "self" => module.to_vec(),
        "super" => module[..module.len().saturating_sub(1)].to_vec(),
        _ => return None,
    };
    for part in parts {
        if part == "super" {
            base.pop();
        } else {
            base.push(part);
        }
    }
    Some(base)
}

#[test]
fn every_module_opens_with_a_doc_comment() {
    let undocumented: Vec<_> = sources()
        .into_iter()
        .filter(|s| !s.text.trim_start().starts_with("//!"))
        .map(|s| s.file.display().to_string())
        .collect();
    assert!(undocumented.is_empty(), "modules without a `//!` doc comment at the top: {undocumented:?}");
}

#[test]
fn only_the_http_layer_imports_axum() {
    let mut outside = Vec::new();
    for source in sources() {
        let in_http = source.module.first().is_some_and(|m| m == "http");
        let allowed = in_http || HTTP_CRATES_ALSO_IN.iter().any(|f| source.file == Path::new(f));
        if allowed {
            continue;
        }
        for krate in HTTP_CRATES {
            let named = source.code.lines().any(|line| {
                let bytes = line.as_bytes();
                line.match_indices(&format!("{krate}::")).any(|(at, _)| {
                    at == 0
                        || !(bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_' || bytes[at - 1] == b':')
                })
            });
            if named {
                outside.push(format!("{} uses {krate}", source.file.display()));
            }
        }
    }
    assert!(outside.is_empty(), "HTTP crates outside http/ (move the code into http/): {outside:#?}");
}

#[test]
fn modules_import_one_another_without_a_cycle() {
    let sources = sources();
    let mut failures = Vec::new();
    for parent in NO_CYCLES_AMONG_CHILDREN_OF {
        let depth = parent.len();
        // Edges between the parent's children: child → the children it names.
        let mut edges: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
        for source in &sources {
            // The crate root and the binary are the composition, not a module among others.
            if source.module.len() <= depth || source.module[..depth] != parent[..] {
                continue;
            }
            let from = &source.module[depth];
            for path in paths_named(source) {
                if path.len() <= depth || path[..depth] != parent[..] {
                    continue;
                }
                let to = &path[depth];
                if to != from && is_module(&sources, &path[..=depth]) {
                    edges
                        .entry(from.clone())
                        .or_default()
                        .entry(to.clone())
                        .or_default()
                        .insert(source.file.display().to_string());
                }
            }
        }
        if let Some(cycle) = find_cycle(&edges) {
            let steps: Vec<String> = cycle
                .windows(2)
                .map(|pair| format!("{} → {} (in {:?})", pair[0], pair[1], edges[&pair[0]][&pair[1]]))
                .collect();
            failures.push(format!("under {:?}: {}", parent.join("::"), steps.join("; ")));
        }
    }
    assert!(failures.is_empty(), "import cycles: {failures:#?}");
}

#[test]
fn shared_modules_import_no_feature_and_features_no_observability() {
    let mut upward = Vec::new();
    for source in sources() {
        let Some(top) = source.module.first() else { continue };
        let forbidden: Vec<&str> = match BELOW_THE_FEATURES.iter().find(|(module, _)| module == top) {
            Some((_, also)) => FEATURES.iter().chain(also.iter()).copied().collect(),
            None if FEATURES.contains(&top.as_str()) => vec!["observability", "http", "state", "server"],
            None => continue,
        };
        for path in paths_named(&source) {
            if let Some(named) = path.first().filter(|named| forbidden.contains(&named.as_str())) {
                upward.push(format!("{} imports {named}", source.file.display()));
            }
        }
    }
    upward.sort();
    upward.dedup();
    assert!(upward.is_empty(), "imports against the layers: {upward:#?}");
}

fn is_module(sources: &[Source], path: &[String]) -> bool {
    sources.iter().any(|s| s.module == path)
}

/// A cycle in the graph, as the list of its nodes with the first repeated at the end.
fn find_cycle(edges: &BTreeMap<String, BTreeMap<String, BTreeSet<String>>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeMap<String, BTreeSet<String>>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_owned());
        for next in edges.get(node).map(|e| e.keys().cloned().collect::<Vec<_>>()).unwrap_or_default() {
            if let Some(cycle) = visit(&next, edges, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    edges.keys().find_map(|node| visit(node, edges, &mut Vec::new(), &mut done))
}

#[test]
fn the_checks_see_a_cycle_and_a_use_tree() {
    // The checker itself: a planted cycle is found, and a grouped `use` names each of its paths.
    let mut edges: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (a, b) in [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")] {
        edges.entry(a.into()).or_default().entry(b.into()).or_default().insert(String::new());
    }
    assert_eq!(find_cycle(&edges), Some(vec!["a".into(), "b".into(), "c".into(), "a".into()]));
    edges.get_mut("c").map(|e| e.remove("a"));
    assert_eq!(find_cycle(&edges), None);
    let paths = expand_use_tree("crate::{error::AppError, polls::{live::{self, Watch}, model}}");
    assert!(paths.contains(&vec!["crate".into(), "error".into(), "AppError".into()]));
    assert!(paths.contains(&vec!["crate".into(), "polls".into(), "live".into(), "Watch".into()]));
    assert!(paths.contains(&vec!["crate".into(), "polls".into(), "model".into()]));
}
