//! The generated client's public surface, held against a snapshot in the
//! repo: a spec change shows up as a diff of `tests/snapshots/generated_api.txt`
//! in the same commit. The listing is made here, from the code `build.rs`
//! wrote (so no user's build pays for it). To accept a change:
//!
//!     UPDATE_SNAPSHOTS=1 cargo test --features fake,tracing,schemars,postgres --test it generated_surface

const SNAPSHOT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/snapshots/generated_api.txt"
);
const CLIENT: &str = include_str!(concat!(env!("OUT_DIR"), "/generated.rs"));
const MOCK: &str = include_str!(concat!(env!("OUT_DIR"), "/generated_httpmock.rs"));

/// The listing: one line per public item, field, variant and method of the
/// generated client, then of its httpmock helpers.
fn listing() -> String {
    let mut api = String::new();
    let client = syn::parse_file(CLIENT).expect("the generated client parses");
    list_items(&client.items, "", &mut api);
    api.push_str("\n# httpmock helpers (feature fake)\n");
    let mock = syn::parse_file(MOCK).expect("the generated httpmock helpers parse");
    list_items(&mock.items, "mock::", &mut api);
    api
}

/// The first lines where two listings differ, as `-old` / `+new`.
fn diff(old: &str, new: &str) -> String {
    let (old, new): (Vec<&str>, Vec<&str>) = (old.lines().collect(), new.lines().collect());
    let start = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let mut out = format!("first difference at line {}:\n", start + 1);
    for line in old.iter().skip(start).take(8) {
        out.push_str(&format!("-{line}\n"));
    }
    for line in new.iter().skip(start).take(8) {
        out.push_str(&format!("+{line}\n"));
    }
    out
}

#[test]
fn the_generated_surface_matches_the_snapshot() {
    let committed = std::fs::read_to_string(SNAPSHOT).unwrap_or_default();
    let generated = listing();
    if committed == generated {
        return;
    }
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(SNAPSHOT, &generated).unwrap();
        eprintln!("updated {SNAPSHOT}");
        return;
    }
    panic!(
        "the generated client changed (the spec or progenitor did); review the listing and accept it \
         with `UPDATE_SNAPSHOTS=1 cargo test --features fake,tracing,schemars,postgres --test it generated_surface`\n{}",
        diff(&committed, &generated)
    );
}

#[test]
fn the_diff_names_the_change() {
    let d = diff("a\nb\nc\n", "a\nB\nc\n");
    assert!(
        d.contains("line 2") && d.contains("-b") && d.contains("+B"),
        "{d}"
    );
}

/// Tokens as compact text: `Option<Timestamp>`, not `Option < Timestamp >`.
fn text(tokens: &impl quote::ToTokens) -> String {
    let mut s = tokens.to_token_stream().to_string();
    for (from, to) in [
        (" :: ", "::"),
        (":: ", "::"),
        (" < ", "<"),
        ("< ", "<"),
        (" >", ">"),
        ("& ", "&"),
        (" ,", ","),
        (" (", "("),
        ("( ", "("),
        (" )", ")"),
        ("' ", "'"),
        (" : ", ": "),
        (" ->", " ->"),
        // Trailing commas, which prettyplease adds or drops with the width.
        (",>", ">"),
        (",)", ")"),
    ] {
        s = s.replace(from, to);
    }
    s
}

/// The item's doc comment on one line, if it has one.
fn doc(attrs: &[syn::Attribute]) -> String {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value().split_whitespace().collect::<Vec<_>>().join(" ")),
                _ => None,
            },
            _ => None,
        })
        .filter(|l| !l.is_empty())
        .collect();
    if lines.is_empty() {
        String::new()
    } else {
        format!("  // {}", lines.join(" "))
    }
}

fn is_pub(vis: &syn::Visibility) -> bool {
    matches!(vis, syn::Visibility::Public(_))
}

/// One line per public item, field, variant and method, in source order.
fn list_items(items: &[syn::Item], prefix: &str, out: &mut String) {
    use std::fmt::Write as _;
    for item in items {
        match item {
            syn::Item::Mod(m) if is_pub(&m.vis) => {
                if let Some((_, inner)) = &m.content {
                    list_items(inner, &format!("{prefix}{}::", m.ident), out);
                }
            }
            syn::Item::Struct(s) if is_pub(&s.vis) => {
                let _ = writeln!(
                    out,
                    "struct {prefix}{}{}{}",
                    s.ident,
                    text(&s.generics),
                    doc(&s.attrs)
                );
                for field in s.fields.iter().filter(|f| is_pub(&f.vis)) {
                    let name = field
                        .ident
                        .as_ref()
                        .map_or("0".to_owned(), ToString::to_string);
                    let _ = writeln!(out, "    {name}: {}{}", text(&field.ty), doc(&field.attrs));
                }
            }
            syn::Item::Enum(e) if is_pub(&e.vis) => {
                let _ = writeln!(out, "enum {prefix}{}{}", e.ident, doc(&e.attrs));
                for variant in &e.variants {
                    let _ = writeln!(out, "    {}{}", variant.ident, text(&variant.fields));
                }
            }
            syn::Item::Trait(t) if is_pub(&t.vis) => {
                let _ = writeln!(out, "trait {prefix}{}", t.ident);
                for method in &t.items {
                    if let syn::TraitItem::Fn(f) = method {
                        let _ = writeln!(out, "    {}", text(&f.sig));
                    }
                }
            }
            syn::Item::Impl(i) => {
                let target = text(&i.self_ty);
                if let Some((path, _)) = &i.trait_ {
                    let _ = writeln!(out, "impl {} for {prefix}{target}", text(path));
                    continue;
                }
                for method in &i.items {
                    if let syn::ImplItem::Fn(f) = method
                        && is_pub(&f.vis)
                    {
                        let sig = text(&f.sig);
                        let sig = sig.strip_prefix("fn ").unwrap_or(&sig);
                        let _ = writeln!(out, "fn {prefix}{target}::{sig}{}", doc(&f.attrs));
                    }
                }
            }
            syn::Item::Type(t) if is_pub(&t.vis) => {
                let _ = writeln!(out, "type {prefix}{} = {}", t.ident, text(&t.ty));
            }
            syn::Item::Fn(f) if is_pub(&f.vis) => {
                let _ = writeln!(out, "{prefix}{}", text(&f.sig));
            }
            _ => {}
        }
    }
}
