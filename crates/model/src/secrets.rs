//! Which properties hold secrets, by name and by the object they sit in, the
//! same for every format (ARM and live JSON, Bicep, HCL, CLI YAML): the front
//! ends record the spans of these values, the model masks them (decision 0030).

use crate::json::{Node, NodeKind};
use crate::source::{FileId, Span};

/// Property names whose values are credentials wherever they appear
/// (lower case, without `_` and `-`).
const SECRET_KEYS: &[&str] = &[
    "password",
    "accountkey",
    "sastoken",
    "clientsecret",
    "secret",
    "connectionstring",
    "accesskey",
    "primarykey",
    "secondarykey",
    "apikey",
    "token",
    "pat",
    "privatekey",
    "privatekeydata",
    "sshprivatekey",
    "certificatepassword",
    "secretaccesskey",
    "customkeys",
];

/// Name endings that make a property a credential (`adminPassword`,
/// `storage_account_key`, `primaryConnectionString`, `ssh_private_key`).
const SECRET_SUFFIXES: &[&str] = &[
    "password",
    "accountkey",
    "sastoken",
    "clientsecret",
    "connectionstring",
    "accesskey",
    "privatekey",
    "apikey",
    "secretkey",
];

/// Names that are credentials only inside a credentials object
/// (`credentials.key`, `credentials.certificate`, `credentials.keys`).
const CREDENTIAL_MEMBERS: &[&str] = &[
    "key",
    "keys",
    "sas",
    "certificate",
    "certificatedata",
    "accesskeyid",
];

/// Objects holding credentials among other settings (their type, a tenant,
/// a client id): `credentials`, `userCredentials`, `administratorAccount`.
const CREDENTIAL_OBJECTS: &[&str] = &[
    "credentials",
    "usercredentials",
    "administratoraccount",
    "adminusercredentials",
];

/// Objects every value of which (but their type) is a secret: `credentials.secrets`.
const SECRET_OBJECTS: &[&str] = &["secrets"];

/// The last two bytes of every name in the lists that apply in any scope,
/// as a set of 65,536 bits (`(a << 8) | b`).
static LISTED_ENDINGS: [u64; 1024] = endings_of(&[
    SECRET_KEYS,
    SECRET_SUFFIXES,
    SECRET_OBJECTS,
    CREDENTIAL_OBJECTS,
]);

const fn endings_of(lists: &[&[&str]]) -> [u64; 1024] {
    let mut set = [0u64; 1024];
    let mut l = 0;
    while l < lists.len() {
        let mut i = 0;
        while i < lists[l].len() {
            let name = lists[l][i].as_bytes();
            assert!(name.len() >= 2, "a listed name has two bytes at least");
            let ending = ((name[name.len() - 2] as usize) << 8) | name[name.len() - 1] as usize;
            set[ending / 64] |= 1 << (ending % 64);
            i += 1;
        }
        l += 1;
    }
    set
}

/// Whether `key`, normalized (see [`normalize`]), may be or end with a name
/// of the lists that apply in any scope: false when its last two bytes end
/// no such name. Keys that are not ASCII or shorter may always be.
fn may_be_listed(key: &str) -> bool {
    let mut last = key
        .bytes()
        .rev()
        .filter(|b| *b != b'_' && *b != b'-')
        .map(|b| b.to_ascii_lowercase());
    let (Some(b), Some(a)) = (last.next(), last.next()) else {
        return true;
    };
    if !a.is_ascii() || !b.is_ascii() {
        return true;
    }
    let ending = ((a as usize) << 8) | b as usize;
    LISTED_ENDINGS[ending / 64] & (1 << (ending % 64)) != 0
}

/// A property name in the form the lists use: lower case, without `_` and `-`.
pub fn normalize(key: &str) -> String {
    key.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Where a walk stands: inside a credentials object, inside a secret.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Scope {
    in_credentials: bool,
    in_secret: bool,
}

/// What a property is, given its name and the scope it sits in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Its value (whatever its shape) is a secret.
    Secret,
    /// Not a secret itself; its members are judged in this scope.
    Nested(Scope),
}

impl Scope {
    /// The scope of a walk's root.
    pub fn root() -> Scope {
        Scope::default()
    }

    /// The scope inside a secret: every value in it is secret but a type.
    pub fn secret() -> Scope {
        Scope {
            in_credentials: true,
            in_secret: true,
        }
    }

    /// True inside a secret (a secure object's members, `credentials.secrets`).
    pub fn is_secret(&self) -> bool {
        self.in_secret
    }

    /// What the property `key` holds in this scope. A name ending in `type`
    /// (`credentialsType`, `secretsType`) never is a secret: it says which
    /// kind of credential is used, and a reader needs it.
    pub fn member(&self, key: &str) -> Kind {
        // Runs for every member of every object of every file: most keys
        // end unlike every listed name.
        if !self.in_secret && !self.in_credentials && !may_be_listed(key) {
            return Kind::Nested(*self);
        }
        self.member_by_lists(key)
    }

    /// [`Scope::member`] by the lists alone.
    fn member_by_lists(&self, key: &str) -> Kind {
        // Most keys are short: normalized on the stack.
        let mut buf = [0u8; 64];
        let owned;
        let k: &str = if key.is_ascii() && key.len() <= buf.len() {
            let mut n = 0;
            for b in key.bytes().filter(|b| *b != b'_' && *b != b'-') {
                buf[n] = b.to_ascii_lowercase();
                n += 1;
            }
            std::str::from_utf8(&buf[..n]).unwrap_or_default()
        } else {
            owned = normalize(key);
            &owned
        };
        if k.ends_with("type") {
            return Kind::Nested(Scope {
                in_credentials: self.in_credentials,
                in_secret: false,
            });
        }
        if self.in_secret
            || SECRET_KEYS.contains(&k)
            || SECRET_SUFFIXES.iter().any(|s| k.ends_with(s))
            || (self.in_credentials && CREDENTIAL_MEMBERS.contains(&k))
        {
            return Kind::Secret;
        }
        if SECRET_OBJECTS.contains(&k) {
            return Kind::Nested(Scope::secret());
        }
        if CREDENTIAL_OBJECTS.contains(&k) {
            return Kind::Nested(Scope {
                in_credentials: true,
                in_secret: false,
            });
        }
        Kind::Nested(*self)
    }
}

/// True when `text` (a value as written in any format) is a literal: a
/// quoted string, a heredoc or a YAML block without expressions or
/// interpolation, so that masking where it is written hides every form of it.
pub fn is_literal_text(text: &str) -> bool {
    let t = text.trim_start();
    let quoted = t.starts_with(['"', '\'', '|', '>']) || t.starts_with("<<");
    let expression = t.contains("${") || (t.starts_with("\"[") && !t.starts_with("\"[["));
    quoted && !expression
}

/// True when `text` (a value as written) only names where the value comes
/// from: an ARM `[parameters('x')]` or `[variables('x')]`, a Bicep or HCL
/// reference (`pw`, `var.pw`, `local.pw`). It holds no secret text and tells
/// a reader that the secret is not written there, so it is not masked; what
/// it names is (see the front ends' reference finders).
pub fn is_reference(text: &str) -> bool {
    let t = text.trim();
    if let Some(inner) = t
        .strip_prefix("\"[")
        .and_then(|r| r.strip_suffix("]\""))
        .filter(|r| !r.starts_with('['))
    {
        let inner = inner.trim();
        let call = inner
            .strip_prefix("parameters(")
            .or_else(|| inner.strip_prefix("variables("))
            .and_then(|r| r.strip_suffix(')'))
            .map(str::trim)
            .and_then(|r| r.strip_prefix('\''))
            .and_then(|r| r.strip_suffix('\''));
        return call.is_some_and(|name| !name.is_empty() && !name.contains(['\'', '(']));
    }
    !t.is_empty()
        && !t.starts_with(|c: char| c.is_ascii_digit())
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.'))
}

/// True when a property called `key` holds a secret wherever it is.
pub fn is_secret_key(key: &str) -> bool {
    Scope::root().member(key) == Kind::Secret
}

/// The spans of every secret value in a JSON tree (ARM templates, parameter
/// files, live exports, plans): each member whose name or enclosing object
/// makes it a credential, every copy of a duplicated key included. Bounded
/// by the parser's own nesting limit.
pub fn json_secret_spans(file: FileId, node: &Node, out: &mut Vec<Span>) {
    walk_json(file, node, Scope::root(), out, 0);
}

fn walk_json(file: FileId, node: &Node, scope: Scope, out: &mut Vec<Span>, depth: usize) {
    if depth > 256 {
        out.push(Span::new(file, node.start as usize, node.end as usize));
        return;
    }
    match &node.kind {
        NodeKind::Object(members) => {
            for m in members {
                match scope.member(&m.key) {
                    Kind::Secret => {
                        let reference = matches!(&m.value.kind, NodeKind::String(v)
                            if v.starts_with('[') && is_reference(&format!("\"{v}\"")));
                        if !reference && !matches!(m.value.kind, NodeKind::Null | NodeKind::Bool(_))
                        {
                            out.push(Span::new(
                                file,
                                m.value.start as usize,
                                m.value.end as usize,
                            ));
                        }
                    }
                    Kind::Nested(inner) => walk_json(file, &m.value, inner, out, depth + 1),
                }
            }
        }
        NodeKind::Array(items) => items
            .iter()
            .for_each(|i| walk_json(file, i, scope, out, depth + 1)),
        NodeKind::String(s) if crate::model::looks_like_private_key(s) => {
            out.push(Span::new(file, node.start as usize, node.end as usize));
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_quick_test_of_endings_decides_as_the_lists_do() {
        use super::*;
        let mut keys: Vec<String> = Vec::new();
        let lists = [
            SECRET_KEYS,
            SECRET_SUFFIXES,
            CREDENTIAL_MEMBERS,
            CREDENTIAL_OBJECTS,
            SECRET_OBJECTS,
        ];
        for name in lists.iter().flat_map(|l| l.iter()) {
            let upper = name.to_ascii_uppercase();
            for key in [
                name.to_string(),
                upper.clone(),
                format!("admin{name}"),
                format!("x_{upper}"),
                format!("{name}_"),
                format!("{name}-x"),
                format!("{}_{}", &name[..name.len() - 1], &name[name.len() - 1..]),
                format!("{name}type"),
                format!("{name}é"),
                format!("é{name}"),
                name[1..].to_string(),
            ] {
                keys.push(key);
            }
        }
        keys.extend(
            [
                "",
                "a",
                "_",
                "-a-",
                "name",
                "type",
                "properties",
                "location",
                "K\u{212a}",
                "tags",
            ]
            .map(String::from),
        );
        let scopes = [
            Scope::default(),
            Scope::secret(),
            Scope {
                in_credentials: true,
                in_secret: false,
            },
        ];
        for scope in scopes {
            for key in &keys {
                assert_eq!(
                    scope.member(key),
                    scope.member_by_lists(key),
                    "{key:?} in {scope:?}"
                );
            }
        }
        // The quick test does turn most keys away.
        assert!(!may_be_listed("properties") && !may_be_listed("publicNetworkAccess"));
    }

    use super::*;

    #[test]
    fn names_and_scopes() {
        for k in [
            "adminPassword",
            "admin_password",
            "account_key",
            "sas_token",
            "client_secret",
            "primaryConnectionString",
            "ssh_private_key",
            "token",
        ] {
            assert!(is_secret_key(k), "{k}");
        }
        for k in [
            "credentialsType",
            "serviceDataAccessAuthIdentity",
            "resource_id",
            "key",
            "tenant_id",
            "adminUserName",
            "publicNetworkAccess",
        ] {
            assert!(!is_secret_key(k), "{k}");
        }
        let Kind::Nested(creds) = Scope::root().member("credentials") else {
            panic!()
        };
        assert_eq!(creds.member("key"), Kind::Secret);
        assert_eq!(creds.member("certificate"), Kind::Secret);
        assert!(matches!(creds.member("credentialsType"), Kind::Nested(_)));
        assert!(matches!(creds.member("client_id"), Kind::Nested(_)));
        assert!(matches!(creds.member("resource_id"), Kind::Nested(_)));
        assert!(matches!(creds.member("username"), Kind::Nested(_)));
        let Kind::Nested(secrets) = creds.member("secrets") else {
            panic!()
        };
        assert_eq!(secrets.member("anything"), Kind::Secret);
        assert!(matches!(secrets.member("secretsType"), Kind::Nested(_)));
    }

    #[test]
    fn references_are_told_from_values() {
        for r in [
            "\"[parameters('pw')]\"",
            "\"[ variables( 'a-b' ) ]\"",
            "var.pw",
            "local.x",
            "pw",
        ] {
            assert!(is_reference(r), "{r}");
        }
        for v in [
            "\"[concat(parameters('a'), 'lit')]\"",
            "\"[[parameters('pw')]\"",
            "\"plain\"",
            "'pw'",
            "\"${var.a}-x\"",
            "<<EOT",
        ] {
            assert!(!is_reference(v), "{v}");
        }
    }

    #[test]
    fn json_spans_cover_every_copy_and_spelling() {
        let text = r#"{"p": {"adminPassword": "a\u0042c", "adminPassword": "[concat('x', 'y')]",
            "credentials": {"credentialsType": "AccountKey", "secrets": {"key": "k1"}}}}"#;
        let node = crate::json::parse(text).unwrap();
        let mut out = Vec::new();
        json_secret_spans(FileId(0), &node, &mut out);
        let shown: Vec<&str> = out
            .iter()
            .map(|s| &text[s.start as usize..s.end as usize])
            .collect();
        assert_eq!(
            shown,
            [r#""a\u0042c""#, r#""[concat('x', 'y')]""#, r#""k1""#]
        );
    }
}
