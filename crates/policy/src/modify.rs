//! The `operations` of the shipped Modify definitions, as ARM edits: what
//! `aml-baseline fix` writes for a rule whose fix is the definition's own.

use crate::builtin::BUILTIN;
use crate::catalogue::Catalogue;

/// One `addOrReplace` operation of a Modify definition.
#[derive(Clone, Debug, PartialEq)]
pub struct ModifyOperation {
    /// The alias the operation writes, as the definition names it.
    pub field: String,
    /// The ARM path of the alias from the resource (`properties.publicNetworkAccess`).
    pub path: String,
    /// The value written.
    pub value: serde_json::Value,
}

/// The `addOrReplace` operations of a shipped Modify definition (by full GUID
/// or its first 8 hex digits), with each alias resolved to its ARM path for
/// `api_version`. Empty when the definition is not shipped, not a Modify
/// definition, or an alias is not in the catalogue (nothing is guessed).
/// `remove` operations and values that are expressions are left out.
pub fn modify_operations(definition: &str, api_version: Option<&str>) -> Vec<ModifyOperation> {
    let Some(def) = BUILTIN.iter().find_map(|(_, text)| {
        let v: serde_json::Value = serde_json::from_str(text).ok()?;
        let name = v.get("name")?.as_str()?;
        crate::matches_name(name, definition).then_some(v)
    }) else {
        return Vec::new();
    };
    let Some(ops) = def
        .pointer("/properties/policyRule/then/details/operations")
        .and_then(serde_json::Value::as_array)
    else {
        return Vec::new();
    };
    let catalogue = Catalogue::shipped_arc();
    let mut out = Vec::new();
    for op in ops {
        let kind = op.get("operation").and_then(serde_json::Value::as_str);
        if !kind.is_some_and(|k| k.eq_ignore_ascii_case("addOrReplace")) {
            continue;
        }
        let (Some(field), Some(value)) = (
            op.get("field").and_then(serde_json::Value::as_str),
            op.get("value"),
        ) else {
            continue;
        };
        if value.as_str().is_some_and(|s| s.starts_with('[')) {
            continue;
        }
        let Some(alias) = catalogue.alias(field) else {
            return Vec::new();
        };
        out.push(ModifyOperation {
            field: field.to_string(),
            path: alias.path(api_version).to_string(),
            value: value.clone(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_public_network_access_modify() {
        let ops = modify_operations("a10ee784", Some("2024-04-01"));
        assert_eq!(ops.len(), 1);
        assert_eq!(ops[0].path, "properties.publicNetworkAccess");
        assert_eq!(ops[0].value, serde_json::json!("Disabled"));
    }

    #[test]
    fn compute_local_auth_modify() {
        let ops = modify_operations("a6f9a2d0-cff7-4855-83ad-4cd750666512", None);
        assert_eq!(ops.len(), 1);
        assert_eq!(ops[0].path, "properties.disableLocalAuth");
        assert_eq!(ops[0].value, serde_json::json!(true));
    }

    #[test]
    fn audit_definitions_have_no_operations() {
        assert!(modify_operations("438c38d2", None).is_empty());
        assert!(modify_operations("00000000", None).is_empty());
    }
}
