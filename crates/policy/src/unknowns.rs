//! Unknown values: which ones a definition reads, the alternatives tried for
//! each, and the verdict over all combinations (docs/decisions/0002).

use super::catalogue::Seg;
use super::resource::UnknownLeaf;
use super::PolicyOutcome;
use aml_model::value::Shape;
use serde_json::{Map, Value as J};

/// An alternative for an unknown string: "some value no condition names".
const OTHER_VALUE: &str = "(another value)";

pub(crate) fn lower(s: &Seg) -> Seg {
    match s {
        Seg::Key(k) => Seg::Key(k.to_ascii_lowercase()),
        Seg::Any => Seg::Any,
    }
}

/// Adds the unknowns among `leaves` that a read path touches to `vars`
/// (one variable per expression, with the union of their alternatives).
pub(crate) fn add_unknowns(
    vars: &mut Vec<(String, Vec<Option<J>>)>,
    leaves: &[UnknownLeaf],
    reads: &[ReadPath],
) {
    for leaf in leaves {
        let alts = alternatives(&leaf.path, reads);
        if alts.len() < 2 {
            continue; // not read by the definition
        }
        let refined = refine(alts.clone(), &leaf.unknown.shape);
        // A shape that rules out every alternative was not about what the
        // definition reads here: keep them all.
        let alts = if refined.is_empty() { alts } else { refined };
        match vars.iter_mut().find(|(e, _)| *e == leaf.unknown.expr) {
            Some((_, existing)) => {
                for a in alts {
                    if !existing.contains(&a) {
                        existing.push(a);
                    }
                }
            }
            None => vars.push((leaf.unknown.expr.clone(), alts)),
        }
    }
}

/// Keeps the alternatives that agree with what is known of the unknown:
/// exactly its allowed values when the files list them; otherwise not
/// absent when it is known to be present, and, when its text is partly
/// known (a prefix, or the literal parts of an interpolation,
/// [`Shape::pattern`]), only strings it may be, plus, for each string
/// alternative, the known text with that string in every unknown part (so
/// that `like`, `contains` and prefix conditions that some value of that
/// shape meets are met by an alternative) and the known text with a value
/// no condition names.
fn refine(alts: Vec<Option<J>>, shape: &Shape) -> Vec<Option<J>> {
    if let Some(allowed) = &shape.allowed {
        let values: Vec<Option<J>> = allowed.iter().map(|v| v.to_json_with(&|_| None)).collect();
        if !values.is_empty() {
            return values;
        }
    }
    let alts = alts.into_iter().filter(|a| !(shape.present && a.is_none()));
    if !shape.is_string() {
        return alts.collect();
    }
    let mut out: Vec<Option<J>> = Vec::new();
    let mut push = |v: String| {
        let v = Some(J::String(v));
        if !out.contains(&v) {
            out.push(v);
        }
    };
    for a in alts {
        match a {
            Some(J::String(s)) if s == OTHER_VALUE => {
                push(shape.sample(OTHER_VALUE).unwrap_or(s));
            }
            Some(J::String(s)) => {
                if shape.may_be(&s) {
                    push(s.clone());
                }
                let fill = s.replace(['*', '?'], "x");
                if let Some(filled) = shape.sample(&fill) {
                    push(filled);
                }
            }
            // A string is neither absent, a bool nor a structure.
            _ => {}
        }
    }
    out
}

/// A path a definition reads.
pub(crate) struct ReadPath {
    /// In the catalogue's casing.
    pub segs: Vec<Seg>,
    /// Lower case.
    pub lc: Vec<Seg>,
    pub literals: Vec<J>,
}

/// The values to try for an unknown at `path` (lower case): absent, and for
/// each read path at, under or above it: the literals compared with it,
/// `true`, `false` and a string no condition names, nested into objects
/// and one-member arrays when the unknown sits above the read path. Only
/// "absent" when no read path touches it.
fn alternatives(path: &[Seg], reads: &[ReadPath]) -> Vec<Option<J>> {
    let mut out: Vec<Option<J>> = vec![None];
    let mut push = |v: J| {
        let v = Some(v);
        if !out.contains(&v) {
            out.push(v);
        }
    };
    // Read paths strictly below the unknown, for combined alternatives.
    let mut below: Vec<(&[Seg], &[J])> = Vec::new();
    for r in reads {
        let n = path.len().min(r.lc.len());
        if path[..n] != r.lc[..n] {
            continue;
        }
        if r.lc.len() > n {
            below.push((&r.segs[n..], &r.literals));
        }
        let mut leaf_values = r.literals.clone();
        leaf_values.extend([J::Bool(true), J::Bool(false), J::from(OTHER_VALUE)]);
        for v in leaf_values {
            push(nest(&r.segs[n..], v));
        }
    }
    // Combined: every read path below set at once, with the k-th value each
    // compares against (e.g. a log entry both enabled and of category "audit").
    if below.len() > 1 {
        let rounds = below.iter().map(|(_, l)| l.len()).max().unwrap_or(0).max(1);
        for k in 0..rounds {
            let merged = below
                .iter()
                .map(|(segs, lits)| {
                    let leaf = lits
                        .get(k % lits.len().max(1))
                        .cloned()
                        .unwrap_or(J::Bool(true));
                    nest(segs, leaf)
                })
                .reduce(merge);
            if let Some(m) = merged {
                push(m);
            }
        }
    }
    out
}

/// `v` nested under `segs`: objects for keys, one-member arrays for `[*]`.
fn nest(segs: &[Seg], v: J) -> J {
    segs.iter().rev().fold(v, |acc, seg| match seg {
        Seg::Key(k) => {
            let mut m = Map::new();
            m.insert(k.clone(), acc);
            J::Object(m)
        }
        Seg::Any => J::Array(vec![acc]),
    })
}

/// Deep merge; structure (objects, arrays) wins over scalars, arrays merge
/// member by member.
fn merge(a: J, b: J) -> J {
    match (a, b) {
        (J::Object(mut x), J::Object(y)) => {
            for (k, v) in y {
                let merged = match x.remove(&k) {
                    Some(old) => merge(old, v),
                    None => v,
                };
                x.insert(k, merged);
            }
            J::Object(x)
        }
        (J::Array(x), J::Array(y)) => {
            let n = x.len().max(y.len());
            let mut xs = x.into_iter();
            let mut ys = y.into_iter();
            J::Array(
                (0..n)
                    .filter_map(|_| match (xs.next(), ys.next()) {
                        (Some(p), Some(q)) => Some(merge(p, q)),
                        (p, q) => p.or(q),
                    })
                    .collect(),
            )
        }
        (a @ (J::Object(_) | J::Array(_)), _) => a,
        (_, b) => b,
    }
}

/// The outcome over all combinations of alternatives: the common outcome, or
/// `Unknown` naming the unknowns whose value alone changes it. Combinations
/// that fail to evaluate (an alternative of a type the definition cannot
/// handle) are ignored unless all fail.
pub(crate) fn decide(
    vars: &[(String, Vec<Option<J>>)],
    outcomes: &[PolicyOutcome],
    digits: impl Fn(usize) -> Vec<usize>,
) -> PolicyOutcome {
    let ok: Vec<usize> = (0..outcomes.len())
        .filter(|i| !matches!(outcomes[*i], PolicyOutcome::Error { .. }))
        .collect();
    let Some(&first) = ok.first() else {
        return outcomes.first().cloned().unwrap_or(PolicyOutcome::Unknown {
            deciding: Vec::new(),
        });
    };
    if ok
        .iter()
        .all(|i| outcomes[*i].same_verdict(&outcomes[first]))
    {
        // Compliant under every alternative: a related resource is evidence
        // only when it is the same one under all of them.
        if ok.iter().any(|i| outcomes[*i] != outcomes[first]) {
            return PolicyOutcome::COMPLIANT;
        }
        return outcomes[first].clone();
    }
    let all: Vec<Vec<usize>> = (0..outcomes.len()).map(&digits).collect();
    let mut deciding = Vec::new();
    for (v, (expr, _)) in vars.iter().enumerate() {
        let decides = ok.iter().any(|&a| {
            ok.iter().any(|&b| {
                !outcomes[a].same_verdict(&outcomes[b])
                    && all[a]
                        .iter()
                        .zip(&all[b])
                        .enumerate()
                        .all(|(w, (x, y))| w == v || x == y)
            })
        });
        if decides {
            deciding.push(expr.clone());
        }
    }
    if deciding.is_empty() {
        deciding = vars.iter().map(|(e, _)| e.clone()).collect();
    }
    PolicyOutcome::Unknown { deciding }
}

#[cfg(test)]
mod pattern_tests {
    use super::*;
    use aml_model::value::Fragment;

    fn s(v: &str) -> Option<J> {
        Some(J::String(v.into()))
    }

    #[test]
    fn a_string_with_known_text_is_never_absent_empty_or_a_bool() {
        let shape = Shape::from_fragments(vec![
            Fragment::Hole("[vnetId]".into()),
            Fragment::Text("/subnets/".into()),
            Fragment::Hole("[subnet]".into()),
        ]);
        let alts = vec![
            None,
            s(""),
            Some(J::Bool(true)),
            s("*/subnets/*"),
            s("/subscriptions/*"),
            s("other"),
            s(OTHER_VALUE),
        ];
        let out = refine(alts, &shape);
        assert!(!out.contains(&None) && !out.contains(&s("")));
        assert!(out.iter().all(|a| matches!(a, Some(J::String(_)))));
        // Every alternative is a value the shape may take.
        for a in &out {
            let Some(J::String(v)) = a else {
                unreachable!()
            };
            assert!(shape.may_be(v), "{v}");
        }
        // A `like '/subscriptions/*'` some value meets is met by one.
        assert!(out
            .iter()
            .any(|a| matches!(a, Some(J::String(v)) if v.starts_with("/subscriptions/"))));
        // `other` itself is not possible; the value no condition names is.
        assert!(!out.contains(&s("other")));
        assert!(out.contains(&s(&format!("{OTHER_VALUE}/subnets/{OTHER_VALUE}"))));
    }

    #[test]
    fn allowed_values_win_and_unshaped_unknowns_keep_every_alternative() {
        let alts = vec![None, s("a"), Some(J::Bool(false))];
        assert_eq!(refine(alts.clone(), &Shape::default()), alts);
        let one = Shape::one_of(vec![aml_model::value::Value::str("Disabled")]);
        assert_eq!(refine(alts, &one), vec![s("Disabled")]);
    }
}
