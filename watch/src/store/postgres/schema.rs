//! The store's tables: the state table's name, made safe to put in SQL,
//! and the names of the tables of members and of turns beside it; all
//! created when absent, what older versions kept in the state table moved
//! out; and the state table checked, when it exists, to be the table this
//! crate makes, so a table of another shape is refused with what is wrong
//! instead of failing every poll.

use crate::store::error::StoreError;

/// The table's columns and their types, as `information_schema` names them.
const COLUMNS: &[(&str, &str)] = &[
    ("key", "text"),
    ("state", "text"),
    ("holder", "text"),
    ("lease_until", "timestamp with time zone"),
    ("taken_at", "timestamp with time zone"),
    ("updated_at", "timestamp with time zone"),
    ("generation", "bigint"),
];

/// The columns added since the first version of the table, and how: a
/// table of an older version gets them when it is opened (after its other
/// columns are found good).
const ADDED: &[(&str, &str)] = &[("generation", "bigint NOT NULL DEFAULT 0")];

/// What the tables beside the state table are named after its name: the
/// team watches' members, and the budgets' turns.
const MEMBERS_SUFFIX: &str = "_members";
const TURNS_SUFFIX: &str = "_turns";

/// The longest table name: PostgreSQL's 63 bytes, less the longer suffix
/// (the members').
const MAX_NAME: usize = 63 - MEMBERS_SUFFIX.len();
const _: () = assert!(TURNS_SUFFIX.len() <= MEMBERS_SUFFIX.len());

/// A table name: its schema (if given), its name, and both quoted; and the
/// tables of members and of turns beside it, quoted.
#[derive(Debug, Clone)]
pub(super) struct Table {
    pub(super) schema: Option<String>,
    pub(super) name: String,
    pub(super) quoted: String,
    pub(super) members_quoted: String,
    pub(super) turns_quoted: String,
}

impl Table {
    /// A table name: letters, digits and `_`, optionally schema-qualified,
    /// so it can be put in SQL quoted.
    pub(super) fn parse(table: &str) -> Result<Self, StoreError> {
        let part_ok = |p: &str| {
            !p.is_empty()
                && p.len() <= 63
                && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !p.starts_with(|c: char| c.is_ascii_digit())
        };
        let parts: Vec<&str> = table.split('.').collect();
        if parts.len() > 2 || !parts.iter().all(|p| part_ok(p)) {
            return Err(StoreError::new(format!(
                "table name {table:?}: use letters, digits and '_' (optionally schema.table)"
            )));
        }
        let (schema, name) = match parts.as_slice() {
            [schema, name] => (Some((*schema).to_owned()), (*name).to_owned()),
            _ => (None, table.to_owned()),
        };
        if name.len() > MAX_NAME {
            return Err(StoreError::new(format!(
                "table name {table:?}: at most {MAX_NAME} characters (its table of members, \
                 {name}{MEMBERS_SUFFIX}, is named after it)"
            )));
        }
        let quote = |name: &str| match &schema {
            Some(schema) => format!("\"{schema}\".\"{name}\""),
            None => format!("\"{name}\""),
        };
        Ok(Self {
            quoted: quote(&name),
            members_quoted: quote(&format!("{name}{MEMBERS_SUFFIX}")),
            turns_quoted: quote(&format!("{name}{TURNS_SUFFIX}")),
            schema,
            name,
        })
    }

    /// Creates the tables if absent, checks the state table has this
    /// crate's columns, and moves out what older versions kept in it.
    pub(super) async fn prepare(&self, client: &tokio_postgres::Client) -> Result<(), StoreError> {
        client
            .batch_execute(&format!(
                "CREATE TABLE IF NOT EXISTS {} (
                    key text PRIMARY KEY,
                    state text,
                    holder text,
                    lease_until timestamptz NOT NULL DEFAULT 'epoch',
                    taken_at timestamptz,
                    updated_at timestamptz NOT NULL DEFAULT now(),
                    generation bigint NOT NULL DEFAULT 0
                )",
                self.quoted
            ))
            .await?;
        let rows = client
            .query(
                "SELECT column_name::text, data_type::text FROM information_schema.columns
                 WHERE table_schema = coalesce($1, current_schema()) AND table_name = $2",
                &[&self.schema, &self.name],
            )
            .await?;
        let found: Vec<(String, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        let missing = self.check(&found)?;
        // The team watches' members, keyed by group and holder: a group's
        // rows are read by the key's index, never the whole table. The
        // rows older versions kept in the table itself (`members/...`)
        // are deleted once lapsed.
        //
        // The budgets' turns, a row per budget. Older versions kept them
        // in the table itself (`budgets/...`, never taken as a lease: no
        // holder, state or `taken_at`): they move, their next turn kept
        // (the later of two), so the replicas' spacing goes on.
        client
            .batch_execute(&format!(
                "CREATE TABLE IF NOT EXISTS {members} (
                    grp text NOT NULL,
                    holder text NOT NULL,
                    watching text NOT NULL,
                    lease_until timestamptz NOT NULL,
                    PRIMARY KEY (grp, holder)
                );
                DELETE FROM {table} WHERE key LIKE 'members/%' AND lease_until < now();
                CREATE TABLE IF NOT EXISTS {turns} (
                    key text PRIMARY KEY,
                    next_turn timestamptz NOT NULL
                );
                WITH moved AS (
                    DELETE FROM {table}
                    WHERE key LIKE 'budgets/%'
                      AND holder IS NULL AND state IS NULL AND taken_at IS NULL
                    RETURNING key, lease_until
                )
                INSERT INTO {turns} AS t (key, next_turn) SELECT key, lease_until FROM moved
                ON CONFLICT (key) DO UPDATE
                  SET next_turn = GREATEST(t.next_turn, EXCLUDED.next_turn)",
                members = self.members_quoted,
                turns = self.turns_quoted,
                table = self.quoted,
            ))
            .await?;
        for column in missing {
            let Some((_, definition)) = ADDED.iter().find(|(name, _)| *name == column) else {
                continue;
            };
            client
                .batch_execute(&format!(
                    "ALTER TABLE {} ADD COLUMN IF NOT EXISTS {column} {definition}",
                    self.quoted
                ))
                .await?;
        }
        Ok(())
    }

    /// What is wrong with a table of these columns, if anything; if
    /// nothing, the columns added since its version, to add.
    fn check(&self, found: &[(String, String)]) -> Result<Vec<&'static str>, StoreError> {
        let mut missing = Vec::new();
        let mut problems = Vec::new();
        for (column, ty) in COLUMNS {
            match found.iter().find(|(name, _)| name == column) {
                None if ADDED.iter().any(|(name, _)| name == column) => missing.push(*column),
                None => problems.push(format!("no column `{column}` ({ty})")),
                Some((_, t)) if t != ty => {
                    problems.push(format!("column `{column}` is {t}, not {ty}"))
                }
                Some(_) => {}
            }
        }
        if problems.is_empty() {
            return Ok(missing);
        }
        Err(StoreError::new(format!(
            "table {} is not a watch-state table of this crate: {}; give PostgresStore a table \
             name of its own (it creates the table)",
            self.quoted,
            problems.join(", ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_are_plain_identifiers() {
        let t = Table::parse("resend_watch_state").unwrap();
        assert_eq!(
            (t.schema, t.name, t.quoted, t.members_quoted, t.turns_quoted),
            (
                None,
                "resend_watch_state".into(),
                "\"resend_watch_state\"".into(),
                "\"resend_watch_state_members\"".into(),
                "\"resend_watch_state_turns\"".into()
            )
        );
        let t = Table::parse("app.watch").unwrap();
        assert_eq!(
            (t.schema, t.name, t.quoted, t.members_quoted, t.turns_quoted),
            (
                Some("app".into()),
                "watch".into(),
                "\"app\".\"watch\"".into(),
                "\"app\".\"watch_members\"".into(),
                "\"app\".\"watch_turns\"".into()
            )
        );
        let longest = "a".repeat(55);
        assert!(Table::parse(&longest).is_ok());
        assert!(Table::parse(&format!("{}.{longest}", "s".repeat(63))).is_ok());
        let err = Table::parse(&"a".repeat(56)).unwrap_err().to_string();
        assert!(err.contains("at most 55 characters"), "{err}");
        for bad in ["", "a;drop table x", "a\"b", "1abc", "a.b.c", "a b"] {
            assert!(Table::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_table_of_another_shape_is_refused_with_what_is_wrong() {
        let table = Table::parse("w").unwrap();
        let ours: Vec<(String, String)> = COLUMNS
            .iter()
            .map(|(c, t)| ((*c).to_owned(), (*t).to_owned()))
            .collect();
        assert_eq!(table.check(&ours).unwrap(), Vec::<&str>::new());
        let mut extra = ours.clone();
        extra.push(("note".into(), "text".into()));
        assert_eq!(
            table.check(&extra).unwrap(),
            Vec::<&str>::new(),
            "extra columns are left alone"
        );
        // A table of an older version: the lease's generation is added.
        let older: Vec<(String, String)> = ours
            .iter()
            .filter(|(c, _)| c != "generation")
            .cloned()
            .collect();
        assert_eq!(table.check(&older).unwrap(), ["generation"]);
        let mut wrong = older.clone();
        wrong.push(("generation".into(), "text".into()));
        let err = table.check(&wrong).unwrap_err().to_string();
        assert!(
            err.contains("column `generation` is text, not bigint"),
            "{err}"
        );
        let other = vec![
            ("key".to_owned(), "text".to_owned()),
            ("state".to_owned(), "integer".to_owned()),
        ];
        let err = table.check(&other).unwrap_err().to_string();
        assert!(
            err.contains("column `state` is integer, not text")
                && err.contains("no column `holder` (text)")
                && err.contains("no column `lease_until`"),
            "{err}"
        );
    }
}
