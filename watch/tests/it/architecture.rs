//! The shape of the watch crate, checked on every run as the client's
//! tests/it/architecture checks the client (the same checks, from the
//! client's tests/it/architecture/shape.rs): no import cycle between the
//! crate's modules (a file's `crate::` and `super::` paths), nor between its
//! top-level folders (an arrow from `poll/` into `store/` and one back is a
//! circle, whatever files they land on); no import through the crate root's
//! re-exports from inside the crate; no source file over the size that
//! asks to be split; and no name in either crate's code that the glossary
//! (the crate's docs) gives to the other concept. Unit tests are not part
//! of the graph.

use std::collections::{BTreeMap, BTreeSet};

use self::shape::{cycles, folders};

#[path = "../../../tests/it/architecture/shape.rs"]
pub(crate) mod shape;

const SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
const CLIENT_SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../src");
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

/// Each crate's code (comments and unit tests left out) by file, and the
/// words of its names (`in_flight`: `in`, `flight`; `FairShare`: `fair`,
/// `share`), lowercase; but Resend's error kinds' (`DailyQuotaExceeded`
/// names its quota, rightly).
fn words(src: &str) -> BTreeMap<String, BTreeSet<String>> {
    shape::modules(src)
        .into_iter()
        .map(|(module, text)| {
            let mut words = BTreeSet::new();
            let code = shape::code(&text);
            let names = code.split(|c: char| !c.is_alphanumeric() && c != '_');
            for name in names.filter(|n| !n.to_lowercase().ends_with("exceeded")) {
                let mut word = String::new();
                for c in name.chars() {
                    if c == '_' || (c.is_uppercase() && !word.is_empty()) {
                        words.insert(std::mem::take(&mut word));
                    }
                    if c != '_' {
                        word.extend(c.to_lowercase());
                    }
                }
                words.insert(word);
            }
            (module, words)
        })
        .collect()
}

#[test]
fn no_name_means_what_the_glossary_gives_another_word() {
    // The watch's runs are in flight (requests outstanding are the
    // client's); a replica's share of the leases is its fair share (a
    // quota is Resend's daily or monthly one).
    for (module, words) in words(SRC) {
        for word in ["outstanding", "quota"] {
            assert!(!words.contains(word), "watch's {module} names a {word}");
        }
    }
    // The client's requests are outstanding, never in flight (the watch's
    // word for runs); RFC 8941's list members are entries (a member is a
    // replica of a team watch's group).
    let client = words(CLIENT_SRC);
    assert!(
        client["transport::gate"].contains("outstanding"),
        "{client:?}"
    );
    for (module, words) in client {
        let module = format!("client's {module}");
        assert!(!words.contains("flight"), "{module} says in flight");
        assert!(!words.contains("member"), "{module} names a member");
    }
}
