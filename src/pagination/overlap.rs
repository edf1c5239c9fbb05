//! The boundary-repeat rule: no item is yielded twice in a traversal.
//!
//! A server whose cursors include the cursor item (an off-by-one seen in
//! real APIs) repeats it at the top of the next page: that one repeat is
//! dropped and counted. Any other repeat (the cursor item further down, an
//! item of the previous page, an item twice in one page) means the pages
//! overlap in a way no rule can mend, and ends the traversal with
//! [`PaginationErrorKind::RepeatedRun`](crate::PaginationErrorKind::RepeatedRun).
//! Memory stays bounded: only the previous page's ids are remembered, as
//! 8-byte hashes.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use super::page::ListItem;

/// A fast hash of an id, eight bytes at a time: ids are short, hashed a
/// hundred times a page, and not chosen to collide (a server that wanted
/// to break a traversal could simply answer with errors).
pub(super) fn id_hash(id: &str) -> u64 {
    let bytes = id.as_bytes();
    let mut h = 0x243f_6a88_85a3_08d3_u64 ^ (bytes.len() as u64);
    for chunk in bytes.chunks(8) {
        let mut word = [0u8; 8];
        word[..chunk.len()].copy_from_slice(chunk);
        h = (h ^ u64::from_le_bytes(word))
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(29);
    }
    h ^ (h >> 32)
}

/// Hashes that are already hashes: used as they are.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A set of id hashes.
pub(super) type IdSet = HashSet<u64, BuildHasherDefault<Prehashed>>;

/// What the rule remembers between pages.
#[derive(Debug, Default)]
pub(super) struct Overlap {
    previous: IdSet,
    current: IdSet,
    dropped: u64,
}

impl Overlap {
    /// Repeated cursor items dropped so far.
    pub(super) fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Applies the rule to a page in the order it will be yielded, asked
    /// for with `cursor`: drops the cursor item repeated at the top, or
    /// returns the id of any other repeat.
    pub(super) fn check<T: ListItem>(
        &mut self,
        items: &mut Vec<T>,
        cursor: Option<&str>,
    ) -> Result<(), String> {
        if let (Some(first), Some(cursor)) = (items.first(), cursor)
            && first.item_id() == cursor
        {
            items.remove(0);
            self.dropped += 1;
        }
        let cursor = cursor.map(id_hash);
        self.current.clear();
        for item in items.iter() {
            let h = id_hash(item.item_id());
            if Some(h) == cursor || self.previous.contains(&h) || !self.current.insert(h) {
                return Err(item.item_id().to_owned());
            }
        }
        std::mem::swap(&mut self.previous, &mut self.current);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::page::sealed::Sealed;
    use super::*;

    #[derive(Debug, PartialEq)]
    struct Item(&'static str);

    impl Sealed for Item {}

    impl ListItem for Item {
        fn item_id(&self) -> &str {
            self.0
        }
    }

    fn items(ids: &[&'static str]) -> Vec<Item> {
        ids.iter().map(|id| Item(id)).collect()
    }

    #[test]
    fn the_cursor_item_at_the_top_is_dropped_and_counted() {
        let mut rule = Overlap::default();
        let mut page = items(&["c", "b"]);
        rule.check(&mut page, None).unwrap();
        let mut page = items(&["b", "a"]);
        rule.check(&mut page, Some("b")).unwrap();
        assert_eq!((page, rule.dropped()), (items(&["a"]), 1));
        // Only at the top: a page that starts elsewhere is left whole.
        let mut page = items(&["z", "y"]);
        rule.check(&mut page, Some("a")).unwrap();
        assert_eq!((page.len(), rule.dropped()), (2, 1));
    }

    #[test]
    fn any_other_repeat_is_reported() {
        type Case = (
            &'static [&'static str],
            &'static [&'static str],
            Option<&'static str>,
            &'static str,
        );
        let cases: [Case; 4] = [
            (&["c", "b"], &["a", "b"], Some("x"), "b"), // from the previous page
            (&["c", "b"], &["a", "x"], Some("x"), "x"), // the cursor, not at the top
            (&["c", "b"], &["a", "y", "a"], Some("b"), "a"), // twice in one page
            (&["c", "b"], &["b", "b"], Some("b"), "b"), // the cursor twice at the top
        ];
        for (first, second, cursor, repeated) in cases {
            let mut rule = Overlap::default();
            rule.check(&mut items(first), None).unwrap();
            assert_eq!(
                rule.check(&mut items(second), cursor),
                Err(repeated.to_owned()),
                "{second:?}"
            );
        }
        // Two pages back is forgotten: memory stays one page.
        let mut rule = Overlap::default();
        rule.check(&mut items(&["e"]), None).unwrap();
        rule.check(&mut items(&["d"]), Some("e")).unwrap();
        rule.check(&mut items(&["e"]), Some("d")).unwrap();
    }

    #[test]
    fn the_hash_spreads_ids_that_differ_anywhere() {
        let ids = [
            "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
            "a1b2c3d4-e5f6-7890-abcd-ef1234567891",
            "b1b2c3d4-e5f6-7890-abcd-ef1234567890",
            "a1b2c3d4-e5f6-7890-abcd-ef123456789",
            "",
            "a",
            "b",
            "wr_456",
        ];
        let hashes: IdSet = ids.iter().map(|id| id_hash(id)).collect();
        assert_eq!(hashes.len(), ids.len());
        assert_eq!(id_hash("wr_456"), id_hash("wr_456"));
    }
}
