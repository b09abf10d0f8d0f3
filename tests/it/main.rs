//! Integration tests of aml-baseline, end to end: the front ends on real
//! and hand-written files, rules, reports and formats, the command line.
//! One test binary; `common` holds the helpers every module shares.

#[macro_use]
mod common;

/// The fuzz targets' bodies (`fuzz/src/lib.rs`), run as plain tests by
/// `fuzz_smoke` and `proptest_expr`.
#[path = "../../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod fuzz_targets;

mod arm_template;
mod baseline;
mod bicep_corpus;
mod bicep_frontend;
mod bicep_registry_cache;
mod bicep_snapshot;
mod cli;
#[cfg(feature = "collect")]
mod collect;
mod corpus_arm;
mod drift;
mod extension_scope;
mod fix;
mod fix_yaml;
mod formats;
mod front_end_gaps;
mod fuzz_smoke;
mod html_browser;
mod install;
mod issue19;
mod kinds;
mod live;
mod lsp;
mod native_rules;
mod oscal;
mod pass_evidence;
mod policy_as_code;
mod proptest_expr;
mod reliability;
mod report_schema;
mod rule_account;
mod scan_boundary;
mod scan_what_was_asked;
mod secrets;
mod shipped_initiatives;
mod snapshots;
mod terraform_corpus;
mod trust;
mod unknowns;
#[cfg(feature = "collect")]
mod verify_online;
mod wild_corpus;
mod workflow;
mod yaml_corpus;
mod yaml_shapes;
