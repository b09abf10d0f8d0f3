//! A compact multimap from keys to positions (indices into a list), for the
//! model's indexes (decision 0050).
//!
//! The model's lookups (a deployment's resources by id, type, link...) were
//! hash maps of owned, lower-cased key strings to vectors: one string and one
//! vector per key, about 40 MB for 10,000 ARM units, more than the list they
//! index. Here a key is hashed once when the index is built and only its
//! 64-bit hash is kept; the positions of every key sit in one vector, each
//! key's in a run in ascending order. Two different keys with the same hash
//! are found while building (the key bytes are compared then) and kept
//! apart, exactly, in a small map of their own: a lookup never mixes keys.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A key: its parts, lower-cased where a part compares case-insensitively,
/// each part tagged so that no two different part lists make the same bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key(Vec<u8>);

impl Key {
    /// A key starting with a deployment number.
    pub fn deployment(deployment: u32) -> Key {
        let mut bytes = Vec::with_capacity(96);
        bytes.push(b'd');
        bytes.extend(deployment.to_le_bytes());
        Key(bytes)
    }

    /// Appends a string, compared case-insensitively (ASCII).
    pub fn lower(mut self, part: &str) -> Key {
        // Room made once, the part copied whole and lower-cased in place:
        // byte by byte, a resource id's key cost 800 instructions.
        self.0.reserve(1 + 8 + part.len());
        self.0.push(b's');
        self.0.extend_from_slice(&(part.len() as u64).to_le_bytes());
        let start = self.0.len();
        self.0.extend_from_slice(part.as_bytes());
        self.0[start..].make_ascii_lowercase();
        self
    }

    /// Appends an optional string, compared case-insensitively (ASCII).
    pub fn lower_opt(mut self, part: Option<&str>) -> Key {
        match part {
            Some(p) => self.lower(p),
            None => {
                self.0.push(b'n');
                self
            }
        }
    }
}

/// foldhash with a fixed seed: the same hash in every run, a few times
/// faster than SipHash on keys of a hundred bytes and more (resource ids).
fn fixed_hash(key: &Key) -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::with_seed(0).hash_one(&key.0)
}

/// Hashes that are already hashes.
#[derive(Debug, Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Marks, in `runs`, a hash that two different keys share.
const SHARED_HASH: (u32, u32) = (u32::MAX, 0);

/// Keys to positions; see the module's documentation.
#[derive(Debug)]
pub struct Postings {
    /// How keys are hashed ([`fixed_hash`]; tests force shared hashes).
    hash: fn(&Key) -> u64,
    /// Key hash -> (start, length) of its run in `positions`.
    runs: HashMap<u64, (u32, u32), BuildHasherDefault<Prehashed>>,
    positions: Vec<usize>,
    /// The keys whose hash another key shares, exactly.
    shared: HashMap<Key, Vec<usize>>,
}

impl Default for Postings {
    fn default() -> Self {
        Postings::build(Vec::new())
    }
}

impl Postings {
    /// The index of `entries` (a key and a position each; a position may
    /// come under several keys and a key may have several positions). Each
    /// key's positions are kept in ascending order.
    pub fn build(entries: Vec<(Key, usize)>) -> Postings {
        Postings::build_with(entries, fixed_hash)
    }

    fn build_with(entries: Vec<(Key, usize)>, hash: fn(&Key) -> u64) -> Postings {
        use rayon::prelude::*;
        // Hashed and sorted on every thread: at 100,000 resources the
        // model's eight indexes took a quarter of a second on one.
        let mut hashed: Vec<(u64, Key, usize)> = entries
            .into_par_iter()
            .map(|(k, p)| (hash(&k), k, p))
            .collect();
        // By hash and position alone: the keys are compared once each,
        // below, not at every step of the sort (many entries share a key:
        // every resource of a deployment, of a type).
        hashed.par_sort_unstable_by_key(|e| (e.0, e.2));
        // Room for every run at once (counted on every thread).
        let runs = 1 + hashed.par_windows(2).filter(|w| w[0].0 != w[1].0).count();
        let mut out = Postings {
            hash,
            runs: HashMap::with_capacity_and_hasher(runs, Default::default()),
            positions: Vec::with_capacity(hashed.len()),
            shared: HashMap::new(),
        };
        let mut rest = &hashed[..];
        while let Some(&(hash, ..)) = rest.first() {
            let run = rest.iter().take_while(|e| e.0 == hash).count();
            let (same_hash, after) = rest.split_at(run);
            rest = after;
            if same_hash.iter().all(|e| e.1 == same_hash[0].1) {
                // One key, its positions ascending: each once.
                let start = out.positions.len();
                for e in same_hash {
                    if out.positions.len() == start || out.positions.last() != Some(&e.2) {
                        out.positions.push(e.2);
                    }
                }
                let len = out.positions.len() - start;
                out.runs.insert(hash, (start as u32, len as u32));
            } else {
                out.runs.insert(hash, SHARED_HASH);
                for (_, key, position) in same_hash {
                    // Each key's positions come ascending: each once.
                    let positions = out.shared.entry(key.clone()).or_default();
                    if positions.last() != Some(position) {
                        positions.push(*position);
                    }
                }
            }
        }
        out.positions.shrink_to_fit();
        // Each key freed on the thread that is free (100,000 of them at
        // 100,000 live resources, for each of the model's indexes).
        hashed.into_par_iter().for_each(drop);
        out
    }

    /// The positions under `key`, ascending (empty when none).
    pub fn get(&self, key: &Key) -> &[usize] {
        match self.runs.get(&(self.hash)(key)) {
            None => &[],
            Some(&SHARED_HASH) => self.shared.get(key).map_or(&[][..], Vec::as_slice),
            Some(&(start, len)) => &self.positions[start as usize..(start + len) as usize],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_compare_case_insensitively_and_part_by_part() {
        let a = Key::deployment(1).lower("AB").lower("c");
        assert_eq!(a, Key::deployment(1).lower("ab").lower("C"));
        assert_ne!(a, Key::deployment(1).lower("a").lower("bc"));
        assert_ne!(a, Key::deployment(2).lower("ab").lower("c"));
        assert_ne!(
            Key::deployment(0).lower_opt(None),
            Key::deployment(0).lower_opt(Some(""))
        );
    }

    #[test]
    fn positions_come_back_ascending_per_key() {
        let k = |s: &str| Key::deployment(0).lower(s);
        let p = Postings::build(vec![(k("b"), 7), (k("a"), 3), (k("B"), 2), (k("a"), 3)]);
        assert_eq!(p.get(&k("b")), &[2, 7]);
        assert_eq!(p.get(&k("A")), &[3]);
        assert_eq!(p.get(&k("c")), &[] as &[usize]);
    }

    #[test]
    fn keys_sharing_a_hash_stay_apart() {
        let k = |s: &str| Key::deployment(0).lower(s);
        // Each key's position once, though given twice.
        let entries = vec![
            (k("x"), 4),
            (k("y"), 2),
            (k("x"), 1),
            (k("y"), 2),
            (k("x"), 4),
        ];
        // Every key hashes alike: the keys are told apart by their bytes.
        let p = Postings::build_with(entries.clone(), |_| 42);
        assert_eq!(p.get(&k("x")), &[1, 4]);
        assert_eq!(p.get(&k("y")), &[2]);
        assert_eq!(p.get(&k("z")), &[] as &[usize]);
        // One key alone under a hash keeps its run.
        let p = Postings::build_with(entries, |k| {
            k.0.len() as u64 + u64::from(k.0[k.0.len() - 1])
        });
        assert_eq!(p.get(&k("x")), &[1, 4]);
        assert_eq!(p.get(&k("y")), &[2]);
    }
}
