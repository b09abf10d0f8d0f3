//! Fixes in Bicep: values replaced and properties inserted at the byte
//! ranges of the Bicep front end's syntax tree, in the right object of a
//! resource body (through `if`, `for` and spreads), at the parameter's
//! default, in the `.bicepparam` file, or in a module's caller.

use crate::edit::TextEdit;
use crate::{indent_at, line_end, Context, Done, OwnedSetting, Pending, Syntax};
use aml_bicep::ast::{Decl, DeclKind, Expr, ExprKind, Key, Piece, Prop};
use aml_model::model::Resource;
use aml_model::source::FileId;

const MAX_HOPS: usize = 8;

pub(crate) fn fix(cx: &mut Context, resource: &Resource, settings: &[&OwnedSetting]) -> Done {
    let file = resource.span.file;
    // The tree is shared (`Rc`), not copied: the walk below borrows `cx`.
    let tree = cx.bicep(file);
    let Some(decl) = find_decl(
        &tree.decls,
        resource.span.start as usize,
        resource.span.end as usize,
    ) else {
        return Done::manual(format!(
            "the resource's declaration was not found in {}",
            cx.display(file)
        ));
    };
    let DeclKind::Resource { body, .. } = &decl.kind else {
        return Done::manual("not a resource declaration".into());
    };
    let mut done = Done::default();
    let mut body = body;
    for _ in 0..4 {
        match &body.kind {
            ExprKind::If(_, b) => body = b,
            ExprKind::For(f) => body = &f.body,
            _ => break,
        }
    }
    let at = Place {
        file,
        expr: body.clone(),
        via: None,
    };
    walk(cx, resource, at, Pending::of(settings), &mut done, 0);
    done
}

#[derive(Clone)]
struct Place {
    file: FileId,
    expr: Expr,
    via: Option<String>,
}

fn find_decl(decls: &[Decl], start: usize, end: usize) -> Option<&Decl> {
    for d in decls {
        if d.span.start == start && d.span.end == end {
            return Some(d);
        }
        if let DeclKind::Resource { body, .. } = &d.kind {
            if d.span.start <= start && end <= d.span.end {
                if let Some(found) = nested_in(body, start, end, 0) {
                    return Some(found);
                }
            }
        }
    }
    None
}

/// A nested resource declared in a body.
fn nested_in(body: &Expr, start: usize, end: usize, depth: usize) -> Option<&Decl> {
    if depth > 16 {
        return None;
    }
    let body = match &body.kind {
        ExprKind::If(_, b) => b,
        ExprKind::For(f) => &f.body,
        _ => body,
    };
    let ExprKind::Object(props) = &body.kind else {
        return None;
    };
    props.iter().find_map(|p| match p {
        Prop::Resource(d) if d.span.start == start && d.span.end == end => Some(&**d),
        Prop::Resource(d) => match &d.kind {
            DeclKind::Resource { body, .. } => nested_in(body, start, end, depth + 1),
            _ => None,
        },
        _ => None,
    })
}

fn walk(
    cx: &mut Context,
    resource: &Resource,
    at: Place,
    pending: Vec<Pending>,
    done: &mut Done,
    hops: usize,
) {
    if let ExprKind::Ident(name) = &at.expr.kind {
        match resolve(cx, resource, &at, name, done, hops) {
            Ok(Resolved::Bicep(next)) => walk(cx, resource, next, pending, done, hops + 1),
            Ok(Resolved::Json(file, node)) => {
                json_leaf(cx, file, &node, &pending, done);
            }
            Err(why) => done.manual.extend(
                pending
                    .iter()
                    .map(|p| format!("`{}` comes from `{name}`, {why}; set it by hand", p.path)),
            ),
        }
        return;
    }
    if pending.iter().all(|p| p.segs.is_empty()) {
        let Some(p) = pending.first() else { return };
        if !is_literal(&at.expr) {
            done.manual.push(format!(
                "`{}` is computed at {}; set it by hand",
                p.path,
                cx.at(at.file, at.expr.span.start)
            ));
            return;
        }
        let owned = cx.text(at.file);
        let text: &str = &owned;
        let old = &text[at.expr.span.start..at.expr.span.end];
        let new = literal(&p.value);
        done.messages.push(format!(
            "{}: `{}` {old} → {new}{}",
            cx.at(at.file, at.expr.span.start),
            p.path,
            at.via
                .as_deref()
                .map(|v| format!(" (in {v})"))
                .unwrap_or_default()
        ));
        done.edits.push(TextEdit::replace(
            at.file,
            at.expr.span.start,
            at.expr.span.end,
            new,
        ));
        return;
    }
    let ExprKind::Object(props) = &at.expr.kind else {
        done.manual.extend(pending.iter().map(|p| {
            format!(
                "`{}`: {} is not an object written in the file; set it by hand",
                p.path,
                cx.at(at.file, at.expr.span.start)
            )
        }));
        return;
    };
    let mut missing = Vec::new();
    for (key, group) in Pending::group(pending) {
        // The last pair with the key wins, as in Bicep; a key after a spread overrides it.
        let found = props.iter().rev().find_map(|p| match p {
            Prop::Pair { key: k, value, .. }
                if key_name(k).is_some_and(|n| n.eq_ignore_ascii_case(&key)) =>
            {
                Some(value)
            }
            _ => None,
        });
        let spread_after = found.is_some_and(|v| {
            props
                .iter()
                .any(|p| matches!(p, Prop::Spread(e) if e.span.start > v.span.end))
        });
        match found {
            Some(_) if spread_after => done.manual.extend(group.iter().map(|p| {
                format!(
                    "`{}` is written before a spread at {} that may override it; set it by hand",
                    p.path,
                    cx.at(at.file, at.expr.span.start)
                )
            })),
            Some(value) => {
                let next = Place {
                    expr: value.clone(),
                    ..at.clone()
                };
                walk(cx, resource, next, group, done, hops);
            }
            None => missing.push((key, group)),
        }
    }
    if !missing.is_empty() {
        insert(cx, &at, props, &missing, done);
    }
}

enum Resolved {
    Bicep(Place),
    Json(FileId, aml_model::json::Node),
}

/// A parameter (its `.bicepparam` or parameter-file value, else its
/// default) or a variable of the same file.
fn resolve(
    cx: &mut Context,
    _resource: &Resource,
    at: &Place,
    name: &str,
    done: &mut Done,
    hops: usize,
) -> Result<Resolved, String> {
    if hops >= MAX_HOPS {
        return Err("through too many parameters and variables".into());
    }
    let display = cx.display(at.file).to_string();
    let ast = cx.bicep(at.file);
    let Some(decl) = ast.decls.iter().find(|d| d.name() == Some(name)) else {
        return Err("a name `fix` does not follow".into());
    };
    let uses = cx.count(at.file, name, count_uses);
    let shared = if uses > 1 {
        format!("; `{name}` is used {uses} times in {display}: every use changes")
    } else {
        String::new()
    };
    match &decl.kind {
        DeclKind::Var { value, .. } => {
            done.messages.push(format!(
                "fixed where the value is decided: variable `{name}` in {display}{shared}"
            ));
            Ok(Resolved::Bicep(Place {
                file: at.file,
                expr: value.clone(),
                via: Some(format!("variable `{name}`")),
            }))
        }
        DeclKind::Param { default, .. } => {
            // A module's caller decides over the default.
            let callers = callers_setting(cx, at.file, name);
            if let Some((cfile, value)) = callers.into_iter().next() {
                let cdisplay = cx.display(cfile).to_string();
                done.messages.push(format!(
                    "fixed where the value is decided: parameter `{name}` passed by the module's caller in {cdisplay}{shared}"
                ));
                return Ok(Resolved::Bicep(Place {
                    file: cfile,
                    expr: value,
                    via: Some(format!("the module call in {cdisplay}")),
                }));
            }
            if let Some(pf) = cx.parameter_files.get(&at.file).copied() {
                let pdisplay = cx.display(pf).to_string();
                if pdisplay.ends_with(".bicepparam") {
                    let past = cx.bicep(pf);
                    if let Some(value) = past.decls.iter().find_map(|d| match &d.kind {
                        DeclKind::ParamAssign { name: n, value } if n == name => Some(value),
                        _ => None,
                    }) {
                        done.messages.push(format!(
                            "fixed where the value is decided: parameter `{name}` in {pdisplay}{shared}"
                        ));
                        return Ok(Resolved::Bicep(Place {
                            file: pf,
                            expr: value.clone(),
                            via: Some(pdisplay),
                        }));
                    }
                } else if let Some(v) = cx
                    .json(pf)
                    .as_deref()
                    .and_then(|r| r.get("parameters"))
                    .and_then(|p| p.get(name))
                    .and_then(|p| p.get("value"))
                    .cloned()
                {
                    done.messages.push(format!(
                        "fixed where the value is decided: parameter `{name}` in {pdisplay}{shared}"
                    ));
                    return Ok(Resolved::Json(pf, v));
                }
            }
            match default {
                Some(d) => {
                    done.messages.push(format!(
                        "fixed where the value is decided: the default of parameter `{name}` in {display}{shared}"
                    ));
                    Ok(Resolved::Bicep(Place {
                        file: at.file,
                        expr: d.clone(),
                        via: Some(format!("the default of parameter `{name}`")),
                    }))
                }
                None => Err(format!(
                    "parameter `{name}`, which has no default and no parameter file sets (a module's caller or the deployment does)"
                )),
            }
        }
        _ => Err("a name `fix` does not follow".into()),
    }
}

/// The values the Bicep files that call `file` as a local module pass for
/// its parameter `name`.
fn callers_setting(cx: &mut Context, file: FileId, name: &str) -> Vec<(FileId, Expr)> {
    let target = aml_model::source::normalize_path(&cx.sources.get(file).path);
    // Only the files that may call it (an index built once), in file order.
    let candidates: Vec<(FileId, std::path::PathBuf)> = cx
        .callers()
        .of_bicep(&target)
        .iter()
        .map(|&id| (id, cx.sources.get(id)))
        .filter(|(id, f)| *id != file && f.path.extension().is_some_and(|e| e == "bicep"))
        .map(|(id, f)| (id, f.path.clone()))
        .collect();
    let mut out = Vec::new();
    for (id, path) in candidates {
        let ast = cx.bicep(id);
        for d in &ast.decls {
            let DeclKind::Module {
                path: rel, body, ..
            } = &d.kind
            else {
                continue;
            };
            if aml_bicep::modules::local_path(&path, rel) != target {
                continue;
            }
            let mut body = body;
            for _ in 0..4 {
                match &body.kind {
                    ExprKind::If(_, b) => body = b,
                    ExprKind::For(f) => body = &f.body,
                    _ => break,
                }
            }
            let pair = |e: &Expr, key: &str| -> Option<Expr> {
                let ExprKind::Object(props) = &e.kind else {
                    return None;
                };
                props.iter().rev().find_map(|p| match p {
                    Prop::Pair { key: k, value, .. }
                        if key_name(k).is_some_and(|n| n.eq_ignore_ascii_case(key)) =>
                    {
                        Some(value.clone())
                    }
                    _ => None,
                })
            };
            if let Some(v) = pair(body, "params").and_then(|p| pair(&p, name)) {
                out.push((id, v));
            }
        }
    }
    out
}

/// A value in a JSON parameter file: replaced when every setting ends there.
fn json_leaf(
    cx: &Context,
    file: FileId,
    node: &aml_model::json::Node,
    pending: &[Pending],
    done: &mut Done,
) {
    let Some(p) = pending
        .first()
        .filter(|_| pending.iter().all(|p| p.segs.is_empty()))
    else {
        done.manual.push(format!(
            "the value is an object in {}; set it by hand",
            cx.display(file)
        ));
        return;
    };
    let new = serde_json::to_string(&p.value).unwrap_or_default();
    done.messages.push(format!(
        "{}: `{}` → {new}",
        cx.at(file, node.start as usize),
        p.path
    ));
    done.edits.push(TextEdit::replace(
        file,
        node.start as usize,
        node.end as usize,
        new,
    ));
}

fn count_uses(text: &str, name: &str) -> usize {
    let bytes = text.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    text.match_indices(name)
        .filter(|(i, _)| {
            let before = i.checked_sub(1).map(|j| bytes[j]);
            let after = bytes.get(i + name.len()).copied();
            let line_start = text[..*i].rfind('\n').map_or(0, |n| n + 1);
            let is_key = text[line_start..*i].trim().is_empty()
                && text[i + name.len()..]
                    .trim_start_matches([' ', '\t'])
                    .starts_with(':');
            !before.is_some_and(|b| is_ident(b) || b == b'.')
                && !after.is_some_and(is_ident)
                && !is_key
        })
        .count()
        .saturating_sub(1)
}

fn key_name(k: &Key) -> Option<String> {
    match k {
        Key::Name(n) => Some(n.to_string()),
        Key::Expr(e) => match &e.kind {
            ExprKind::Str(pieces) => pieces
                .iter()
                .map(|p| match p {
                    Piece::Lit(s) => Some(s.as_str()),
                    Piece::Expr(_) => None,
                })
                .collect::<Option<String>>(),
            _ => None,
        },
    }
}

fn is_literal(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Null | ExprKind::Bool(_) | ExprKind::Int(_) => true,
        ExprKind::Str(p) => p.iter().all(|p| matches!(p, Piece::Lit(_))),
        _ => false,
    }
}

/// A JSON scalar as a Bicep literal.
pub(crate) fn literal(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => format!(
            "'{}'",
            s.replace('\\', "\\\\")
                .replace('\'', "\\'")
                .replace("${", "\\${")
        ),
        other => other.to_string(),
    }
}

fn bicep_key(k: &str) -> String {
    let ok = k
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        k.to_string()
    } else {
        literal(&serde_json::Value::String(k.to_string()))
    }
}

/// Bicep members.
const BICEP: Syntax = Syntax {
    key: bicep_key,
    value: literal,
    line_separator: "",
};

fn render(missing: &[(String, Vec<Pending>)], indent: &str, unit: &str, nl: &str) -> Vec<String> {
    crate::render_members(&BICEP, missing, indent, unit, nl)
}

fn insert(
    cx: &Context,
    at: &Place,
    props: &[Prop],
    missing: &[(String, Vec<Pending>)],
    done: &mut Done,
) {
    let owned = cx.text(at.file);
    let text: &str = &owned;
    let (nl, unit) = cx.style(at.file);
    let unit: &str = &unit;
    let (start, end) = (at.expr.span.start, at.expr.span.end);
    let prop_span = |p: &Prop| match p {
        Prop::Pair { span, .. } => (span.start, span.end),
        Prop::Spread(e) => (e.span.start, e.span.end),
        Prop::Resource(d) => (d.span.start, d.span.end),
    };
    let paths: Vec<String> = missing
        .iter()
        .flat_map(|(_, g)| g.iter().map(|p| format!("`{}`", p.path)))
        .collect();
    let multi_line = text[start..end].contains('\n');
    match props.last() {
        None if multi_line || text[start..end].trim() == "{}" => {
            let outer = indent_at(text, start).to_string();
            let inner = format!("{outer}{unit}");
            let body = render(missing, &inner, unit, nl).join(&format!("{nl}{inner}"));
            done.edits.push(TextEdit::replace(
                at.file,
                start,
                end,
                format!("{{{nl}{inner}{body}{nl}{outer}}}"),
            ));
        }
        None => {
            done.manual.push(format!(
                "{}: an object `fix` cannot read; add {} by hand",
                cx.at(at.file, start),
                paths.join(", ")
            ));
            return;
        }
        Some(last) => {
            let (lstart, lend) = prop_span(last);
            let eol = line_end(text, lend);
            if multi_line && eol < end {
                let indent = indent_at(text, lstart).to_string();
                let body = render(missing, &indent, unit, nl).join(&format!("{nl}{indent}"));
                done.edits.push(TextEdit::insert(
                    at.file,
                    eol,
                    format!("{nl}{indent}{body}"),
                ));
            } else {
                let body = render(missing, "", "", " ").join(", ");
                done.edits
                    .push(TextEdit::insert(at.file, lend, format!(", {body}")));
            }
        }
    }
    done.messages.push(format!(
        "{}: added {}{}",
        cx.at(at.file, start),
        paths.join(", "),
        at.via
            .as_deref()
            .map(|v| format!(" (in {v})"))
            .unwrap_or_default()
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_bicep() {
        assert_eq!(literal(&serde_json::json!("Disabled")), "'Disabled'");
        assert_eq!(literal(&serde_json::json!("it's ${x}")), "'it\\'s \\${x}'");
        assert_eq!(literal(&serde_json::json!(false)), "false");
        assert_eq!(bicep_key("enableNodePublicIp"), "enableNodePublicIp");
        assert_eq!(bicep_key("a-b"), "'a-b'");
    }

    #[test]
    fn counts_other_uses_of_a_name() {
        assert_eq!(
            count_uses("param pna string\nx: pna\ny: pna\nz: pnax\n  pna: 1", "pna"),
            2
        );
    }
}
