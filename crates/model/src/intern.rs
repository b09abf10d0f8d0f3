//! [`Interner`]: one shared copy of each distinct text.
//!
//! A scan repeats few texts many times: the 125,464 results of 10,000 ARM
//! units hold 2,337 distinct messages (14 MB of text, 0.35 MB distinct), the
//! 278,878 of 10,000 Terraform units 3,374 (34 MB, 0.7 MB). Outcomes and
//! report entries hold their message through an interner, as a [`Text`].

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// A shared, immutable text behind a thin pointer: 8 bytes where an
/// `Arc<str>` takes 16 (a report entry holds nine of them: 72 bytes of
/// each of 490,000 entries at 100,000 live resources). Reads, compares,
/// hashes and prints as the text.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Text(Arc<Box<str>>);

impl Text {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Where the text is held: the same for every copy of one `Text`.
    pub fn addr(&self) -> usize {
        Arc::as_ptr(&self.0) as usize
    }
}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Text {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl std::hash::Hash for Text {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Text(Arc::new(Box::from(s)))
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Text(Arc::new(s.into_boxed_str()))
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<Text> for String {
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self.0, f)
    }
}

impl serde::Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// One copy of each distinct text, usable from several threads at once:
/// texts are spread over shards, each behind its own lock.
pub struct Interner {
    shards: [Mutex<HashSet<Text, foldhash::fast::RandomState>>; SHARDS],
}

const SHARDS: usize = 16;

impl Default for Interner {
    fn default() -> Self {
        Interner {
            shards: std::array::from_fn(|_| Mutex::default()),
        }
    }
}

impl Interner {
    /// The shared copy of `text`.
    pub fn get(&self, text: &str) -> Text {
        let shard = &self.shards[shard_of(text)];
        let mut set = shard.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = set.get(text) {
            return s.clone();
        }
        let s = Text::from(text);
        set.insert(s.clone());
        s
    }

    /// How many distinct texts it holds.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(|e| e.into_inner()).len())
            .sum()
    }

    /// True when it holds no text.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The shard of `text`, from its length and last bytes (messages differ
/// most at their ends, where the names are).
fn shard_of(text: &str) -> usize {
    let b = text.as_bytes();
    let last = b.last().copied().map_or(0, usize::from);
    let before = b.len().checked_sub(2).map_or(0, |i| usize::from(b[i]));
    (b.len() + last * 7 + before * 13) % SHARDS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_share_one_copy() {
        let interner = Interner::default();
        let a = interner.get("publicNetworkAccess is Enabled");
        let again = ["publicNetworkAccess", "is Enabled"].join(" ");
        let b = interner.get(&again);
        let c = interner.get("publicNetworkAccess is Disabled");
        assert_eq!(a.addr(), b.addr());
        assert_ne!(a.addr(), c.addr());
        assert_eq!(c.as_str(), "publicNetworkAccess is Disabled");
        assert_eq!(interner.len(), 2);
        assert_eq!(interner.get("").as_str(), "");
    }

    #[test]
    fn shared_across_threads() {
        let interner = Interner::default();
        let texts: Vec<String> = (0..200).map(|i| format!("message {}", i % 20)).collect();
        let got: Vec<Text> = std::thread::scope(|s| {
            let halves: Vec<_> = texts
                .chunks(100)
                .map(|half| s.spawn(|| half.iter().map(|t| interner.get(t)).collect::<Vec<_>>()))
                .collect();
            halves
                .into_iter()
                .flat_map(|h| h.join().expect("thread"))
                .collect()
        });
        assert_eq!(interner.len(), 20);
        for (t, g) in texts.iter().zip(&got) {
            assert_eq!(t.as_str(), g.as_str());
            assert_eq!(g.addr(), interner.get(t).addr());
        }
    }
}
