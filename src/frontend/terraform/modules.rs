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
                Some(ti) if inside && ti != mi => {
                    called.insert(ti);
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
    called
}
