//! Module calls: local sources (`./modules/x`, `../../`) are followed when the
//! folder was scanned and stays inside the scanned root; registry and git
//! sources are not fetched (one warning each; what depends on them is unknown).

use super::eval::{CallTarget, Module};
use crate::diagnostics::{Diagnostic, Location};
use crate::frontend::arm::template::normalize_path;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Resolves every module call's target; returns the modules called by another.
pub fn resolve_calls(
    modules: &mut [Module<'_>],
    dirs: &[PathBuf],
    root: Option<&Path>,
    diags: &mut Vec<Diagnostic>,
) -> HashSet<usize> {
    let mut called = HashSet::new();
    let root = root.map(normalize_path);
    for (mi, module) in modules.iter_mut().enumerate() {
        let dir = module.dir.clone();
        for call in module.calls.iter_mut() {
            let span = super::hcl::span_of(call.file, call.block);
            let Some(source) = Module::call_source(call) else {
                call.target = CallTarget::NotFollowed("<not a literal>".into());
                continue;
            };
            let local = source.starts_with("./")
                || source.starts_with("../")
                || source == "."
                || source == "..";
            if !local {
                diags.push(Diagnostic::warning(
                    "terraform-module-not-fetched",
                    format!("module `{}` has source `{source}`, which is not fetched; what depends on its outputs is unknown", call.name),
                    Location::Span(span),
                ));
                call.target = CallTarget::NotFollowed(source);
                continue;
            }
            let target = normalize_path(&dir.join(&source));
            let inside = root.as_ref().is_none_or(|r| target.starts_with(r));
            match dirs.iter().position(|d| *d == target) {
                Some(ti) if inside && ti == mi => {
                    diags.push(Diagnostic::warning(
                        "terraform-module-cycle",
                        format!("module `{}`: the source `{source}` is the calling module's own folder (a module cycle); it is not followed", call.name),
                        Location::Span(span),
                    ));
                    call.target = CallTarget::NotFollowed(source);
                }
                Some(ti) if inside => {
                    call.target = CallTarget::Local(ti);
                }
                _ => {
                    diags.push(Diagnostic::warning(
                        "terraform-module-not-fetched",
                        format!("module `{}`: the folder `{source}` is not among the scanned files (or lies outside the scanned root); what depends on it is unknown", call.name),
                        Location::Span(span),
                    ));
                    call.target = CallTarget::NotFollowed(source);
                }
            }
        }
    }
    break_cycles(modules, diags);
    for module in modules.iter() {
        for call in &module.calls {
            if let CallTarget::Local(ti) = call.target {
                called.insert(ti);
            }
        }
    }
    called
}

/// Finds module calls that close a cycle (`a` calls `b`, which calls `a`)
/// and stops following them, with a warning: the first module of a cycle
/// (in folder order) stays a root module and the call back to it is cut.
fn break_cycles(modules: &mut [Module<'_>], diags: &mut Vec<Diagnostic>) {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnPath,
        Done,
    }
    let mut mark = vec![Mark::New; modules.len()];
    for start in 0..modules.len() {
        if mark[start] != Mark::New {
            continue;
        }
        // Iterative depth-first search: (module, next call to look at).
        let mut stack = vec![(start, 0usize)];
        mark[start] = Mark::OnPath;
        while let Some(&mut (mi, ref mut next)) = stack.last_mut() {
            let Some(call) = modules[mi].calls.get(*next) else {
                mark[mi] = Mark::Done;
                stack.pop();
                continue;
            };
            *next += 1;
            let CallTarget::Local(ti) = call.target else {
                continue;
            };
            match mark[ti] {
                Mark::New => {
                    mark[ti] = Mark::OnPath;
                    stack.push((ti, 0));
                }
                Mark::OnPath => {
                    let call = &mut modules[mi].calls[*next - 1];
                    let source = Module::call_source(call).unwrap_or_default();
                    diags.push(Diagnostic::warning(
                        "terraform-module-cycle",
                        format!("module `{}`: the source `{source}` calls back into a module that calls this one (a module cycle); it is not followed", call.name),
                        Location::Span(super::hcl::span_of(call.file, call.block)),
                    ));
                    call.target = CallTarget::NotFollowed(source);
                }
                Mark::Done => {}
            }
        }
    }
}
