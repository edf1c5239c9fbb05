//! The store's table: its name, made safe to put in SQL; created when
//! absent; and checked, when it exists, to be the table this crate makes,
//! so a table of another shape is refused with what is wrong instead of
//! failing every poll.

use crate::watch::store::error::StoreError;

/// The table's columns and their types, as `information_schema` names them.
const COLUMNS: &[(&str, &str)] = &[
    ("key", "text"),
    ("state", "text"),
    ("holder", "text"),
    ("lease_until", "timestamp with time zone"),
    ("taken_at", "timestamp with time zone"),
    ("updated_at", "timestamp with time zone"),
];

/// A table name: its schema (if given), its name, and both quoted.
#[derive(Debug, Clone)]
pub(super) struct Table {
    pub(super) schema: Option<String>,
    pub(super) name: String,
    pub(super) quoted: String,
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
        let quoted = parts
            .iter()
            .map(|p| format!("\"{p}\""))
            .collect::<Vec<_>>()
            .join(".");
        let (schema, name) = match parts.as_slice() {
            [schema, name] => (Some((*schema).to_owned()), (*name).to_owned()),
            _ => (None, table.to_owned()),
        };
        Ok(Self {
            schema,
            name,
            quoted,
        })
    }

    /// Creates the table if absent, then checks it has this crate's columns.
    pub(super) async fn prepare(&self, client: &tokio_postgres::Client) -> Result<(), StoreError> {
        client
            .batch_execute(&format!(
                "CREATE TABLE IF NOT EXISTS {} (
                    key text PRIMARY KEY,
                    state text,
                    holder text,
                    lease_until timestamptz NOT NULL DEFAULT 'epoch',
                    taken_at timestamptz,
                    updated_at timestamptz NOT NULL DEFAULT now()
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
        self.check(&found)
    }

    /// What is wrong with a table of these columns, if anything.
    fn check(&self, found: &[(String, String)]) -> Result<(), StoreError> {
        let problems: Vec<String> = COLUMNS
            .iter()
            .filter_map(
                |(column, ty)| match found.iter().find(|(name, _)| name == column) {
                    None => Some(format!("no column `{column}` ({ty})")),
                    Some((_, t)) if t != ty => Some(format!("column `{column}` is {t}, not {ty}")),
                    Some(_) => None,
                },
            )
            .collect();
        if problems.is_empty() {
            return Ok(());
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
            (t.schema, t.name, t.quoted),
            (
                None,
                "resend_watch_state".into(),
                "\"resend_watch_state\"".into()
            )
        );
        let t = Table::parse("app.watch").unwrap();
        assert_eq!(
            (t.schema, t.name, t.quoted),
            (
                Some("app".into()),
                "watch".into(),
                "\"app\".\"watch\"".into()
            )
        );
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
        assert!(table.check(&ours).is_ok());
        let mut extra = ours.clone();
        extra.push(("note".into(), "text".into()));
        assert!(table.check(&extra).is_ok(), "extra columns are left alone");
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
