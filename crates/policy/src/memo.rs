//! Outcomes already computed, kept by exactly what they were computed from
//! (decision 0070).
//!
//! Evaluating a definition that looks up no related resource is a function
//! of the definition, its assignment parameters and the resource: its id,
//! type, name, API version, location and body (the request context is made
//! from these). Repositories repeat resources: one module deployed for each
//! environment, a sample copied into many folders, Bicep whose names are
//! parameters. A resource evaluated before is answered from here.
//!
//! The key is a 128-bit keyed hash of all of it: SipHash-1-3 with a 128-bit
//! output (the `siphasher` crate), its keys drawn for each process (from the
//! standard library's random hash keys), fed the exact content (object
//! members in their order, unknowns with everything they hold). Two
//! different inputs share a key by chance with probability 2^-128; making
//! them share one on purpose needs the keys, which nothing shows.
//!
//! A definition that reads the resource only through literal fields
//! ([`crate::projection`]) is also keyed by the members of the normalised
//! resource it reads (decision 0072): resources that differ only where it
//! cannot look share its outcome (a live export's workspaces, each with its
//! own id, name and GUIDs, and one of two `publicNetworkAccess` values). A
//! resource with unknown values the definition reads is keyed so too, with
//! its unknown values where they are (decision 0076): a module's resources
//! repeat the same variables in every unit.
//!
//! Bounded: at most [`MAX_KEPT`] outcomes are kept, and each kind of key
//! stops when it answers too little to pay for the hashing (under one lookup
//! in [`MIN_HIT_SHARE`] after the first [`TRIAL_LOOKUPS`], [`Trial`]): the
//! whole memo, its keys of the whole resource (a live export, where every
//! id differs), and each definition's keys by what it reads. Results are
//! the same with it or without it.

use crate::{PolicyOutcome, PolicyResource};
use serde_json::{Map, Value as J};
use siphasher::sip128::{Hasher128, SipHasher13};
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::Mutex;

/// Most outcomes kept (an entry is about a hundred bytes).
const MAX_KEPT: usize = 1 << 17;

/// Lookups made before the memo judges whether it pays.
const TRIAL_LOOKUPS: usize = 1024;

/// The memo keeps working while at least one lookup in this many is answered.
const MIN_HIT_SHARE: usize = 10;

/// A resource's or an evaluation's 128-bit key.
pub(crate) type Key = u128;

/// What [`OutcomeMemo::projected_key`] keys of a resource besides the
/// members a definition reads.
pub(crate) struct Projected<'a> {
    /// Its type.
    pub resource_type: &'a str,
    /// Whether an `Indexed` definition covers it.
    pub indexed_covers: bool,
    /// For a resource with an unknown value the definition reads, the key
    /// of its unknown values ([`OutcomeMemo::unknowns_key`]).
    pub unknowns: Option<Key>,
}

/// Which key answered a lookup.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Answer {
    /// The whole resource's ([`OutcomeMemo::evaluation_key`]).
    Exact,
    /// What the definition reads ([`OutcomeMemo::projected_key`]).
    Projected,
}

/// The outcomes, their keys' hashers, and whether the memo pays.
pub(crate) struct OutcomeMemo {
    hash_keys: (u64, u64),
    kept: Mutex<HashMap<Key, PolicyOutcome>>,
    /// Lookups answered by either key.
    any: Trial,
    /// Lookups answered by the whole resource's key (a live export's
    /// resources are never alike as a whole; they may be in what a
    /// definition reads).
    exact: Trial,
}

impl Default for OutcomeMemo {
    fn default() -> Self {
        OutcomeMemo {
            // Two values of the standard library's keyed hash, whose keys
            // come from the system's randomness.
            hash_keys: (random_u64(), random_u64()),
            kept: Mutex::default(),
            any: Trial::default(),
            exact: Trial::default(),
        }
    }
}

impl OutcomeMemo {
    /// Whether the memo is in use (it stops when it does not pay).
    pub(crate) fn in_use(&self) -> bool {
        self.any.pays()
    }

    /// Whether keys of the whole resource are in use (they stop when too
    /// few lookups are answered by them, the memo going on by what
    /// definitions read).
    pub(crate) fn exact_in_use(&self) -> bool {
        self.exact.pays() && self.in_use()
    }

    fn hasher(&self) -> SipHasher13 {
        SipHasher13::new_with_keys(self.hash_keys.0, self.hash_keys.1)
    }

    /// The key of everything an evaluation reads of `resource`.
    pub(crate) fn resource_key(&self, resource: &PolicyResource) -> Key {
        // Destructured whole: a field added later must be added here.
        let PolicyResource {
            id,
            resource_type,
            full_name,
            api_version,
            location,
            body,
        } = resource;
        let mut h = self.hasher();
        id.hash(&mut h);
        resource_type.hash(&mut h);
        full_name.hash(&mut h);
        api_version.hash(&mut h);
        location.hash(&mut h);
        body.fingerprint(&mut h);
        h.finish128().as_u128()
    }

    /// The key of evaluating definition `def` with assignment parameters
    /// `params` against the resource whose key is `resource`.
    pub(crate) fn evaluation_key(&self, resource: Key, def: usize, params: &Map<String, J>) -> Key {
        let mut h = self.hasher();
        resource.hash(&mut h);
        def.hash(&mut h);
        params_fingerprint(params, &mut h);
        h.finish128().as_u128()
    }

    /// The key of evaluating definition `def` (with assignment parameters
    /// `params`) on a resource `subject` describes, from what it can read of
    /// the resource ([`crate::projection`]): the members `reads` of its
    /// normalised `input.resource` (unknowns left out), whether an
    /// `Indexed` definition covers it, and, for a resource with an unknown
    /// value the definition reads, the key of its unknown values
    /// ([`OutcomeMemo::unknowns_key`]). Two resources that differ only where
    /// the definition cannot look (their names, ids, other settings) share
    /// this key. Marked apart from [`OutcomeMemo::evaluation_key`]'s keys.
    /// `None` when a member read nests too deep to key.
    pub(crate) fn projected_key(
        &self,
        def: usize,
        params: &Map<String, J>,
        subject: Projected<'_>,
        normalised: &regorus::Value,
        reads: &[regorus::Value],
    ) -> Option<Key> {
        let Projected {
            resource_type,
            indexed_covers,
            unknowns,
        } = subject;
        let mut h = self.hasher();
        h.write(b"projected");
        unknowns.hash(&mut h);
        def.hash(&mut h);
        params_fingerprint(params, &mut h);
        resource_type.hash(&mut h);
        indexed_covers.hash(&mut h);
        let members = normalised.as_object().ok();
        for read in reads {
            if !rvalue_fingerprint(read, &mut h, 0) {
                return None;
            }
            match members.and_then(|m| m.get(read)) {
                Some(v) => {
                    h.write_u8(1);
                    if !rvalue_fingerprint(v, &mut h, 0) {
                        return None;
                    }
                }
                None => h.write_u8(0),
            }
        }
        Some(h.finish128().as_u128())
    }

    /// The key of a resource's unknown values and of its API version: each
    /// unknown value with all it holds (its expression, its reason, the
    /// values it may take) and the path to it, keys as spelled. With the
    /// members of its normalised form a definition reads (unknowns left
    /// out), these decide the forms evaluated with each value an unknown
    /// may take (every unknown of one expression takes the same) and which
    /// unknowns the definition reads (decision 0076).
    pub(crate) fn unknowns_key(
        &self,
        body: &aml_model::value::Value,
        api_version: Option<&str>,
    ) -> Key {
        let mut h = self.hasher();
        h.write(b"unknowns");
        api_version.hash(&mut h);
        unknowns_fingerprint(body, &mut h);
        h.finish128().as_u128()
    }

    /// The outcome kept for `key`, if any, counted as one lookup (answered
    /// by the whole resource's key).
    #[cfg(test)]
    pub(crate) fn get(&self, key: Key) -> Option<PolicyOutcome> {
        let found = self.find(key);
        self.count_lookup(found.as_ref().map(|_| Answer::Exact));
        found
    }

    /// The outcome kept for `key`, if any (not counted: an evaluation that
    /// tries two keys is one lookup, [`OutcomeMemo::count_lookup`]).
    pub(crate) fn find(&self, key: Key) -> Option<PolicyOutcome> {
        self.lock().get(&key).cloned()
    }

    /// Counts one evaluation looked up and by which key it was answered,
    /// if it was. After [`TRIAL_LOOKUPS`], the memo stops when under one in
    /// [`MIN_HIT_SHARE`] is answered, and its keys of the whole resource
    /// stop when under one in [`MIN_HIT_SHARE`] is answered by them.
    pub(crate) fn count_lookup(&self, answer: Option<Answer>) {
        self.any.count(answer.is_some());
        self.exact.count(answer == Some(Answer::Exact));
    }

    /// Keeps `outcome` for `key` (while there is room).
    pub(crate) fn keep(&self, key: Key, outcome: &PolicyOutcome) {
        let mut kept = self.lock();
        if kept.len() < MAX_KEPT {
            kept.entry(key).or_insert_with(|| outcome.clone());
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, PolicyOutcome>> {
        // A panic while holding the lock leaves the map whole.
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many outcomes are kept.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    /// How many lookups were answered.
    #[cfg(test)]
    pub(crate) fn answered(&self) -> usize {
        self.any.answered.load(Relaxed)
    }

    /// Stops the memo (tests comparing outcomes with and without it).
    #[cfg(test)]
    pub(crate) fn stop(&self) {
        self.any.off.store(true, Relaxed);
    }
}

/// Whether one kind of key pays for its hashing: after [`TRIAL_LOOKUPS`]
/// lookups, under one in [`MIN_HIT_SHARE`] answered stops it (a definition
/// that reads each workspace's private endpoint connections, whose ids
/// differ, is never answered by what it reads).
#[derive(Default)]
pub(crate) struct Trial {
    lookups: AtomicUsize,
    answered: AtomicUsize,
    off: AtomicBool,
}

impl Trial {
    /// Whether the key is still worth computing.
    pub(crate) fn pays(&self) -> bool {
        !self.off.load(Relaxed)
    }

    /// Counts one lookup, answered or not.
    pub(crate) fn count(&self, answered: bool) {
        let lookups = self.lookups.fetch_add(1, Relaxed) + 1;
        let answered = if answered {
            self.answered.fetch_add(1, Relaxed) + 1
        } else {
            self.answered.load(Relaxed)
        };
        if lookups >= TRIAL_LOOKUPS && answered * MIN_HIT_SHARE < lookups {
            self.off.store(true, Relaxed);
        }
    }
}

/// A random number: the standard library's hash, with keys drawn from the
/// system's randomness for each `RandomState`, of nothing.
fn random_u64() -> u64 {
    std::collections::hash_map::RandomState::new().hash_one(())
}

/// Feeds assignment parameters to `state`: their number, then each name
/// and value in order.
fn params_fingerprint<H: Hasher>(params: &Map<String, J>, state: &mut H) {
    state.write_usize(params.len());
    for (name, value) in params {
        name.hash(state);
        json_fingerprint(value, state);
    }
}

/// Feeds a JSON value's exact content to `state`: object members in their
/// order (serde_json's own `Hash` sorts them).
fn json_fingerprint<H: Hasher>(value: &J, state: &mut H) {
    match value {
        J::Null => state.write_u8(0),
        J::Bool(b) => {
            state.write_u8(1);
            b.hash(state);
        }
        // (serde_json's `Hash` gives 1.0 and the integer with its bits alike.)
        J::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => {
                state.write_u8(2);
                u.hash(state);
            }
            (None, Some(i)) => {
                state.write_u8(3);
                i.hash(state);
            }
            (None, None) => {
                state.write_u8(4);
                n.as_f64().map(f64::to_bits).hash(state);
            }
        },
        J::String(s) => {
            state.write_u8(5);
            s.hash(state);
        }
        J::Array(items) => {
            state.write_u8(6);
            state.write_usize(items.len());
            items.iter().for_each(|v| json_fingerprint(v, state));
        }
        J::Object(members) => {
            state.write_u8(7);
            state.write_usize(members.len());
            for (name, v) in members {
                name.hash(state);
                json_fingerprint(v, state);
            }
        }
    }
}

/// Feeds a regorus value's exact content to `state`: members in the
/// object's order, numbers by their kind and digits (an integer and a float
/// of one value differ). False, with the hash left unfinished, when the
/// value nests deeper than [`MAX_DEPTH`]: such a value is not keyed.
fn rvalue_fingerprint<H: Hasher>(value: &regorus::Value, state: &mut H, depth: usize) -> bool {
    use regorus::Value as R;
    if depth > MAX_DEPTH {
        return false;
    }
    match value {
        R::Null => state.write_u8(0),
        R::Bool(b) => {
            state.write_u8(1);
            b.hash(state);
        }
        // `Debug` names the representation and prints a float exactly.
        R::Number(n) => {
            state.write_u8(2);
            format!("{n:?}").hash(state);
        }
        R::String(s) => {
            state.write_u8(3);
            s.hash(state);
        }
        R::Array(items) => {
            state.write_u8(4);
            state.write_usize(items.len());
            return items
                .iter()
                .all(|v| rvalue_fingerprint(v, state, depth + 1));
        }
        R::Set(items) => {
            state.write_u8(5);
            state.write_usize(items.len());
            return items
                .iter()
                .all(|v| rvalue_fingerprint(v, state, depth + 1));
        }
        R::Object(members) => {
            state.write_u8(6);
            state.write_usize(members.len());
            return members.iter().all(|(k, v)| {
                rvalue_fingerprint(k, state, depth + 1) && rvalue_fingerprint(v, state, depth + 1)
            });
        }
        R::Undefined => state.write_u8(7),
    }
    true
}

/// Deepest level [`rvalue_fingerprint`] hashes.
const MAX_DEPTH: usize = 64;

/// A step on the path to an unknown value.
enum Step<'v> {
    Key(&'v str),
    Index(usize),
}

/// Feeds `h` each unknown value in `value` (depth first) with the path to
/// it: the member keys as spelled and the array positions on the way.
/// (A body's depth is bounded by its front end's limits.)
fn unknowns_fingerprint<H: Hasher>(value: &aml_model::value::Value, h: &mut H) {
    use aml_model::value::Value;
    fn walk<'v, H: Hasher>(value: &'v Value, path: &mut Vec<Step<'v>>, h: &mut H) {
        match value {
            Value::Unknown(_) => {
                h.write_usize(path.len());
                for step in path.iter() {
                    match step {
                        Step::Key(k) => {
                            h.write_u8(1);
                            k.hash(h);
                        }
                        Step::Index(i) => {
                            h.write_u8(2);
                            h.write_usize(*i);
                        }
                    }
                }
                value.fingerprint(h);
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    path.push(Step::Index(i));
                    walk(item, path, h);
                    path.pop();
                }
            }
            Value::Object(members) => {
                for (key, member) in members {
                    path.push(Step::Key(key));
                    walk(member, path, h);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    walk(value, &mut Vec::new(), h);
    // The end: no unknown's path is that long.
    h.write_usize(usize::MAX);
}

#[cfg(test)]
mod tests {
    use super::*;
    use aml_model::value::{Shape, Value};
    use serde_json::json;

    fn resource_key(memo: &OutcomeMemo, fields: [&str; 5], body: &J) -> Key {
        let body = Value::from_json(body);
        let [id, resource_type, full_name, api_version, location] = fields;
        memo.resource_key(&PolicyResource {
            id,
            resource_type,
            full_name,
            api_version: Some(api_version),
            location: Some(location),
            body: &body,
        })
    }

    /// Equal content gives equal keys; a change anywhere, even the order
    /// of an object's members or an integer against the float with its
    /// bits, gives another.
    #[test]
    fn a_key_changes_with_everything_the_evaluation_reads() {
        let memo = OutcomeMemo::default();
        let fields = [
            "/s/ws",
            "Microsoft.MachineLearningServices/workspaces",
            "ws",
            "2024-10-01",
            "westeurope",
        ];
        let body = json!({"properties": {"publicNetworkAccess": "Disabled", "hbiWorkspace": true}});
        let key = resource_key(&memo, fields, &body);
        assert_eq!(key, resource_key(&memo, fields, &body.clone()));
        let mut keys = vec![key];
        for i in 0..fields.len() {
            let mut changed = fields;
            changed[i] = "other";
            keys.push(resource_key(&memo, changed, &body));
        }
        for other in [
            json!({"properties": {"publicNetworkAccess": "Enabled", "hbiWorkspace": true}}),
            json!({"properties": {"hbiWorkspace": true, "publicNetworkAccess": "Disabled"}}),
            json!({"properties": {"publicNetworkAccess": "Disabled", "hbiWorkspace": 1}}),
            json!({"properties": {"publicNetworkAccess": "Disabled"}}),
            json!({"properties": {"publicNetworkAccess": ["Disabled"], "hbiWorkspace": true}}),
        ] {
            keys.push(resource_key(&memo, fields, &other));
        }
        let params = |v: J| v.as_object().cloned().unwrap();
        keys.push(memo.evaluation_key(key, 0, &Map::new()));
        keys.push(memo.evaluation_key(key, 1, &Map::new()));
        keys.push(memo.evaluation_key(key, 0, &params(json!({"effect": "Audit"}))));
        keys.push(memo.evaluation_key(key, 0, &params(json!({"effect": "Deny"}))));
        keys.push(memo.evaluation_key(key, 0, &params(json!({"n": 1.0}))));
        keys.push(memo.evaluation_key(key, 0, &params(json!({"n": 1.0f64.to_bits()}))));
        keys.push(memo.evaluation_key(key, 0, &params(json!({"a": 1, "b": 2}))));
        keys.push(memo.evaluation_key(key, 0, &params(json!({"b": 2, "a": 1}))));
        let mut distinct = keys.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), keys.len(), "two inputs share a key");
        // Another process (another memo) draws other hash keys.
        assert_ne!(key, resource_key(&OutcomeMemo::default(), fields, &body));
    }

    /// Everything an unknown holds is in the key: its expression, its
    /// reason and each part of its shape.
    #[test]
    fn unknowns_are_keyed_by_everything_they_hold() {
        let memo = OutcomeMemo::default();
        let key_of = |v: Value| {
            let mut body = aml_model::value::Object::default();
            body.insert("name".into(), v);
            memo.resource_key(&PolicyResource {
                id: "/s/x",
                resource_type: "t",
                full_name: "x",
                api_version: None,
                location: None,
                body: &Value::Object(body),
            })
        };
        let shapes = [
            Shape::default(),
            Shape {
                present: true,
                ..Shape::default()
            },
            Shape {
                prefix: Some("/sub".into()),
                ..Shape::default()
            },
            Shape {
                resource_type: Some("a/b".into()),
                ..Shape::default()
            },
            Shape {
                identity: Some("/sub/[x]".into()),
                ..Shape::default()
            },
            Shape {
                allowed: Some(vec![Value::str("a")].into()),
                ..Shape::default()
            },
            Shape {
                allowed: Some(vec![Value::str("b")].into()),
                ..Shape::default()
            },
            Shape {
                pattern: Some(vec![aml_model::value::Fragment::Text("p".into())].into()),
                ..Shape::default()
            },
        ];
        let mut keys: Vec<Key> = shapes
            .into_iter()
            .map(|s| key_of(Value::unknown_shaped("[parameters('n')]", "no value", s)))
            .collect();
        keys.push(key_of(Value::unknown("[parameters('m')]", "no value")));
        keys.push(key_of(Value::unknown(
            "[parameters('n')]",
            "another reason",
        )));
        keys.push(key_of(Value::str("[parameters('n')]")));
        let mut distinct = keys.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), keys.len());
    }

    /// Kept outcomes are found; a memo that answers too few lookups stops,
    /// one that answers enough goes on.
    #[test]
    fn the_memo_stops_when_it_does_not_pay() {
        let rare = OutcomeMemo::default();
        rare.keep(7, &PolicyOutcome::NotApplicable);
        assert_eq!(rare.get(7), Some(PolicyOutcome::NotApplicable));
        // One lookup answered of the trial's: it stops at the trial's end.
        for k in 1..TRIAL_LOOKUPS as Key {
            assert!(rare.in_use(), "stopped after {k} lookups");
            rare.get(1000 + k);
        }
        assert!(!rare.in_use());

        let often = OutcomeMemo::default();
        often.keep(7, &PolicyOutcome::NotApplicable);
        for k in 0..2 * TRIAL_LOOKUPS as Key {
            let key = if k % 5 == 0 { 7 } else { 1000 + k };
            often.get(key);
        }
        assert!(often.in_use());
        assert_eq!(often.len(), 1);

        // Answered by what definitions read, never by the whole resource:
        // the memo goes on, its keys of the whole resource stop.
        let projected = OutcomeMemo::default();
        for k in 0..2 * TRIAL_LOOKUPS {
            assert_eq!(
                projected.exact_in_use(),
                k < TRIAL_LOOKUPS,
                "after {k} lookups"
            );
            projected.count_lookup((k % 2 == 0).then_some(Answer::Projected));
        }
        assert!(projected.in_use());
        assert!(!projected.exact_in_use());

        // One definition's keys by what it reads, never answered, stop.
        let trial = Trial::default();
        for k in 0..TRIAL_LOOKUPS {
            assert!(trial.pays(), "stopped after {k} lookups");
            trial.count(k == 0);
        }
        assert!(!trial.pays());
    }
}
