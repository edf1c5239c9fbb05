//! The shape of the watch crate, checked on every run as the client's
//! tests/it/architecture.rs checks the client: no import cycle between the
//! crate's modules (a file's `crate::` and `super::` paths), nor between its
//! top-level folders (an arrow from
//! `error/` into `transport/` and one back is a circle, whatever files they
//! land on); no import through the crate root's re-exports from inside the
//! crate; and no source file over the size that asks to be split. Unit tests (a `mod tests` at a
//! file's end, or a `tests.rs` beside it) are not part of the graph.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
const MAX_LINES: usize = 420;

/// Every source file's module path (`""` for the root) and text.
fn modules() -> BTreeMap<String, String> {
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
    walk(Path::new(SRC), "", &mut out);
    out
}

/// The code of a file, without comments and without its unit tests.
fn code(text: &str) -> String {
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
fn paths(module: &str, is_dir_module: bool, relative: bool, code: &str) -> Vec<String> {
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

/// The import graph: module -> the modules it names.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules();
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
        let is_dir = Path::new(SRC)
            .join(module.replace("::", "/"))
            .join("mod.rs")
            .exists();
        let found = paths(module, is_dir, true, &code(text));
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
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
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

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let graph = graph();
    assert!(
        graph.len() > 20,
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
    let cycles = cycles(&graph);
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

/// The graph with each module taken for its top-level folder (or file):
/// `transport::gate` is `transport`.
fn folders(graph: &BTreeMap<String, BTreeSet<String>>) -> BTreeMap<String, BTreeSet<String>> {
    let top = |m: &str| m.split("::").next().unwrap_or("").to_owned();
    let mut folders: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, edges) in graph {
        let from = top(module);
        let entry = folders.entry(from.clone()).or_default();
        entry.extend(edges.iter().map(|e| top(e)).filter(|to| *to != from));
    }
    folders
}

#[test]
fn no_folder_imports_one_that_imports_it_back() {
    let folders = folders(&graph());
    assert!(folders.contains_key("poll") && folders.contains_key("store"));
    let cycles = cycles(&folders);
    assert!(
        cycles.is_empty(),
        "import cycles between top-level folders:\n{}",
        cycles.join("\n")
    );
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
fn the_checker_finds_a_cycle_when_there_is_one() {
    // An arrow back along any arrow of the graph is a cycle.
    let mut graph = graph();
    let (from, to) = graph
        .iter()
        .find_map(|(m, edges)| {
            let to = edges
                .iter()
                .find(|e| !e.is_empty() && graph.contains_key(*e))?;
            Some((m.clone(), to.clone()))
        })
        .expect("the watch's modules import one another");
    graph.get_mut(&to).unwrap().insert(from.clone());
    let cycles = cycles(&graph);
    assert!(
        cycles.iter().any(|c| c.contains(&from) && c.contains(&to)),
        "{from} -> {to}: {cycles:?}"
    );
    // Two files that never import each other, in folders that do: a circle
    // between the folders.
    let mut graph = self::graph();
    graph
        .get_mut("store::memory")
        .unwrap()
        .insert("poll::ask".to_owned());
    graph
        .get_mut("poll::ask")
        .unwrap()
        .insert("store::file".to_owned());
    let cycles = self::cycles(&folders(&graph));
    assert!(
        cycles
            .iter()
            .any(|c| c.contains("store") && c.contains("poll")),
        "{cycles:?}"
    );
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

#[test]
fn no_source_file_is_past_the_size_that_asks_to_be_split() {
    let long: Vec<String> = modules()
        .iter()
        .map(|(m, text)| (m, text.lines().count()))
        .filter(|(_, n)| *n > MAX_LINES)
        .map(|(m, n)| format!("{m}: {n} lines"))
        .collect();
    assert!(long.is_empty(), "split these: {long:?}");
}
