//! The shape of a crate's modules, for each crate's architecture test
//! (the client's tests/it/architecture, the watch's
//! watch/tests/it/architecture.rs, which includes this file): its import
//! graph from the `crate::`, `super::` and `self::` paths of its files
//! (unit tests left out: a `mod tests` at a file's end, or a `tests.rs`
//! beside it), the graph's cycles between modules and between top-level
//! folders, and its files' lengths.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Every source file's module path (`""` for the root) and text.
pub fn modules(src: &str) -> BTreeMap<String, String> {
    fn walk(dir: &Path, prefix: &str, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
            let here = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}::{name}")
            };
            if path.is_dir() {
                walk(&path, &here, out);
            } else if name == "tests" {
                // A module's unit tests, in a file of their own.
            } else if path.extension().is_some_and(|e| e == "rs") {
                let module = match name.as_str() {
                    "lib" if prefix.is_empty() => String::new(),
                    "mod" => prefix.to_owned(),
                    _ => here,
                };
                out.insert(module, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(Path::new(src), "", &mut out);
    out
}

/// The code of a file, without comments and without its unit tests.
pub fn code(text: &str) -> String {
    // Unit tests sit behind `#[cfg(test)]` (and maybe other attributes)
    // then `mod tests`: inline at the end (`mod tests {`: cut from there),
    // or in a file of their own (`mod tests;`: only the declaration goes,
    // wherever it stands, and the code after it stays).
    let mut text = text.to_owned();
    while let Some(at) = text
        .match_indices("#[cfg(test)]")
        .map(|(at, _)| at)
        .find(|at| {
            text[*at..]
                .lines()
                .take(4)
                .any(|l| l.starts_with("mod tests"))
        })
    {
        let decl = text[at..].find("mod tests").map(|i| at + i).unwrap();
        let line_end = text[decl..].find('\n').map_or(text.len(), |i| decl + i);
        if text[decl..line_end].trim_end().ends_with(';') {
            text.replace_range(at..line_end, "");
        } else {
            text.truncate(at);
        }
    }
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The paths after each `crate::`, `super::` or `self::` in `code`, resolved
/// to absolute paths (`a::b::Item`). `super::` and `self::` only when
/// `relative` (the generated code uses them between its inline modules).
pub fn paths(module: &str, is_dir_module: bool, relative: bool, code: &str) -> Vec<String> {
    let parent = |m: &str| {
        m.rsplit_once("::")
            .map_or(String::new(), |(p, _)| p.to_owned())
    };
    // Child modules declared here (`mod page;`), named by bare paths (`page::Page`).
    let children: Vec<&str> = code
        .lines()
        .filter_map(|l| {
            let l = l
                .trim()
                .trim_start_matches("pub(crate) ")
                .trim_start_matches("pub ");
            l.strip_prefix("mod ")?.strip_suffix(';')
        })
        .collect();
    code.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .filter_map(|path| {
            let (head, rest) = path.split_once("::")?;
            let base = match head {
                "crate" => String::new(),
                // In `a/mod.rs`, `super` is `a`'s parent; in `a/b.rs` it is `a`.
                "super" if relative => parent(module),
                "self" if relative && is_dir_module => module.to_owned(),
                child if relative && children.contains(&child) => {
                    return Some(format!("{module}::{path}"));
                }
                _ => return None,
            };
            Some(if base.is_empty() {
                rest.to_owned()
            } else {
                format!("{base}::{rest}")
            })
        })
        .collect()
}

/// The import graph of the crate in `src`: module -> the modules it
/// names; `extra` adds code to a module (the client's generated code,
/// included by its transport).
pub fn graph(src: &str, extra: &[(&str, &str)]) -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules(src);
    let known: BTreeSet<String> = modules.keys().cloned().collect();
    let resolve = |path: &str| -> String {
        // The longest prefix that is a module; else the root.
        let mut candidate = path.to_owned();
        loop {
            if known.contains(&candidate) {
                return candidate;
            }
            match candidate.rsplit_once("::") {
                Some((p, _)) => candidate = p.to_owned(),
                None => {
                    return if known.contains(&candidate) {
                        candidate
                    } else {
                        String::new()
                    };
                }
            }
        }
    };
    let mut graph = BTreeMap::new();
    for (module, text) in &modules {
        if module.is_empty() {
            continue; // the root re-exports everything by design
        }
        let is_dir = Path::new(src)
            .join(module.replace("::", "/"))
            .join("mod.rs")
            .exists();
        let mut found = paths(module, is_dir, true, &code(text));
        for (_, more) in extra.iter().filter(|(m, _)| m == module) {
            found.extend(paths(module, false, false, &code(more)));
        }
        let edges: BTreeSet<String> = found
            .iter()
            .map(|p| resolve(p))
            .filter(|target| target != module)
            .collect();
        graph.insert(module.clone(), edges);
    }
    graph
}

/// Every cycle, as `a -> b -> a`.
pub fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        found: &mut Vec<String>,
    ) {
        if let Some(i) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[i..].to_vec();
            cycle.push(node.to_owned());
            found.push(cycle.join(" -> "));
            return;
        }
        if !done.insert(node.to_owned()) {
            return;
        }
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            visit(next, graph, stack, done, found);
        }
        stack.pop();
    }
    let mut found = Vec::new();
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        visit(node, graph, &mut Vec::new(), &mut done, &mut found);
    }
    found
}

/// No module imports one that imports it back, nor through the crate
/// root's re-exports; `graph` holds more than `at_least` modules (the walk
/// found them).
pub fn assert_no_module_cycle(graph: &BTreeMap<String, BTreeSet<String>>, at_least: usize) {
    assert!(
        graph.len() > at_least,
        "the walk found the modules: {:?}",
        graph.keys()
    );
    let through_root: Vec<_> = graph
        .iter()
        .filter(|(_, edges)| edges.contains(""))
        .map(|(m, _)| m.as_str())
        .collect();
    assert!(
        through_root.is_empty(),
        "these modules import through the crate root's re-exports (`crate::Name`); \
         import from the defining module instead: {through_root:?}"
    );
    let cycles = cycles(graph);
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

/// The graph with each module taken for its top-level folder (or file):
/// `transport::gate` is `transport`.
pub fn folders(graph: &BTreeMap<String, BTreeSet<String>>) -> BTreeMap<String, BTreeSet<String>> {
    let top = |m: &str| m.split("::").next().unwrap_or("").to_owned();
    let mut folders: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, edges) in graph {
        let from = top(module);
        let entry = folders.entry(from.clone()).or_default();
        entry.extend(edges.iter().map(|e| top(e)).filter(|to| *to != from));
    }
    folders
}

/// No top-level folder imports one that imports it back.
pub fn assert_no_folder_cycle(graph: &BTreeMap<String, BTreeSet<String>>) {
    let cycles = cycles(&folders(graph));
    assert!(
        cycles.is_empty(),
        "import cycles between top-level folders:\n{}",
        cycles.join("\n")
    );
}

/// No source file in `src` is past `max_lines`.
pub fn assert_no_long_file(src: &str, max_lines: usize) {
    let long: Vec<String> = modules(src)
        .iter()
        .map(|(m, text)| (m, text.lines().count()))
        .filter(|(_, n)| *n > max_lines)
        .map(|(m, n)| format!("{m}: {n} lines"))
        .collect();
    assert!(long.is_empty(), "split these: {long:?}");
}

/// A unit-test module in a file of its own is declared anywhere in its
/// parent: only the declaration goes, the code after it is checked (cut
/// there, `watch::poll`'s imports of its stages hid two cycles). An inline
/// one at the end goes whole.
#[test]
fn unit_tests_go_and_the_code_around_them_stays() {
    let file = "use a;\n#[cfg(test)]\nmod tests;\nuse b;\n// c\n#[cfg(test)]\nmod tests {\n    use d;\n}\n";
    assert_eq!(code(file), "use a;\n\nuse b;");
    let inline = "use a;\n#[cfg(test)]\n#[allow(x)]\nmod tests {\n    use d;\n}\n";
    assert_eq!(code(inline), "use a;");
}

#[test]
fn paths_resolve_as_the_compiler_does() {
    // `super::` in a file of a folder is the folder's module.
    assert_eq!(
        paths(
            "pagination::guard",
            false,
            true,
            "use super::page::{Page, X};"
        ),
        ["pagination::page::"]
    );
    assert_eq!(
        paths("error", true, true, "use self::api::X;"),
        ["error::api::X"]
    );
    assert_eq!(paths("a::b", false, true, "x(crate::c::D)"), ["c::D"]);
    assert_eq!(
        paths("error", true, true, "mod api;\npub use api::{X, Y};"),
        ["error::api::"]
    );
}
