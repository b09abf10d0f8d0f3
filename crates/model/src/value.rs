//! The value type shared by the front ends, the deployment model and evaluation.
//!
//! It is JSON plus one more case: [`Value::Unknown`], a value the scanned files do
//! not determine (a parameter with no value, `reference()` to a resource outside
//! the deployment, `listKeys()`...). An unknown carries the expression text that
//! produced it so that a result can name what decides it; it is never compared
//! as a literal string.

use indexmap::IndexMap;
use std::fmt;
use std::sync::Arc;

/// An ordered JSON object. Keys keep the case they were written with; ARM
/// property names compare case-insensitively, so use [`Value::get`] to look up.
/// Make one with `Object::default()` or [`object_with_capacity`].
pub type Object = IndexMap<String, Value, ObjectHasher>;

/// How an [`Object`] hashes its keys: foldhash, seeded at random per
/// process (SipHash, the standard library's, was 3 to 6% of a scan's
/// instructions; every member of every object is hashed when it is
/// inserted). Iteration follows insertion, whatever the hasher.
pub type ObjectHasher = foldhash::fast::RandomState;

/// An empty [`Object`] with room for `n` members.
pub fn object_with_capacity(n: usize) -> Object {
    Object::with_capacity_and_hasher(n, ObjectHasher::default())
}

/// Objects of at most this many members are searched without hashing
/// ([`Value::get`]).
const SMALL_OBJECT: usize = 16;

/// A JSON value, or a value that the files do not determine.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    Array(Vec<Value>),
    Object(Object),
    Unknown(Arc<Unknown>),
}

/// Why a value is unknown, which expression produced it, and what is known
/// about it all the same ([`Shape`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Unknown {
    /// The template expression (or Bicep/HCL text) whose value is not known.
    pub expr: String,
    /// A short human reason, e.g. "parameter 'pna' has no default and no value".
    pub reason: String,
    /// What is known of the value: present, its prefix, the resource it
    /// names, the values it may take.
    pub shape: Shape,
}

/// What is known about an unknown value (Terraform's idea of refined
/// unknowns). The default knows nothing: the value may be absent, `null`,
/// or anything.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Shape {
    /// The value is present and not `null` (a resource's id, a data
    /// source's attribute Azure always sets).
    pub present: bool,
    /// The value is a string that starts with this text
    /// (`/subscriptions/00000000-.../resourceGroups/rg/providers/Microsoft.Network/`).
    pub prefix: Option<String>,
    /// The value is the id of a resource of this type
    /// (`Microsoft.Network/virtualNetworks/subnets`).
    pub resource_type: Option<String>,
    /// The resource id the value stands for, with each segment the files do
    /// not fix written as a placeholder `[expression]` ([`Unknown::placeholder`]):
    /// two ids built from the same unknowns name the same resource.
    pub identity: Option<String>,
    /// The only values it may take (a parameter's `allowedValues`, Bicep
    /// `@allowed`, a Terraform `validation`), when the files say so.
    pub allowed: Option<Arc<[Value]>>,
    /// The string's known text and where the unknown parts fall, for a
    /// string built by interpolation, `concat`, `format` or `join` from
    /// known text and unknowns (`[vnetId]/subnets/[subnet]`); see
    /// [`Shape::from_fragments`].
    pub pattern: Option<Arc<[Fragment]>>,
}

/// A piece of a string built from known text and unknown values.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Fragment {
    /// Text the files fix.
    Text(String),
    /// A part the files do not fix (any string, possibly empty), written as
    /// its placeholder `[expression]`.
    Hole(String),
}

impl Shape {
    /// The shape of a resource id: present, a string, of `resource_type`,
    /// standing for `identity` (which may hold placeholders); the prefix is
    /// the identity up to its first placeholder.
    pub fn resource_id(identity: &str, resource_type: Option<&str>) -> Shape {
        let prefix = match identity.find('[') {
            Some(i) => identity[..i].to_string(),
            None => identity.to_string(),
        };
        Shape {
            present: true,
            prefix: (!prefix.is_empty()).then_some(prefix),
            resource_type: resource_type.map(str::to_string),
            identity: Some(identity.to_string()),
            allowed: None,
            pattern: None,
        }
    }
}

impl Shape {
    /// A value that is one of `values` and nothing else (present unless one
    /// of them is `null`).
    pub fn one_of(values: Vec<Value>) -> Shape {
        Shape {
            present: !values.contains(&Value::Null),
            allowed: Some(values.into()),
            ..Shape::default()
        }
    }
}

impl Unknown {
    /// Feeds everything this unknown holds to `state` ([`Value::fingerprint`]).
    fn fingerprint<H: std::hash::Hasher>(&self, state: &mut H) {
        use std::hash::Hash;
        // Destructured whole: a field added later must be added here.
        let Unknown {
            expr,
            reason,
            shape,
        } = self;
        let Shape {
            present,
            prefix,
            resource_type,
            identity,
            allowed,
            pattern,
        } = shape;
        expr.hash(state);
        reason.hash(state);
        present.hash(state);
        prefix.hash(state);
        resource_type.hash(state);
        identity.hash(state);
        match allowed {
            None => state.write_u8(0),
            Some(values) => {
                state.write_u8(1);
                state.write_usize(values.len());
                values.iter().for_each(|v| v.fingerprint(state));
            }
        }
        pattern.as_deref().hash(state);
    }

    /// The text standing for this unknown inside a resource id or name:
    /// `[expression]`, with the expression's own brackets and the blanks
    /// outside its string literals removed, so that the same expression
    /// written twice gives the same placeholder.
    /// A string with known parts ([`Shape::pattern`]) is written as its
    /// pattern instead (`[workspaceName]/cpu-pool`).
    pub fn placeholder(&self) -> String {
        self.pattern_text()
            .unwrap_or_else(|| placeholder_of(&self.expr))
    }
}

/// [`Unknown::placeholder`] for an expression's text.
pub fn placeholder_of(expr: &str) -> String {
    let inner = expr.trim();
    let inner = inner
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .unwrap_or(inner);
    let mut out = String::with_capacity(inner.len() + 2);
    out.push('[');
    let mut quoted = false;
    for c in inner.chars() {
        if c == '\'' {
            quoted = !quoted;
        }
        if quoted || !c.is_whitespace() {
            out.push(c);
        }
    }
    out.push(']');
    out
}

/// The `.`-separated segments of `path`, as `path.split('.')` gives them
/// (empty ones too), found by a plain look at each byte: the paths are
/// short, and `split`'s searcher cost more than the look (rules read a
/// resource's settings, and Terraform's arguments are read and set, through
/// hundreds of thousands of paths in a large scan).
pub fn dot_segments(path: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(path);
    std::iter::from_fn(move || {
        let now = rest?;
        match now.bytes().position(|b| b == b'.') {
            Some(dot) => {
                rest = Some(&now[dot + 1..]);
                Some(&now[..dot])
            }
            None => {
                rest = None;
                Some(now)
            }
        }
    })
}

impl Value {
    /// Feeds the value's exact content to `state`: each node's kind, numbers
    /// by their bits, strings, array items and object members in their
    /// order, and everything an unknown holds. Under a keyed hash, two values
    /// with the same fingerprint are (but for a negligible chance) the same
    /// value written the same way. Not [`std::hash::Hash`]: `==` ignores the
    /// order of an object's members, this does not.
    pub fn fingerprint<H: std::hash::Hasher>(&self, state: &mut H) {
        use std::hash::Hash;
        match self {
            Value::Null => state.write_u8(0),
            Value::Bool(b) => {
                state.write_u8(1);
                b.hash(state);
            }
            Value::Int(i) => {
                state.write_u8(2);
                i.hash(state);
            }
            Value::Float(f) => {
                state.write_u8(3);
                f.to_bits().hash(state);
            }
            Value::String(s) => {
                state.write_u8(4);
                s.hash(state);
            }
            Value::Array(items) => {
                state.write_u8(5);
                state.write_usize(items.len());
                items.iter().for_each(|v| v.fingerprint(state));
            }
            Value::Object(members) => {
                state.write_u8(6);
                state.write_usize(members.len());
                for (key, v) in members {
                    key.hash(state);
                    v.fingerprint(state);
                }
            }
            Value::Unknown(u) => {
                state.write_u8(7);
                u.fingerprint(state);
            }
        }
    }

    /// A new unknown value.
    pub fn unknown(expr: impl Into<String>, reason: impl Into<String>) -> Value {
        Value::unknown_shaped(expr, reason, Shape::default())
    }

    /// A new unknown value of which `shape` is known.
    pub fn unknown_shaped(
        expr: impl Into<String>,
        reason: impl Into<String>,
        shape: Shape,
    ) -> Value {
        Value::Unknown(Arc::new(Unknown {
            expr: expr.into(),
            reason: reason.into(),
            shape,
        }))
    }

    /// The resource id this value names: the string itself, or the identity
    /// of an unknown id (which may hold placeholders; see [`Shape::identity`]).
    pub fn as_id(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            Value::Unknown(u) => u.shape.identity.as_deref(),
            _ => None,
        }
    }

    /// A string value.
    pub fn str(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    /// The ARM type name of this value, as used in error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
            Value::Unknown(_) => "unknown",
        }
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown(_))
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&Vec<Value>> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&Object> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    pub fn as_object_mut(&mut self) -> Option<&mut Object> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    /// Case-insensitive property lookup on an object; `None` for other values.
    pub fn get(&self, key: &str) -> Option<&Value> {
        let obj = self.as_object()?;
        // A small object (most of a resource body) is read in one pass
        // without hashing: the key as written, else the first spelled
        // otherwise, as the lookup below gives. A missing key, the common
        // case of rules probing settings, cost a hash and this pass.
        if obj.len() <= SMALL_OBJECT {
            let mut folded = None;
            for (k, v) in obj {
                if k == key {
                    return Some(v);
                }
                if folded.is_none() && k.eq_ignore_ascii_case(key) {
                    folded = Some(v);
                }
            }
            return folded;
        }
        obj.get(key).or_else(|| {
            obj.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)
        })
    }

    /// Case-insensitive lookup along a dotted path (`properties.encryption.status`).
    pub fn get_path(&self, path: &str) -> Option<&Value> {
        let mut cur = self;
        for part in dot_segments(path).filter(|p| !p.is_empty()) {
            cur = cur.get(part)?;
        }
        Some(cur)
    }

    /// Sets the value at a dotted path, creating objects on the way; keys
    /// match case-insensitively. Returns false (and changes nothing further)
    /// when a value on the way is not an object.
    pub fn set_path(&mut self, path: &str, value: Value) -> bool {
        let mut cur = self;
        let parts: Vec<&str> = path.split('.').filter(|p| !p.is_empty()).collect();
        let Some((last, init)) = parts.split_last() else {
            return false;
        };
        for part in init {
            let Some(o) = cur.as_object_mut() else {
                return false;
            };
            let key = o
                .keys()
                .find(|k| k.eq_ignore_ascii_case(part))
                .cloned()
                .unwrap_or_else(|| part.to_string());
            cur = o
                .entry(key)
                .or_insert_with(|| Value::Object(Object::default()));
        }
        let Some(o) = cur.as_object_mut() else {
            return false;
        };
        let key = o
            .keys()
            .find(|k| k.eq_ignore_ascii_case(last))
            .cloned()
            .unwrap_or_else(|| last.to_string());
        o.insert(key, value);
        true
    }

    /// Gives back the room objects and arrays inside this value hold
    /// beyond their length (a cloned object keeps the room of its hash
    /// table: 7 slots for 4 members).
    pub fn shrink_to_fit(&mut self) {
        match self {
            Value::Array(items) => {
                items.shrink_to_fit();
                items.iter_mut().for_each(Value::shrink_to_fit);
            }
            Value::Object(map) => {
                if map.capacity() > map.len() {
                    map.shrink_to_fit();
                }
                map.values_mut().for_each(Value::shrink_to_fit);
            }
            _ => {}
        }
    }

    /// True when this value or anything inside it is unknown.
    pub fn contains_unknown(&self) -> bool {
        match self {
            Value::Unknown(_) => true,
            Value::Array(a) => a.iter().any(Value::contains_unknown),
            Value::Object(o) => o.values().any(Value::contains_unknown),
            _ => false,
        }
    }

    /// The first unknown found inside this value, depth first.
    pub fn first_unknown(&self) -> Option<&Arc<Unknown>> {
        match self {
            Value::Unknown(u) => Some(u),
            Value::Array(a) => a.iter().find_map(Value::first_unknown),
            Value::Object(o) => o.values().find_map(Value::first_unknown),
            _ => None,
        }
    }

    /// Converts from `serde_json`.
    pub fn from_json(v: &serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(0.0)),
            },
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Array(a) => Value::Array(a.iter().map(Value::from_json).collect()),
            serde_json::Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// Converts to `serde_json`. Unknown values become `unknown_as` (usually
    /// `None` to drop the property, so that the engine sees it as absent).
    pub fn to_json_with(
        &self,
        unknown_as: &dyn Fn(&Unknown) -> Option<serde_json::Value>,
    ) -> Option<serde_json::Value> {
        Some(match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::Array(a) => serde_json::Value::Array(
                a.iter()
                    .filter_map(|v| v.to_json_with(unknown_as))
                    .collect(),
            ),
            Value::Object(o) => serde_json::Value::Object(
                o.iter()
                    .filter_map(|(k, v)| v.to_json_with(unknown_as).map(|j| (k.clone(), j)))
                    .collect(),
            ),
            Value::Unknown(u) => return unknown_as(u),
        })
    }

    /// Converts to `serde_json`, writing unknowns as the string `"<unknown: EXPR>"`.
    /// For display and reports only; never feed this to a comparison.
    pub fn to_json_display(&self) -> serde_json::Value {
        self.to_json_with(&|u| Some(serde_json::Value::String(format!("<unknown: {}>", u.expr))))
            .unwrap_or(serde_json::Value::Null)
    }
}

impl fmt::Display for Value {
    /// Compact JSON-like rendering, for messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::String(s) => write!(f, "'{s}'"),
            Value::Unknown(u) => write!(f, "<unknown: {}>", u.expr),
            other => write!(f, "{}", other.to_json_display()),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The segments are `split('.')`'s, on every path of up to five
    /// characters from `.`, `a`, `[`, `0`, `]` and `é`.
    #[test]
    fn dot_segments_are_those_of_split() {
        let alphabet = ['.', 'a', '[', '0', ']', 'é'];
        let mut paths = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..5 {
            last = last
                .iter()
                .flat_map(|p| alphabet.iter().map(move |c| format!("{p}{c}")))
                .collect();
            paths.extend(last.iter().cloned());
        }
        for p in &paths {
            assert_eq!(
                dot_segments(p).collect::<Vec<_>>(),
                p.split('.').collect::<Vec<_>>(),
                "{p:?}"
            );
        }
        assert!(paths.len() > 9_000);
    }

    #[test]
    fn lookup_is_case_insensitive() {
        let v = Value::from_json(
            &serde_json::json!({"Properties": {"PublicNetworkAccess": "Disabled"}}),
        );
        assert_eq!(
            v.get_path("properties.publicNetworkAccess"),
            Some(&Value::str("Disabled"))
        );
    }

    /// Small and large objects find the same member: the key as written,
    /// else the first member spelled otherwise, else none.
    #[test]
    fn small_and_large_objects_agree() {
        for extra in [0, 3, SMALL_OBJECT, SMALL_OBJECT + 5] {
            let mut o = Object::default();
            o.insert("Tags".into(), Value::Int(1));
            o.insert("tags".into(), Value::Int(2));
            o.insert("NAME".into(), Value::Int(3));
            o.insert("Name".into(), Value::Int(4));
            for i in 0..extra {
                o.insert(format!("k{i}"), Value::Int(100 + i as i64));
            }
            let v = Value::Object(o);
            assert_eq!(v.get("tags"), Some(&Value::Int(2)), "{extra}");
            assert_eq!(v.get("Tags"), Some(&Value::Int(1)), "{extra}");
            assert_eq!(v.get("TAGS"), Some(&Value::Int(1)), "{extra}");
            assert_eq!(v.get("Name"), Some(&Value::Int(4)), "{extra}");
            assert_eq!(v.get("name"), Some(&Value::Int(3)), "{extra}");
            assert_eq!(v.get("location"), None, "{extra}");
            if extra > 0 {
                assert_eq!(v.get("K0"), Some(&Value::Int(100)), "{extra}");
            }
        }
    }

    #[test]
    fn unknowns_are_dropped_or_marked() {
        let mut o = Object::default();
        o.insert("a".into(), Value::unknown("[parameters('x')]", "no value"));
        o.insert("b".into(), Value::Int(1));
        let v = Value::Object(o);
        assert!(v.contains_unknown());
        assert_eq!(
            v.to_json_with(&|_| None).unwrap(),
            serde_json::json!({"b": 1})
        );
        assert_eq!(
            v.to_json_display(),
            serde_json::json!({"a": "<unknown: [parameters('x')]>", "b": 1})
        );
    }
}
