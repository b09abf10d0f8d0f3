//! Fixes in ARM templates and parameter files (JSON with comments): values
//! replaced and members inserted at the byte ranges of the positioned JSON
//! tree, so that everything else in the file stays as it was.

use crate::edit::TextEdit;
use crate::{indent_at, line_end, Context, Done, OwnedSetting, Pending, Syntax};
use aml_model::json::{Node, NodeKind};
use aml_model::model::Resource;
use aml_model::source::FileId;

/// How deep parameter and variable references are followed.
const MAX_HOPS: usize = 8;

/// Writes `settings` into the resource's object in its template.
pub(crate) fn fix(cx: &mut Context, resource: &Resource, settings: &[&OwnedSetting]) -> Done {
    let file = resource.span.file;
    let Some(root) = cx.json(file) else {
        return Done::manual(format!("{} is not valid JSON any more", cx.display(file)));
    };
    let Some(node) = find(&root, resource.span.start, resource.span.end).cloned() else {
        return Done::manual(format!(
            "the resource's object was not found in {}",
            cx.display(file)
        ));
    };
    let mut done = Done::default();
    let at = Place {
        file,
        template: file,
        node,
        via: None,
    };
    walk(cx, resource, &root, at, Pending::of(settings), &mut done, 0);
    done
}

/// Where the walk is: a node of some file, and the template whose
/// parameters and variables expressions in it refer to.
#[derive(Clone)]
struct Place {
    file: FileId,
    template: FileId,
    node: Node,
    /// How the walk got here (`the default of parameter \`x\``), when not directly.
    via: Option<String>,
}

fn walk(
    cx: &mut Context,
    resource: &Resource,
    root: &Node,
    at: Place,
    pending: Vec<Pending>,
    done: &mut Done,
    hops: usize,
) {
    if let NodeKind::String(s) = &at.node.kind {
        if s.starts_with('[') && !s.starts_with("[[") {
            match resolve(cx, resource, root, &at, s, done, hops) {
                Ok(next) => walk(cx, resource, root, next, pending, done, hops + 1),
                Err(why) => done.manual.extend(
                    pending
                        .iter()
                        .map(|p| format!("`{}` comes from `{s}`, {why}; set it by hand", p.path)),
                ),
            }
            return;
        }
    }
    // A value to replace: every pending path ends here.
    if pending.iter().all(|p| p.segs.is_empty()) {
        let Some(p) = pending.first() else { return };
        let owned = cx.text(at.file);
        let text: &str = &owned;
        let new = serde_json::to_string(&p.value).unwrap_or_default();
        let old = &text[at.node.start as usize..at.node.end as usize];
        done.edits.push(TextEdit::replace(
            at.file,
            at.node.start as usize,
            at.node.end as usize,
            new.clone(),
        ));
        done.messages.push(format!(
            "{}: `{}` {old} → {new}{}",
            cx.at(at.file, at.node.start as usize),
            p.path,
            at.via
                .as_deref()
                .map(|v| format!(" (in {v})"))
                .unwrap_or_default()
        ));
        return;
    }
    let NodeKind::Object(members) = &at.node.kind else {
        done.manual.extend(pending.iter().map(|p| {
            format!(
                "`{}`: {} holds a {} where an object was expected",
                p.path,
                cx.at(at.file, at.node.start as usize),
                at.node.kind_name()
            )
        }));
        return;
    };
    let mut missing = Vec::new();
    for (key, group) in Pending::group(pending) {
        // Of a key written twice, the copy Azure reads: the last.
        match members
            .iter()
            .rev()
            .find(|m| m.key == key)
            .or_else(|| members.iter().find(|m| m.key.eq_ignore_ascii_case(&key)))
        {
            Some(m) => {
                let next = Place {
                    node: m.value.clone(),
                    ..at.clone()
                };
                walk(cx, resource, root, next, group, done, hops);
            }
            None => missing.push((key, group)),
        }
    }
    if !missing.is_empty() {
        insert(cx, &at, &missing, done);
    }
}

/// Follows `[parameters('x')]` to the parameter file's value or the
/// parameter's default, and `[variables('x')]` to the variable.
fn resolve(
    cx: &mut Context,
    resource: &Resource,
    _root: &Node,
    at: &Place,
    expr: &str,
    done: &mut Done,
    hops: usize,
) -> Result<Place, String> {
    if hops >= MAX_HOPS {
        return Err("through too many parameters and variables".into());
    }
    let Some((kind, name)) = simple_reference(expr) else {
        return Err("an expression `fix` does not rewrite".into());
    };
    let template = at.template;
    let Some(troot) = cx.json(template) else {
        return Err("a template that is not valid JSON".into());
    };
    let display = cx.display(template).to_string();
    let shared = shared_by(cx, resource, template, &format!("{kind}('{name}')"));
    if kind == "variables" {
        let node = troot
            .get("variables")
            .and_then(|v| v.get(name))
            .ok_or_else(|| format!("a variable `{name}` not declared in {display}"))?;
        done.messages.push(format!(
            "fixed where the value is decided: variable `{name}` in {display}{shared}"
        ));
        return Ok(Place {
            file: template,
            template,
            node: node.clone(),
            via: Some(format!("variable `{name}`")),
        });
    }
    let decl = troot
        .get("parameters")
        .and_then(|v| v.get(name))
        .ok_or_else(|| format!("a parameter `{name}` not declared in {display}"))?
        .clone();
    // The parameter file's value wins over the default.
    if let Some(pf) = cx.parameter_files.get(&template).copied() {
        let pdisplay = cx.display(pf).to_string();
        let proot = cx.json(pf);
        if let Some(v) = proot
            .as_deref()
            .and_then(|r| r.get("parameters"))
            .and_then(|p| p.get(name))
        {
            let Some(value) = v.get("value") else {
                return Err(format!(
                    "parameter `{name}` is set in {pdisplay} by a Key Vault reference"
                ));
            };
            let value = value.clone();
            done.messages.push(format!(
                "fixed where the value is decided: parameter `{name}` in {pdisplay}{shared}"
            ));
            return Ok(Place {
                file: pf,
                template,
                node: value,
                via: Some(format!("parameter file {pdisplay}")),
            });
        }
    }
    let Some(default) = decl.get("defaultValue") else {
        return Err(format!(
            "parameter `{name}` has no default and no parameter file sets it: pass the fixed value where you deploy"
        ));
    };
    done.messages.push(format!(
        "fixed where the value is decided: the default of parameter `{name}` in {display}{shared}"
    ));
    Ok(Place {
        file: template,
        template,
        node: default.clone(),
        via: Some(format!("the default of parameter `{name}`")),
    })
}

/// `[parameters('x')]` or `[variables('x')]` (the whole expression).
fn simple_reference(expr: &str) -> Option<(&'static str, &str)> {
    let inner = expr.strip_prefix('[')?.strip_suffix(']')?.trim();
    for kind in ["parameters", "variables"] {
        if inner.len() > kind.len() && inner[..kind.len()].eq_ignore_ascii_case(kind) {
            let rest = inner[kind.len()..].trim_start().strip_prefix('(')?;
            let rest = rest.trim().strip_suffix(')')?.trim();
            let name = rest.strip_prefix('\'')?.strip_suffix('\'')?;
            if name.contains('\'') {
                return None;
            }
            return Some((kind, name));
        }
    }
    None
}

/// `; also used by ...` when other resources of the deployment use `needle`.
fn shared_by(cx: &mut Context, resource: &Resource, file: FileId, needle: &str) -> String {
    let using = cx.using(resource.deployment, file, needle);
    crate::also_used_by(&using, resource)
}

/// Inserts the missing members into the object at `at`.
fn insert(cx: &Context, at: &Place, missing: &[(String, Vec<Pending>)], done: &mut Done) {
    let owned = cx.text(at.file);
    let text: &str = &owned;
    let (nl, unit) = cx.style(at.file);
    let unit: &str = &unit;
    let NodeKind::Object(members) = &at.node.kind else {
        return;
    };
    let obj_start = at.node.start as usize;
    let obj_end = at.node.end as usize;
    let paths: Vec<String> = missing
        .iter()
        .flat_map(|(_, g)| g.iter().map(|p| p.path.clone()))
        .collect();
    let where_ = cx.at(at.file, obj_start);
    let via = at
        .via
        .as_deref()
        .map(|v| format!(" (in {v})"))
        .unwrap_or_default();
    match members.last() {
        None => {
            let outer = indent_at(text, obj_start).to_string();
            let inner = format!("{outer}{unit}");
            let body = render_members(missing, &inner, unit, nl).join(&format!(",{nl}{inner}"));
            done.edits.push(TextEdit::replace(
                at.file,
                obj_start,
                obj_end,
                format!("{{{nl}{inner}{body}{nl}{outer}}}"),
            ));
        }
        Some(last) => {
            let key_at = last.key_start as usize;
            let own_line =
                crate::line_start(text, key_at).is_some_and(|s| text[s..key_at].trim().is_empty());
            let value_end = last.value.end as usize;
            let after = &text[value_end..obj_end];
            let trailing_comma = after.trim_start_matches([' ', '\t']).starts_with(',');
            let eol = line_end(text, value_end);
            let closes_on_line = eol >= obj_end;
            if own_line && !closes_on_line {
                let indent = indent_at(text, key_at).to_string();
                let body =
                    render_members(missing, &indent, unit, nl).join(&format!(",{nl}{indent}"));
                if trailing_comma {
                    let comma = value_end + after.find(',').unwrap_or(0);
                    let eol = line_end(text, comma);
                    done.edits.push(TextEdit::insert(
                        at.file,
                        eol,
                        format!("{nl}{indent}{body},"),
                    ));
                } else {
                    // One edit: the comma after the value, what followed it on
                    // its line (a comment), then the new members.
                    let rest = &text[value_end..eol];
                    done.edits.push(TextEdit::replace(
                        at.file,
                        value_end,
                        eol,
                        format!(",{rest}{nl}{indent}{body}"),
                    ));
                }
            } else {
                // A one-line object: members on the same line.
                let body = render_members(missing, "", "", " ").join(", ");
                done.edits
                    .push(TextEdit::insert(at.file, value_end, format!(", {body}")));
            }
        }
    }
    done.messages.push(format!(
        "{where_}: added {}{via}",
        paths
            .iter()
            .map(|p| format!("`{p}`"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
}

/// JSON members.
const JSON: Syntax = Syntax {
    key: |k| serde_json::to_string(k).unwrap_or_default(),
    value: |v| serde_json::to_string(v).unwrap_or_default(),
    line_separator: ",",
};

fn render_members(
    missing: &[(String, Vec<Pending>)],
    indent: &str,
    unit: &str,
    nl: &str,
) -> Vec<String> {
    crate::render_members(&JSON, missing, indent, unit, nl)
}

/// The node with exactly this span.
fn find(node: &Node, start: u32, end: u32) -> Option<&Node> {
    // Children are in text order: at each level, the one that contains the
    // span is found by binary search.
    let mut n = node;
    for _ in 0..512 {
        if n.start == start && n.end == end {
            return Some(n);
        }
        let next = match &n.kind {
            NodeKind::Object(ms) => {
                let i = ms.partition_point(|m| m.value.end < end);
                ms.get(i).map(|m| &m.value)
            }
            NodeKind::Array(items) => {
                let i = items.partition_point(|x| x.end < end);
                items.get(i)
            }
            _ => None,
        };
        match next {
            Some(c) if c.start <= start && end <= c.end => n = c,
            _ => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::simple_reference;

    #[test]
    fn recognises_whole_parameter_and_variable_references() {
        assert_eq!(
            simple_reference("[parameters('pna')]"),
            Some(("parameters", "pna"))
        );
        assert_eq!(
            simple_reference("[ variables( 'x' ) ]"),
            Some(("variables", "x"))
        );
        assert_eq!(simple_reference("[if(parameters('a'), 'x', 'y')]"), None);
        assert_eq!(simple_reference("[parameters('a').b]"), None);
    }
}
