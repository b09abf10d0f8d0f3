//! Parameter traps: parameter values with which a shipped definition does
//! something else than its name suggests, found where an assignment (directly
//! or through an initiative member) gives them. The verdicts stay Azure's;
//! these say why (docs/decisions/0036-shipped-initiatives-and-registry-models.md).

use crate::assignment::{last_segment, AssignmentSet, Binding, Initiative, Member};
use serde_json::{Map, Value as J};

/// A known trap: when every `(parameter, value)` of `when` holds for a
/// binding of `definition`, Azure does `what`.
struct Trap {
    /// The definition's name (GUID) or its first 8 hex digits.
    definition: &'static str,
    /// `(parameter, value as JSON text)`; strings compare case-insensitively.
    when: &'static [(&'static str, &'static str)],
    /// What Azure does with these values.
    what: &'static str,
    /// What to assign instead.
    instead: &'static str,
}

const TRAPS: &[Trap] = &[
    Trap {
        definition: "6ddb1705",
        when: &[("isolationMode", r#""Disabled""#)],
        what: "the definition flags every workspace whose managed network isolation mode is not Disabled, so every workspace that does use a managed network (AllowInternetOutbound or AllowOnlyApprovedOutbound) is non-compliant and only isolationMode Disabled passes",
        instead: "assign isolationMode = AllowOnlyApprovedOutbound (what NS-1/NS-2 ask for)",
    },
    Trap {
        definition: "12e5dd16",
        when: &[("allowedPublishers", "[]"), ("allowedAssetIds", "[]")],
        what: "no publisher and no asset id is approved, so every deployment of a registry model is non-compliant",
        instead: "assign allowedPublishers or allowedAssetIds (asset ids may be prefixes such as azureml://registries/<registry>/models/)",
    },
    Trap {
        definition: "19539b54",
        when: &[("allowedRegistryName", r#""""#)],
        what: "no registry is allowed, so every deployment of a model from any registry (azureml://registries/..., Microsoft's azureml registry included) is denied",
        instead: "assign allowedRegistryName (the registry the organisation's models come from), or set the effect to Disabled",
    },
    Trap {
        definition: "e413671a",
        when: &[("effect", r#""Deny""#)],
        what: "the definition asks for v1LegacyMode = true (V1 network isolation, without the V2 features), so with Deny every workspace that does not enable V1 legacy mode is denied",
        instead: "use Audit or Disabled for this member; a Deny that keeps workspaces off legacy mode needs a definition of its own",
    },
    Trap {
        definition: "ba769a63",
        when: &[("effect", r#""Disabled""#)],
        what: "the member is switched off: customer-managed key encryption of workspaces is not checked",
        instead: "assign its effect parameter Audit (or Deny)",
    },
];

/// A trap found on a binding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrapFinding {
    /// For the binding's results: the values and what Azure does with them.
    pub note: String,
    /// For a diagnostic: the assignment, initiative and member, the values
    /// and where each comes from, what Azure does, and what to assign instead.
    pub message: String,
}

fn same(a: &J, b: &J) -> bool {
    match (a, b) {
        (J::String(x), J::String(y)) => x.eq_ignore_ascii_case(y),
        _ => a == b,
    }
}

/// Where the value of parameter `name` of a binding comes from.
fn origin(
    set: &AssignmentSet,
    b: &Binding,
    initiative: Option<(&Initiative, &Member)>,
    name: &str,
) -> String {
    let a = &set.assignments[b.assignment];
    let find = |m: &Map<String, J>, k: &str| {
        m.iter()
            .find(|(x, _)| x.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.clone())
    };
    let Some((_, member)) = initiative else {
        return if find(&a.parameters, name).is_some() {
            format!("set by assignment '{}'", a.name)
        } else {
            "the definition's default: the assignment sets none".to_string()
        };
    };
    match find(&member.parameters, name) {
        None => "the definition's default: the initiative passes no value for it, so an assignment of the initiative cannot change it".to_string(),
        Some(J::String(s)) if crate::rewrite::param_ref(&s).is_some() => {
            let p = crate::rewrite::param_ref(&s).unwrap_or_default();
            if find(&a.parameters, p).is_some() {
                format!("assignment '{}' sets the initiative's parameter '{p}'", a.name)
            } else {
                format!(
                    "the default of the initiative's parameter '{p}', which the assignment does not set"
                )
            }
        }
        Some(_) => "a literal in the initiative".to_string(),
    }
}

/// The traps of binding `b` of `set`: each known trap of its definition
/// whose values the binding's parameters (over the definition's defaults)
/// give.
pub fn parameter_traps(set: &AssignmentSet, b: &Binding) -> Vec<TrapFinding> {
    let engine = &set.library.engine;
    let Some(d) = engine.definitions().get(b.definition) else {
        return Vec::new();
    };
    let a = &set.assignments[b.assignment];
    let initiative = set
        .library
        .initiative(last_segment(&a.definition_id))
        .filter(|_| b.reference_id.is_some())
        .and_then(|i| {
            let r = b.reference_id.as_deref()?;
            let m = i
                .members
                .iter()
                .find(|m| m.reference_id.eq_ignore_ascii_case(r))?;
            Some((i, m))
        });
    let mut out = Vec::new();
    for t in TRAPS
        .iter()
        .filter(|t| crate::matches_name(&d.name, t.definition))
    {
        let mut values = Vec::new();
        let holds = t.when.iter().all(|(name, want)| {
            let want: J = serde_json::from_str(want).unwrap_or(J::Null);
            match engine.parameter_value(b.definition, &b.params, name) {
                Some(v) if same(&v, &want) => {
                    values.push((*name, v));
                    true
                }
                _ => false,
            }
        });
        let about_effect = t.when.iter().any(|(n, _)| n.eq_ignore_ascii_case("effect"));
        let disabled = b
            .effect
            .as_deref()
            .is_some_and(|e| e.eq_ignore_ascii_case("disabled"));
        if !holds || (disabled && !about_effect) {
            continue;
        }
        let short: Vec<String> = values.iter().map(|(n, v)| format!("{n} = {v}")).collect();
        let long: Vec<String> = values
            .iter()
            .map(|(n, v)| format!("{n} = {v} ({})", origin(set, b, initiative, n)))
            .collect();
        // A value the initiative does not pass can only change in an
        // assignment of the definition itself.
        let unpassed: Vec<&str> = match initiative {
            Some((_, m)) => values
                .iter()
                .map(|(n, _)| *n)
                .filter(|n| !m.parameters.keys().any(|k| k.eq_ignore_ascii_case(n)))
                .collect(),
            None => Vec::new(),
        };
        let instead = if unpassed.is_empty() {
            t.instead.to_string()
        } else {
            format!(
                "{} (the initiative does not pass {}: only an assignment of definition {} itself can set it)",
                t.instead,
                unpassed.join(" or "),
                short_name(&d.name)
            )
        };
        let whose = match initiative {
            Some((i, m)) => format!(
                "initiative {} member '{}' (definition {})",
                i.label(),
                m.reference_id,
                short_name(&d.name)
            ),
            None => format!("definition {}", short_name(&d.name)),
        };
        out.push(TrapFinding {
            note: format!("parameter trap: {}: {}", short.join(", "), t.what),
            message: format!(
                "assignment '{}', {whose}: {}; Azure evaluates it as written: {}; to check what the name suggests, {}",
                a.name,
                long.join(", "),
                t.what,
                instead
            ),
        });
    }
    out
}

/// A GUID's first 8 hex digits (the project's short name); other names as is.
fn short_name(name: &str) -> &str {
    if name.len() == 36 && name.as_bytes()[8] == b'-' {
        &name[..8]
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{parse_assignments, PolicyLibrary};

    fn traps_of(assignments: &str) -> Vec<TrapFinding> {
        let (library, errors) = PolicyLibrary::load(Vec::new(), None);
        assert!(errors.is_empty(), "{errors:?}");
        let file = parse_assignments("a.json", assignments).unwrap();
        let (set, problems) = AssignmentSet::resolve(library, file);
        assert!(problems.is_empty(), "{problems:?}");
        set.bindings
            .iter()
            .flat_map(|b| parameter_traps(&set, b))
            .collect()
    }

    #[test]
    fn a_direct_assignment_says_it_set_the_value_and_a_good_value_is_no_trap() {
        let one = |params: &str| {
            format!(
                r#"[{{"name": "iso", "scope": "/", "policyDefinitionId": "/providers/Microsoft.Authorization/policyDefinitions/6ddb1705-c8cf-450e-aa4b-19ad6703c440", "parameters": {params}}}]"#
            )
        };
        let set = traps_of(&one(r#"{"isolationMode": {"value": "Disabled"}}"#));
        assert_eq!(set.len(), 1);
        assert!(
            set[0].message.starts_with("assignment 'iso', definition 6ddb1705: isolationMode = \"Disabled\" (set by assignment 'iso')"),
            "{}",
            set[0].message
        );
        assert!(set[0]
            .note
            .starts_with("parameter trap: isolationMode = \"Disabled\": "));
        // The definition's default is the trap too; a chosen mode is not.
        assert_eq!(traps_of(&one("{}")).len(), 1);
        assert!(traps_of(&one(
            r#"{"isolationMode": {"value": "AllowOnlyApprovedOutbound"}}"#
        ))
        .is_empty());
        // A disabled binding is no trap (it gives no result).
        assert!(traps_of(&one(r#"{"effect": {"value": "Disabled"}}"#)).is_empty());
    }
}
