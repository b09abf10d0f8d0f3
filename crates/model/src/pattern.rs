//! Strings built from known text and unknown values (issue 19, decision 0027):
//! `'${vnetId}/subnets/${subnet}'`, `concat(parameters('vnet'), '/subnets/', ...)`.
//! Such a value is unknown, but its literal parts are known: it is a string,
//! present, non-empty when any text is, with a known prefix, suffix and
//! fragments in order. [`Shape::pattern`] keeps them; this module builds,
//! matches and renders them.

use crate::value::{placeholder_of, Fragment, Shape, Unknown, Value};

/// Most fragments a pattern keeps; a longer one keeps its first ones and
/// ends in a hole (it stays a sound over-approximation).
const MAX_FRAGMENTS: usize = 64;

/// Opens a hole marker inside a string (see [`hole_marker`]).
const MARK_OPEN: char = '\u{E000}';
/// Closes a hole marker.
const MARK_CLOSE: char = '\u{E001}';

impl Shape {
    /// The shape of a string made of `fragments` in order: present, with
    /// [`Shape::pattern`] set when some text is known, the prefix when it
    /// starts with text, and, when the text spells a resource id
    /// (`/subscriptions/[s]/.../providers/Microsoft.Network/virtualNetworks/[v]/subnets/[n]`),
    /// its identity and resource type (from the id's provider segment).
    /// Without any known text, nothing is known but presence.
    pub fn from_fragments(fragments: Vec<Fragment>) -> Shape {
        let fragments = normalise(fragments);
        if !fragments
            .iter()
            .any(|f| matches!(f, Fragment::Text(t) if !t.is_empty()))
        {
            return Shape {
                present: true,
                ..Shape::default()
            };
        }
        let prefix = match fragments.first() {
            Some(Fragment::Text(t)) => Some(t.clone()),
            _ => None,
        };
        let rendered = render(&fragments, None);
        let resource_type = rendered
            .starts_with('/')
            .then(|| crate::model::resource_type_of(&rendered))
            .flatten();
        Shape {
            present: true,
            prefix,
            identity: resource_type.as_ref().map(|_| rendered),
            resource_type,
            allowed: None,
            pattern: Some(fragments.into()),
        }
    }

    /// The text a string of this shape ends with, when known.
    pub fn suffix(&self) -> Option<&str> {
        match self.pattern.as_deref()?.last()? {
            Fragment::Text(t) => Some(t),
            Fragment::Hole(_) => None,
        }
    }

    /// True when the value is known to be a string (it has known text).
    pub fn is_string(&self) -> bool {
        self.pattern.is_some() || self.prefix.is_some()
    }

    /// True when the value is known to be a non-empty string.
    pub fn non_empty(&self) -> bool {
        let text = |f: &Fragment| matches!(f, Fragment::Text(t) if !t.is_empty());
        self.pattern.as_deref().is_some_and(|p| p.iter().any(text))
            || self.prefix.as_deref().is_some_and(|p| !p.is_empty())
            || self.allowed.as_deref().is_some_and(|a| {
                !a.is_empty()
                    && a.iter()
                        .all(|v| matches!(v, Value::String(s) if !s.is_empty()))
            })
    }

    /// Whether `s` may be the value: its known text in order, the unknown
    /// parts matching anything (case-insensitive, as ARM and Azure Policy
    /// compare). True when nothing is known of the text.
    pub fn may_be(&self, s: &str) -> bool {
        let owned;
        let fragments: &[Fragment] = match (&self.pattern, &self.prefix) {
            (Some(p), _) => p,
            (None, Some(prefix)) => {
                owned = [
                    Fragment::Text(prefix.clone()),
                    Fragment::Hole(String::new()),
                ];
                &owned
            }
            (None, None) => return true,
        };
        glob_match(fragments, &s.to_ascii_lowercase())
    }

    /// A value of this shape with every unknown part written as `fill`;
    /// `None` when nothing is known of the text.
    pub fn sample(&self, fill: &str) -> Option<String> {
        match (&self.pattern, &self.prefix) {
            (Some(p), _) => Some(render(p, Some(fill))),
            (None, Some(prefix)) => Some(format!("{prefix}{fill}")),
            (None, None) => None,
        }
    }
}

impl Unknown {
    /// The pattern as text, each unknown part as its placeholder
    /// (`[workspaceName]/cpu-pool`); `None` without a pattern.
    pub fn pattern_text(&self) -> Option<String> {
        self.shape.pattern.as_deref().map(|p| render(p, None))
    }
}

/// The fragments of a value used as a string part: its text, the pattern
/// of a refined unknown, the identity of an unknown id (its placeholders as
/// holes), or one hole. `None` for values that are not text (arrays,
/// objects, `null`); numbers and bools are the front end's to convert.
pub fn fragments_of(v: &Value) -> Option<Vec<Fragment>> {
    match v {
        Value::String(s) => Some(vec![Fragment::Text(s.clone())]),
        Value::Unknown(u) => Some(unknown_fragments(u)),
        _ => None,
    }
}

fn unknown_fragments(u: &Unknown) -> Vec<Fragment> {
    if let Some(p) = &u.shape.pattern {
        return p.to_vec();
    }
    if let Some(id) = &u.shape.identity {
        return split_placeholders(id);
    }
    if let Some(prefix) = u.shape.prefix.as_ref().filter(|p| !p.is_empty()) {
        return vec![
            Fragment::Text(prefix.clone()),
            Fragment::Hole(placeholder_of(&u.expr)),
        ];
    }
    vec![Fragment::Hole(placeholder_of(&u.expr))]
}

/// An id with placeholders (`/subscriptions/[s]/resourceGroups/rg`) as
/// fragments: each `[...]` (brackets balanced outside quotes) a hole.
fn split_placeholders(id: &str) -> Vec<Fragment> {
    let mut out = Vec::new();
    let (mut depth, mut quoted, mut start) = (0usize, false, 0usize);
    for (i, c) in id.char_indices() {
        match c {
            '\'' if depth > 0 => quoted = !quoted,
            '[' if !quoted => {
                if depth == 0 {
                    out.push(Fragment::Text(id[start..i].to_string()));
                    start = i;
                }
                depth += 1;
            }
            ']' if !quoted && depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    out.push(Fragment::Hole(id[start..=i].to_string()));
                    start = i + 1;
                }
            }
            _ => {}
        }
    }
    out.push(Fragment::Text(id[start..].to_string()));
    normalise(out)
}

/// A value built from `fragments`: the string when every part is known,
/// otherwise an unknown (`expr`, `reason`) that keeps the known text.
pub fn interpolated(
    expr: impl Into<String>,
    reason: impl Into<String>,
    fragments: Vec<Fragment>,
) -> Value {
    if fragments.iter().all(|f| matches!(f, Fragment::Text(_))) {
        let mut s = String::new();
        for f in &fragments {
            if let Fragment::Text(t) = f {
                s.push_str(t);
            }
        }
        return Value::String(s);
    }
    Value::unknown_shaped(expr, reason, Shape::from_fragments(fragments))
}

/// A marker standing for the `index`-th unknown inside a string that a
/// known function computes (`concat`, `format`, `join`): call the function
/// with markers for the unknowns, then [`unmark`] the result.
pub fn hole_marker(index: usize) -> String {
    format!("{MARK_OPEN}{index}{MARK_CLOSE}")
}

/// The fragments of a string computed with [`hole_marker`]s, each marker
/// replaced by the fragments of `holes[index]`. `None` when a marker was
/// cut (a function took part of it) or names no hole.
pub fn unmark(s: &str, holes: &[Vec<Fragment>]) -> Option<Vec<Fragment>> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(open) = rest.find(MARK_OPEN) {
        out.push(Fragment::Text(rest[..open].to_string()));
        let after = &rest[open + MARK_OPEN.len_utf8()..];
        let close = after.find(MARK_CLOSE)?;
        let index: usize = after[..close].parse().ok()?;
        out.extend(holes.get(index)?.iter().cloned());
        rest = &after[close + MARK_CLOSE.len_utf8()..];
    }
    if rest.contains(MARK_CLOSE) {
        return None;
    }
    out.push(Fragment::Text(rest.to_string()));
    Some(normalise(out))
}

/// Merges adjacent texts, drops empty ones, bounds the length.
fn normalise(fragments: Vec<Fragment>) -> Vec<Fragment> {
    let mut out: Vec<Fragment> = Vec::with_capacity(fragments.len());
    for f in fragments {
        match (out.last_mut(), f) {
            (_, Fragment::Text(t)) if t.is_empty() => {}
            (Some(Fragment::Text(last)), Fragment::Text(t)) => last.push_str(&t),
            (_, f) => out.push(f),
        }
    }
    if out.len() > MAX_FRAGMENTS {
        out.truncate(MAX_FRAGMENTS - 1);
        out.push(Fragment::Hole("[...]".into()));
    }
    out
}

/// The fragments as text: holes as their placeholder, or as `fill`.
fn render(fragments: &[Fragment], fill: Option<&str>) -> String {
    let mut s = String::new();
    for f in fragments {
        match f {
            Fragment::Text(t) => s.push_str(t),
            Fragment::Hole(h) => s.push_str(fill.unwrap_or(h)),
        }
    }
    s
}

/// `s` (lower case) against texts in order with anything between them.
fn glob_match(fragments: &[Fragment], s: &str) -> bool {
    let texts: Vec<String> = fragments
        .iter()
        .filter_map(|f| match f {
            Fragment::Text(t) => Some(t.to_ascii_lowercase()),
            Fragment::Hole(_) => None,
        })
        .collect();
    let starts_open = matches!(fragments.first(), Some(Fragment::Hole(_)));
    let ends_open = matches!(fragments.last(), Some(Fragment::Hole(_)));
    if texts.is_empty() {
        return true;
    }
    if !starts_open && !ends_open && texts.len() == 1 {
        return s == texts[0];
    }
    let mut rest = s;
    let mut inner: &[String] = &texts;
    if !starts_open {
        let Some(r) = rest.strip_prefix(texts[0].as_str()) else {
            return false;
        };
        rest = r;
        inner = &inner[1..];
    }
    let last = if ends_open {
        None
    } else {
        let Some((l, init)) = inner.split_last() else {
            return rest.is_empty();
        };
        inner = init;
        Some(l)
    };
    for t in inner {
        match rest.find(t.as_str()) {
            Some(i) => rest = &rest[i + t.len()..],
            None => return false,
        }
    }
    match last {
        Some(l) => rest.len() >= l.len() && rest.ends_with(l.as_str()),
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(fragments: &[Fragment]) -> Shape {
        Shape::from_fragments(fragments.to_vec())
    }

    fn t(s: &str) -> Fragment {
        Fragment::Text(s.into())
    }
    fn h(s: &str) -> Fragment {
        Fragment::Hole(format!("[{s}]"))
    }

    #[test]
    fn subnet_of_unknown_vnet_is_a_non_empty_string() {
        let s = shape(&[h("vnetId"), t("/subnets/"), h("subnet")]);
        assert!(s.present && s.non_empty() && s.is_string());
        assert_eq!(s.prefix, None);
        assert_eq!(s.suffix(), None);
        assert!(
            s.may_be("/subscriptions/x/providers/Microsoft.Network/virtualNetworks/v/subnets/a")
        );
        assert!(s.may_be("/SUBNETS/"));
        assert!(!s.may_be(""));
        assert!(!s.may_be("/subscriptions/x"));
        assert_eq!(s.sample("x").as_deref(), Some("x/subnets/x"));
        assert_eq!(s.identity, None);
    }

    #[test]
    fn prefix_suffix_and_id() {
        let s = shape(&[
            t("/subscriptions/"),
            h("sub"),
            t("/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/"),
            h("vnet"),
            t("/subnets/default"),
        ]);
        assert_eq!(s.prefix.as_deref(), Some("/subscriptions/"));
        assert_eq!(s.suffix(), Some("/subnets/default"));
        assert_eq!(
            s.resource_type.as_deref(),
            Some("Microsoft.Network/virtualNetworks/subnets")
        );
        assert_eq!(
            s.identity.as_deref(),
            Some("/subscriptions/[sub]/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/[vnet]/subnets/default")
        );
        assert!(!s.may_be("/subscriptions/a/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/other"));
        // A text that overlaps the suffix is not counted twice.
        let e = shape(&[t("ab"), h("x"), t("ba")]);
        assert!(e.may_be("abba") && e.may_be("abxba") && !e.may_be("aba"));
    }

    #[test]
    fn markers_round_trip() {
        let holes = vec![vec![h("a")], vec![t("p/"), h("b")]];
        let s = format!("{}/x/{}", hole_marker(0), hole_marker(1));
        let f = unmark(&s, &holes).unwrap();
        assert_eq!(f, vec![h("a"), t("/x/p/"), h("b")]);
        let cut: String = hole_marker(0).chars().take(2).collect();
        assert_eq!(unmark(&cut, &holes), None);
    }

    #[test]
    fn only_holes_know_presence_only() {
        let s = shape(&[h("a"), h("b")]);
        assert!(s.present && !s.non_empty() && s.pattern.is_none());
        assert!(s.may_be(""));
    }

    #[test]
    fn identities_split_into_holes() {
        let u = Value::unknown_shaped(
            "[resourceId('Microsoft.Network/virtualNetworks', parameters('v'))]",
            "r",
            Shape::resource_id(
                "/subscriptions/[subscription().subscriptionId]/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/[parameters('v')]",
                Some("Microsoft.Network/virtualNetworks"),
            ),
        );
        let mut f = fragments_of(&u).unwrap();
        f.extend([t("/subnets/"), h("s")]);
        let v = interpolated("e", "r", f);
        let Value::Unknown(u) = v else { panic!() };
        assert_eq!(
            u.shape.resource_type.as_deref(),
            Some("Microsoft.Network/virtualNetworks/subnets")
        );
        assert_eq!(
            u.pattern_text().as_deref(),
            Some("/subscriptions/[subscription().subscriptionId]/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/[parameters('v')]/subnets/[s]")
        );
    }
}
