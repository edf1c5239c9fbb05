//! The shape of the watch crate, checked on every run as the client's
//! tests/it/architecture checks the client (the same checks, from the
//! client's tests/it/architecture/shape.rs): no import cycle between the
//! crate's modules (a file's `crate::` and `super::` paths), nor between its
//! top-level folders (an arrow from `poll/` into `store/` and one back is a
//! circle, whatever files they land on); no import through the crate root's
//! re-exports from inside the crate; and no source file over the size that
//! asks to be split. Unit tests are not part of the graph.

use std::collections::{BTreeMap, BTreeSet};

use self::shape::{cycles, folders};

#[path = "../../../tests/it/architecture/shape.rs"]
pub(crate) mod shape;

const SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
const MAX_LINES: usize = 420;

/// The import graph of the watch's modules.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    shape::graph(SRC, &[])
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    shape::assert_no_module_cycle(&graph(), 20);
}

#[test]
fn no_folder_imports_one_that_imports_it_back() {
    let graph = graph();
    let folders = folders(&graph);
    assert!(folders.contains_key("poll") && folders.contains_key("store"));
    shape::assert_no_folder_cycle(&graph);
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
    // Arrows between files of two folders, none back to the file it came
    // from: a circle between the folders.
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
}

#[test]
fn no_source_file_is_past_the_size_that_asks_to_be_split() {
    shape::assert_no_long_file(SRC, MAX_LINES);
}
