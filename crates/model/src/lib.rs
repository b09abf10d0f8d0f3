//! The shared vocabulary of aml-baseline's pipeline, below every other crate:
//! values that may be unknown ([`value`]), source files and spans
//! ([`source`]), positioned JSON ([`json`]), diagnostics ([`diagnostics`]),
//! the deployment context and limits ([`context`]), the deployment model of
//! ARM resources ([`model`]), the contract between the scan and the front
//! ends ([`input`]), secret redaction ([`redact`]), which properties hold
//! secrets ([`secrets`]), XML escaping ([`xml`]) and Azure Policy's answers
//! on resources before they exist ([`restrictions`]).
//!
//! It depends on no other crate of the workspace.

pub mod context;
pub mod diagnostics;
pub mod footprint;
pub mod input;
pub mod intern;
pub mod json;
pub mod memory;
pub mod model;
pub mod pattern;
pub mod postings;
pub mod redact;
pub mod restrictions;
pub mod secrets;
pub mod source;
pub mod span_map;
pub mod value;
pub mod work;
pub mod xml;

/// The hasher of [`FastMap`] and [`FastSet`]: foldhash with a fixed seed.
pub type FastHasher = foldhash::fast::FixedState;

/// A map for tables looked up on a hot path (per expression, key, resource
/// or outcome), where SipHash cost more than the look-up: foldhash, seeded
/// the same in every run. Nothing may depend on its iteration order.
pub type FastMap<K, V> = std::collections::HashMap<K, V, FastHasher>;

/// The set kind of [`FastMap`].
pub type FastSet<K> = std::collections::HashSet<K, FastHasher>;
