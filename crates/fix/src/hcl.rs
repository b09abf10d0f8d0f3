//! Fixes in Terraform: attributes replaced and inserted at the byte ranges
//! `hcl-edit` (a format-preserving HCL parser) gives, in the resource block or
//! a nested block; a value from a variable is fixed where it is decided (a
//! `.tfvars` file, the variable's default, or the module's caller).

use crate::callers::dir_of;
use crate::edit::TextEdit;
use crate::{indent_at, line_end, line_start, Context, Done, OwnedSetting, LINE_SCAN};
use aml_model::model::Resource;
use aml_model::source::FileId;
use hcl_edit::expr::{Expression, TraversalOperator};
use hcl_edit::structure::{Block, Body, Structure};
use hcl_edit::Span as _;
use std::path::{Path, PathBuf};
use std::rc::Rc;

const MAX_HOPS: usize = 4;

pub(crate) fn fix(cx: &mut Context, resource: &Resource, settings: &[&OwnedSetting]) -> Done {
    let mut done = Done::default();
    if resource
        .symbol
        .as_deref()
        .is_some_and(|s| s.contains("azapi_"))
    {
        done.manual.extend(settings.iter().map(|s| {
            format!(
                "`{}` of an `azapi` resource: set it in the resource's `body` by hand",
                s.path
            )
        }));
        return done;
    }
    let file = resource.span.file;
    let start = resource.span.start as usize;
    // The block alone when it parses alone; else the whole file (cached).
    let local = parse_block(&cx.text(file), start, resource.span.end as usize);
    let (body, base) = match local {
        Some((body, base)) => (Rc::new(body), base),
        None => match cx.hcl(file) {
            Some(body) => (body, 0),
            None => return Done::manual(format!("{} does not parse", cx.display(file))),
        },
    };
    let at = Local { file, base };
    let Some(block) = body
        .blocks()
        .find(|b| b.has_ident("resource") && b.span().is_some_and(|s| s.start + base == start))
    else {
        return Done::manual(format!(
            "the resource block was not found in {}",
            cx.display(file)
        ));
    };
    let mut inserts: Vec<(usize, String)> = Vec::new();
    for s in settings {
        if let Some(t) = s.terraform {
            let tf = Tf {
                blocks: t.blocks,
                attribute: t.attribute,
                value: t.value,
            };
            set_in_block(cx, at, block, &tf, &mut done, &mut inserts);
            continue;
        }
        // A value the rule names no attribute for (one an assignment
        // allows): the argument the Terraform mapping copies it from.
        let rtype = block.labels.first().map(|l| l.as_str()).unwrap_or_default();
        let literal = match &s.value {
            serde_json::Value::String(_)
            | serde_json::Value::Bool(_)
            | serde_json::Value::Number(_) => Some(s.value.to_string()),
            _ => None,
        };
        match (aml_terraform::mapping::same_argument(rtype, &s.path), literal) {
            (Some(attribute), Some(value)) => {
                let tf = Tf {
                    blocks: &[],
                    attribute,
                    value: &value,
                };
                let said = done.messages.len();
                set_in_block(cx, at, block, &tf, &mut done, &mut inserts);
                for m in &mut done.messages[said..] {
                    m.push_str(&format!(" (`{}`)", s.path));
                }
            }
            _ => done.manual.push(format!(
                "`{}` has no Terraform attribute in the azurerm provider; set it by hand (or with `azapi_update_resource`)",
                s.path
            )),
        }
    }
    // Lines added at one place make one edit, in the order of the settings.
    let (nl, _) = cx.style(file);
    let mut merged: Vec<(usize, String)> = Vec::new();
    for (at, line) in inserts {
        match merged.iter_mut().find(|(a, _)| *a == at) {
            Some((_, text)) => {
                text.push_str(nl);
                text.push_str(&line);
            }
            None => merged.push((at, line)),
        }
    }
    for (at, text) in merged {
        done.edits
            .push(TextEdit::insert(file, at, format!("{nl}{text}")));
    }
    done
}

/// The resource block's text parsed alone, from the start of its first line
/// to the end of its last, and the byte of the file that text starts at:
/// a fix reads the block, so the rest of the file is not parsed again
/// (decision 0045). `None` when that text does not parse alone as a body
/// with the block at `start` (another block shares its first or last line),
/// or is too long for the line helpers to see the same lines in it as in
/// the whole file.
fn parse_block(text: &str, start: usize, end: usize) -> Option<(Body, usize)> {
    let base = line_start(text, start)?;
    let stop = line_end(text, end.min(text.len()));
    if stop < start || stop - base + 2 >= LINE_SCAN {
        return None;
    }
    let body =
        hcl_edit::parser::parse_body_spanned_decor(crate::parsing(&text[base..stop])).ok()?;
    let found = body
        .blocks()
        .any(|b| b.has_ident("resource") && b.span().is_some_and(|s| s.start + base == start));
    found.then_some((body, base))
}

/// A file and the byte of it its parsed body's offsets count from: 0 for
/// the whole file, the start of the resource block's first line when the
/// block was parsed alone ([`parse_block`]).
#[derive(Clone, Copy)]
struct Local {
    file: FileId,
    base: usize,
}

/// An attribute to set, in nested blocks: a rule's [`aml_rules::TerraformSetting`],
/// or one the Terraform mapping names.
struct Tf<'a> {
    blocks: &'a [&'a str],
    attribute: &'a str,
    value: &'a str,
}

/// Sets `tf` in `block`, descending into (or adding) its nested blocks.
fn set_in_block(
    cx: &mut Context,
    local: Local,
    block: &Block,
    tf: &Tf<'_>,
    done: &mut Done,
    inserts: &mut Vec<(usize, String)>,
) {
    let Local { file, base } = local;
    let owned = cx.text(file);
    let text: &str = &owned[base..];
    let (nl, unit) = cx.style(file);
    let mut current = block;
    for (i, name) in tf.blocks.iter().enumerate() {
        match current.body.get_blocks(name).next() {
            Some(b) => current = b,
            None => {
                // Add the missing blocks and the attribute at once.
                let unit: &str = &unit;
                let (at, indent) = insertion_point(text, current, unit);
                let at = base + at;
                let mut lines = Vec::new();
                let mut ind = indent.clone();
                for n in &tf.blocks[i..] {
                    lines.push(format!("{ind}{n} {{"));
                    ind.push_str(unit);
                }
                lines.push(format!("{ind}{} = {}", tf.attribute, tf.value));
                for _ in &tf.blocks[i..] {
                    ind.truncate(ind.len() - unit.len());
                    lines.push(format!("{ind}}}"));
                }
                inserts.push((at, lines.join(nl)));
                done.messages.push(format!(
                    "{}: added `{} {{ {} = {} }}`",
                    cx.at(file, at),
                    tf.blocks[i..].join(" { "),
                    tf.attribute,
                    tf.value
                ));
                return;
            }
        }
    }
    match current.body.get_attribute(tf.attribute) {
        Some(attr) => set_value(cx, local, &attr.value, tf.attribute, tf.value, done, 0),
        None => {
            let (at, indent) = insertion_point(text, current, &unit);
            let at = base + at;
            let width = aligned_width(text, current).unwrap_or(0);
            inserts.push((
                at,
                format!("{indent}{:<width$} = {}", tf.attribute, tf.value),
            ));
            done.messages.push(format!(
                "{}: added `{} = {}`",
                cx.at(file, at),
                tf.attribute,
                tf.value
            ));
        }
    }
}

/// Where a new line goes in a block (after its last line of content) and
/// its indentation; `unit` is the file's indentation unit.
fn insertion_point(text: &str, block: &Block, unit: &str) -> (usize, String) {
    let last = block.body.iter().last().and_then(|s| match s {
        Structure::Attribute(a) => a.span(),
        Structure::Block(b) => b.span(),
    });
    match last {
        Some(span) => (
            line_end(text, span.end),
            indent_at(text, span.start).to_string(),
        ),
        None => {
            let span = block.span().unwrap_or(0..0);
            let open = text[span.clone()]
                .find('{')
                .map_or(span.start, |i| span.start + i + 1);
            (
                line_end(text, open).min(span.end.saturating_sub(1)),
                format!("{}{unit}", indent_at(text, span.start)),
            )
        }
    }
}

/// The width keys are padded to when the block's last attributes align
/// their `=` (as `terraform fmt` does).
fn aligned_width(text: &str, block: &Block) -> Option<usize> {
    let Some(Structure::Attribute(a)) = block.body.iter().last() else {
        return None;
    };
    let span = a.span()?;
    let key_end = span.start + a.key.as_str().len();
    let eq = text[key_end..span.end].find('=')? + key_end;
    let width = eq.checked_sub(span.start)?.checked_sub(1)?;
    (width > a.key.as_str().len()).then_some(width)
}

/// Replaces a literal, or follows `var.NAME` to where it is decided.
fn set_value(
    cx: &mut Context,
    local: Local,
    expr: &Expression,
    attribute: &str,
    value: &str,
    done: &mut Done,
    hops: usize,
) {
    let Local { file, base } = local;
    let Some(span) = expr.span() else { return };
    let span = base + span.start..base + span.end;
    let literal = matches!(
        expr,
        Expression::Bool(_) | Expression::Number(_) | Expression::String(_) | Expression::Null(_)
    );
    if literal {
        let old = &cx.text(file)[span.clone()];
        done.messages.push(format!(
            "{}: `{attribute}` {old} → {value}",
            cx.at(file, span.start)
        ));
        done.edits
            .push(TextEdit::replace(file, span.start, span.end, value));
        return;
    }
    let Some(var) = variable_name(expr) else {
        done.manual.push(format!(
            "`{attribute}` is computed at {}; set it by hand",
            cx.at(file, span.start)
        ));
        return;
    };
    if hops >= MAX_HOPS {
        done.manual.push(format!(
            "`{attribute}` comes through too many variables; set it by hand"
        ));
        return;
    }
    match decided_at(cx, file, &var) {
        Some((vfile, vexpr, where_)) => {
            done.messages.push(format!(
                "fixed where the value is decided: variable `{var}` ({where_}); every use of `var.{var}` changes"
            ));
            let local = Local {
                file: vfile,
                base: 0,
            };
            set_value(cx, local, &vexpr, attribute, value, done, hops + 1);
        }
        None => done.manual.push(format!(
            "`{attribute}` comes from `var.{var}`, which no `.tfvars`, default or module caller in the files sets; set it where you run Terraform"
        )),
    }
}

fn variable_name(expr: &Expression) -> Option<String> {
    let Expression::Traversal(t) = expr else {
        return None;
    };
    let Expression::Variable(v) = &t.expr else {
        return None;
    };
    if v.as_str() != "var" || t.operators.len() != 1 {
        return None;
    }
    match &*t.operators[0] {
        TraversalOperator::GetAttr(name) => Some(name.as_str().to_string()),
        _ => None,
    }
}

/// Where `var.NAME` of the module in `file`'s folder is decided: the last
/// `.tfvars` that sets it, else its module caller's argument, else its default.
fn decided_at(cx: &mut Context, file: FileId, name: &str) -> Option<(FileId, Expression, String)> {
    let dir = dir_of(&cx.sources.get(file).path);
    let callers = cx.callers();
    let mut same_dir: Vec<(FileId, PathBuf)> = callers
        .in_dir(&dir)
        .iter()
        .map(|&id| (id, cx.sources.get(id).path.clone()))
        .collect();
    same_dir.sort_by(|a, b| a.1.cmp(&b.1));
    let file_name = |p: &Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default()
    };
    // terraform.tfvars, then *.auto.tfvars in lexical order: the last one wins.
    let mut tfvars: Vec<&(FileId, PathBuf)> = same_dir
        .iter()
        .filter(|(_, p)| file_name(p) == "terraform.tfvars")
        .collect();
    tfvars.extend(
        same_dir
            .iter()
            .filter(|(_, p)| file_name(p).ends_with(".auto.tfvars")),
    );
    for (id, p) in tfvars.iter().rev() {
        let Some(body) = cx.hcl(*id) else {
            continue;
        };
        if let Some(a) = body.get_attribute(name) {
            return Some((*id, a.value.clone(), file_name(p)));
        }
    }
    // A module caller's argument.
    let tf_files: Vec<FileId> = callers
        .of_terraform(&dir)
        .into_iter()
        .filter(|&id| {
            cx.sources
                .get(id)
                .path
                .extension()
                .is_some_and(|e| e == "tf")
        })
        .collect();
    for id in tf_files {
        let f = cx.sources.get(id);
        let Some(body) = cx.hcl(id) else {
            continue;
        };
        for m in body.get_blocks("module") {
            let Some(Expression::String(src)) = m.body.get_attribute("source").map(|a| &a.value)
            else {
                continue;
            };
            let src = src.as_str();
            if !(src.starts_with("./") || src.starts_with("../")) {
                continue;
            }
            if same_path(&dir_of(&f.path).join(src), &dir) {
                if let Some(a) = m.body.get_attribute(name) {
                    return Some((
                        id,
                        a.value.clone(),
                        format!("the module caller in {}", f.display),
                    ));
                }
            }
        }
    }
    // The variable's default.
    for (id, _) in same_dir
        .iter()
        .filter(|(_, p)| p.extension().is_some_and(|e| e == "tf"))
    {
        let Some(body) = cx.hcl(*id) else {
            continue;
        };
        let found = body
            .get_blocks("variable")
            .find(|b| b.labels.first().is_some_and(|l| l.as_str() == name));
        if let Some(b) = found {
            if let Some(d) = b.body.get_attribute("default") {
                return Some((
                    *id,
                    d.value.clone(),
                    format!("its default in {}", cx.display(*id)),
                ));
            }
        }
    }
    None
}

fn same_path(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => aml_model::source::normalize_path(a) == aml_model::source::normalize_path(b),
    }
}
