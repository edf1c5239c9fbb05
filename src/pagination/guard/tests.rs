//! The traversal guard, driven without a server.
#![allow(clippy::arithmetic_side_effects)]

use super::*;

#[derive(Debug, Clone, PartialEq)]
struct Item(&'static str);

impl super::super::page::sealed::Sealed for Item {}

impl ListItem for Item {
    fn item_id(&self) -> &str {
        self.0
    }
}

fn cursor(s: &str) -> Cursor {
    Cursor::new(s).unwrap()
}

/// The page the server sends for the pending request, as `Page::new` builds it.
fn page(t: &Traversal, has_more: bool, ids: &[&'static str]) -> Page<Item> {
    let at = t.pending.clone().expect("a request is pending");
    Page::new(ids.iter().map(|id| Item(id)).collect(), has_more, &at, None).unwrap()
}

fn kind(result: Result<(), Error>) -> PaginationErrorKind {
    match result {
        Err(Error::Pagination(e)) => e.kind().clone(),
        other => panic!("a pagination error expected, got {other:?}"),
    }
}

#[test]
fn forward_cursors_follow_the_last_item_and_the_checkpoint_advances() {
    let mut t = Traversal::new(Position::Start, None);
    assert_eq!(t.begin().unwrap(), Some(Position::Start));
    let mut p = page(&t, true, &["c", "b"]);
    t.accept(&mut p).unwrap();
    assert_eq!(p.items, [Item("c"), Item("b")]);
    assert_eq!(t.checkpoint(), Some(&cursor("b")));
    assert_eq!(t.begin().unwrap(), Some(Position::After(cursor("b"))));
    let mut p = page(&t, false, &["a"]);
    t.accept(&mut p).unwrap();
    assert_eq!((t.checkpoint(), t.received()), (Some(&cursor("a")), 2));
    assert_eq!(t.begin().unwrap(), None, "no request after has_more: false");
}

#[test]
fn backward_pages_are_reversed_and_cursors_follow_the_newest() {
    let mut t = Traversal::new(Position::Before(cursor("a")), None);
    assert_eq!(t.checkpoint(), Some(&cursor("a")));
    assert_eq!(t.begin().unwrap(), Some(Position::Before(cursor("a"))));
    // Newest first from the server: the runs right before the cursor.
    let mut p = page(&t, true, &["c", "b"]);
    t.accept(&mut p).unwrap();
    assert_eq!(p.items, [Item("b"), Item("c")], "oldest first");
    assert_eq!(t.checkpoint(), Some(&cursor("c")));
    assert_eq!(t.begin().unwrap(), Some(Position::Before(cursor("c"))));
    let mut p = page(&t, false, &["e", "d"]);
    t.accept(&mut p).unwrap();
    assert_eq!(p.items, [Item("d"), Item("e")]);
    assert_eq!(t.checkpoint(), Some(&cursor("e")));
    assert_eq!(t.begin().unwrap(), None);
}

#[test]
fn an_empty_last_page_keeps_the_checkpoint() {
    let mut t = Traversal::new(Position::After(cursor("x")), None);
    t.begin().unwrap();
    let mut p = page(&t, false, &[]);
    t.accept(&mut p).unwrap();
    assert_eq!((t.checkpoint(), t.received()), (Some(&cursor("x")), 1));
}

#[test]
fn has_more_without_items_names_the_page_and_cursor() {
    let mut t = Traversal::new(Position::Start, None);
    t.begin().unwrap();
    t.accept(&mut page(&t, true, &["b"])).unwrap();
    t.begin().unwrap();
    let err = t.accept(&mut page(&t, true, &[])).unwrap_err();
    let Error::Pagination(e) = err else { panic!() };
    assert_eq!(
        (e.kind(), e.page(), e.cursor()),
        (&PaginationErrorKind::EmptyPageWithMore, 2, Some("b"))
    );
    assert_eq!(t.begin().unwrap(), None, "the traversal is over");
}

#[test]
fn a_cursor_seen_before_is_a_cycle_of_any_length() {
    let mut t = Traversal::new(Position::Start, None);
    for (ids, ok) in [(["a", "b"], true), (["c", "d"], true), (["e", "b"], false)] {
        t.begin().unwrap();
        let result = t.accept(&mut page(&t, true, &ids));
        if ok {
            result.unwrap();
        } else {
            assert_eq!(
                kind(result),
                PaginationErrorKind::CursorCycle { cursor: "b".into() }
            );
        }
    }
    assert_eq!(t.begin().unwrap(), None);
    // The starting cursor counts as seen.
    let mut t = Traversal::new(Position::After(cursor("s")), None);
    t.begin().unwrap();
    assert_eq!(
        kind(t.accept(&mut page(&t, true, &["s"]))),
        PaginationErrorKind::CursorCycle { cursor: "s".into() }
    );
}

#[test]
fn every_id_must_be_a_cursor_boundary_or_not() {
    for (ids, has_more) in [(["a", "b/c"], false), (["a/b", "c"], true)] {
        let mut t = Traversal::new(Position::Start, None);
        t.begin().unwrap();
        let at = t.pending.clone().unwrap();
        let mut p = Page::new(ids.map(Item).to_vec(), has_more, &at, None).unwrap();
        assert!(
            matches!(
                kind(t.accept(&mut p)),
                PaginationErrorKind::InvalidRunId { .. }
            ),
            "{ids:?}"
        );
    }
    // The boundary id is checked once, when the page is made.
    let at = Position::Start;
    let err = Page::new(vec![Item("a"), Item("b?")], true, &at, None).unwrap_err();
    assert!(matches!(
        err.kind(),
        PaginationErrorKind::InvalidRunId { .. }
    ));
}

#[test]
fn a_cursor_item_repeated_at_the_top_is_dropped_and_counted() {
    let mut t = Traversal::new(Position::Start, None);
    t.begin().unwrap();
    t.accept(&mut page(&t, true, &["c", "b"])).unwrap();
    assert_eq!(t.repeats_dropped(), 0);
    t.begin().unwrap();
    let mut p = page(&t, false, &["b", "a"]);
    t.accept(&mut p).unwrap();
    assert_eq!((p.items, t.repeats_dropped()), (vec![Item("a")], 1));
    assert_eq!(t.checkpoint(), Some(&cursor("a")));
}

#[test]
fn the_page_cap_stops_before_the_request_with_its_own_error() {
    let mut t = Traversal::new(Position::Start, Some(2));
    t.begin().unwrap();
    t.accept(&mut page(&t, true, &["a"])).unwrap();
    t.begin().unwrap();
    t.accept(&mut page(&t, true, &["b"])).unwrap();
    let e = t.begin().unwrap_err();
    assert_eq!(
        (e.kind(), e.page(), e.cursor()),
        (
            &PaginationErrorKind::MaxPagesReached { max_pages: 2 },
            3,
            Some("b")
        )
    );
    // Reached exactly with nothing left: no error.
    let mut t = Traversal::new(Position::Start, Some(1));
    t.begin().unwrap();
    t.accept(&mut page(&t, false, &["a"])).unwrap();
    assert_eq!(t.begin().unwrap(), None);
}

#[test]
fn fail_numbers_a_page_error_and_ends_the_traversal() {
    let mut t = Traversal::new(Position::Start, None);
    t.begin().unwrap();
    t.accept(&mut page(&t, true, &["a"])).unwrap();
    t.begin().unwrap();
    let own = PaginationError::new(1, None, PaginationErrorKind::EmptyPageWithMore);
    let Error::Pagination(e) = t.fail(own.into()) else {
        panic!()
    };
    assert_eq!(e.page(), 2);
    assert_eq!(t.begin().unwrap(), None);
    assert_eq!(
        t.checkpoint(),
        Some(&cursor("a")),
        "the checkpoint stays valid"
    );
}

#[test]
fn a_poll_s_traversal_checks_the_boundary_id_only_and_says_where_it_is() {
    let mut t = Traversal::boundaries_only(Position::Start);
    assert_eq!(t.next_position(), Some(&Position::Start));
    assert_eq!(t.pending_position(), None);
    t.begin().unwrap();
    assert_eq!(t.next_position(), None);
    assert_eq!(t.pending_position(), Some(&Position::Start));
    // A run id that cannot be a cursor, not at the boundary: accepted.
    let at = t.pending.clone().unwrap();
    let mut p = Page::new(vec![Item("a/b"), Item("c")], true, &at, None).unwrap();
    t.accept(&mut p).unwrap();
    assert_eq!(t.pending_position(), None);
    assert_eq!(t.next_position(), Some(&Position::After(cursor("c"))));
    // The other guards hold: the same cursor again is a cycle.
    t.begin().unwrap();
    assert_eq!(
        kind(t.accept(&mut page(&t, true, &["d", "c"]))),
        PaginationErrorKind::CursorCycle { cursor: "c".into() }
    );
    // A stream's traversal checks every id.
    let mut t = Traversal::new(Position::Start, None);
    t.begin().unwrap();
    let at = t.pending.clone().unwrap();
    let mut p = Page::new(vec![Item("a/b"), Item("c")], true, &at, None).unwrap();
    assert!(matches!(
        kind(t.accept(&mut p)),
        PaginationErrorKind::InvalidRunId { .. }
    ));
}
