//! The shape of the house, checked on every run: no import cycle between the
//! crate's modules (a file's `crate::` and `super::` paths, the generated
//! code included), nor between its top-level folders (an arrow from
//! `error/` into `transport/` and one back is a circle, whatever files they
//! land on); no import through the crate root's re-exports from inside the
//! crate; the generated client held by the transport alone; and no source
//! file over the size that asks to be split. Unit tests (a `mod tests` at a
//! file's end, or a `tests.rs` beside it) are not part of the graph.

use std::collections::BTreeMap;

use self::shape::{code, cycles, folders};

pub(crate) mod shape;

const SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
const GENERATED: &str = include_str!(concat!(env!("OUT_DIR"), "/generated.rs"));
const MAX_LINES: usize = 420;

/// Every source file's module path (`""` for the root) and text.
fn modules() -> BTreeMap<String, String> {
    shape::modules(SRC)
}

/// The import graph, the generated code included in the transport's.
fn graph() -> BTreeMap<String, std::collections::BTreeSet<String>> {
    shape::graph(SRC, &[("transport::generated", GENERATED)])
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    shape::assert_no_module_cycle(&graph(), 20);
}

#[test]
fn no_folder_imports_one_that_imports_it_back() {
    let graph = graph();
    let folders = folders(&graph);
    assert!(folders.contains_key("transport") && folders.contains_key("error"));
    shape::assert_no_folder_cycle(&graph);
}

#[test]
fn only_the_transport_holds_the_generated_client() {
    let graph = graph();
    // What the generated client carries per call is a leaf of the
    // transport: it reaches back to neither the generated code nor hooks.
    let record = &graph["transport::record"];
    assert!(
        !record.contains("transport::generated") && !record.contains("transport::hooks"),
        "the call record must not reach back to the generated client: {record:?}"
    );
    assert!(
        graph["transport::generated"].contains("transport::record"),
        "{:?}",
        graph["transport::generated"]
    );
    // Outside the transport, nobody names the generated client or builds one.
    let holders: Vec<String> = modules()
        .iter()
        .filter(|(m, _)| !m.starts_with("transport"))
        .filter(|(_, text)| {
            let code = code(text);
            code.contains("generated::Client") || code.contains("new_with_client")
        })
        .map(|(m, _)| m.clone())
        .collect();
    assert!(
        holders.is_empty(),
        "the generated client held outside the transport: {holders:?}"
    );
}

#[test]
fn the_checker_finds_a_cycle_when_there_is_one() {
    let mut graph = graph();
    graph
        .get_mut("ids")
        .unwrap()
        .insert("collections::request".to_owned());
    let cycles = cycles(&graph);
    assert!(
        cycles
            .iter()
            .any(|c| c.contains("ids") && c.contains("collections::request")),
        "{cycles:?}"
    );
    // Two files that never import each other, in folders that do: a circle
    // between the folders.
    let mut graph = self::graph();
    graph
        .get_mut("error::api")
        .unwrap()
        .insert("transport::headers".to_owned());
    let cycles = self::cycles(&folders(&graph));
    assert!(
        cycles
            .iter()
            .any(|c| c.contains("error") && c.contains("transport")),
        "{cycles:?}"
    );
}

#[test]
fn no_source_file_is_past_the_size_that_asks_to_be_split() {
    shape::assert_no_long_file(SRC, MAX_LINES);
}
