//! A crate's public surface as text, one line per public item, field,
//! variant and method, held against a snapshot in the repo so a change to
//! it shows in review: the generated client's (generated_surface.rs) and
//! each crate's hand-written API (public_api.rs; the watch's tests include
//! this file).

use std::collections::BTreeMap;

/// The first lines where two listings differ, as `-old` / `+new`.
pub fn diff(old: &str, new: &str) -> String {
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

/// Holds `listing` against the snapshot at `path`: accepts it with
/// `UPDATE_SNAPSHOTS=1` (the `cargo test` arguments `rerun` say how), else
/// fails with `what` changed and the first difference.
pub fn check_snapshot(path: &str, listing: &str, what: &str, rerun: &str) {
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    if committed == listing {
        return;
    }
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(path, listing).unwrap();
        eprintln!("updated {path}");
        return;
    }
    panic!(
        "{what}; review the listing and accept it with `UPDATE_SNAPSHOTS=1 cargo test {rerun}`\n{}",
        diff(&committed, listing)
    );
}

/// The hand-written public API of the crate whose source files are
/// `modules` (module path -> text, as the architecture check reads them):
/// every `pub` item of every module but tests, under its module's path
/// (the lints forbid a `pub` item no user can reach), whatever features it
/// needs, without doc comments (a doc edit is no API change).
pub fn public_api(modules: &BTreeMap<String, String>) -> String {
    let mut api = String::new();
    for (module, source) in modules {
        if module.split("::").any(|part| part == "tests") {
            continue;
        }
        let file = syn::parse_file(source).unwrap_or_else(|e| panic!("{module}: {e}"));
        let items: Vec<syn::Item> = file
            .items
            .into_iter()
            .filter(|item| !is_test_module(item))
            .collect();
        let prefix = if module.is_empty() {
            String::new()
        } else {
            format!("{module}::")
        };
        let mut listed = String::new();
        list_items(&items, &prefix, false, &mut listed);
        for item in &items {
            if let syn::Item::Use(u) = item
                && is_pub(&u.vis)
            {
                let at = if module.is_empty() {
                    String::new()
                } else {
                    format!(" (in {module})")
                };
                listed.push_str(&format!("pub use {}{at}\n", text(&u.tree)));
            }
            if let syn::Item::Const(c) = item
                && is_pub(&c.vis)
            {
                listed.push_str(&format!("const {prefix}{}: {}\n", c.ident, text(&c.ty)));
            }
        }
        api.push_str(&listed);
    }
    api
}

/// Whether `item` is a module of unit tests (`#[cfg(test)] mod tests`).
fn is_test_module(item: &syn::Item) -> bool {
    matches!(item, syn::Item::Mod(m) if m.ident == "tests"
        || m.attrs.iter().any(|a| a.path().is_ident("cfg") && text(&a.meta).contains("test")))
}

/// Tokens as compact text: `Option<Timestamp>`, not `Option < Timestamp >`.
pub fn text(tokens: &impl quote::ToTokens) -> String {
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
pub fn doc(attrs: &[syn::Attribute]) -> String {
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

pub fn is_pub(vis: &syn::Visibility) -> bool {
    matches!(vis, syn::Visibility::Public(_))
}

/// One line per public item, field, variant and method, in source order;
/// with `docs`, each with its doc comment on the line.
pub fn list_items(items: &[syn::Item], prefix: &str, docs: bool, out: &mut String) {
    let doc = |attrs: &[syn::Attribute]| if docs { doc(attrs) } else { String::new() };
    use std::fmt::Write as _;
    for item in items {
        match item {
            syn::Item::Mod(m) if is_pub(&m.vis) => {
                if let Some((_, inner)) = &m.content {
                    list_items(inner, &format!("{prefix}{}::", m.ident), docs, out);
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
