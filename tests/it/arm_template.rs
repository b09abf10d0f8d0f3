//! The ARM front end on small templates, one language feature each: the
//! model it builds (types, names, ids, properties, positions) and the
//! diagnostics it gives.

use aml_baseline::scan::{scan, ScanOptions};
use aml_baseline::value::Value;

const HEAD: &str = r#""$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "contentVersion": "1.0.0.0""#;

fn model(files: &[(&str, &str)]) -> (tempfile::TempDir, aml_baseline::scan::ScanOutput) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let out = scan(&ScanOptions {
        paths: vec![dir.path().to_path_buf()],
        ..Default::default()
    });
    (dir, out)
}

fn find<'a>(
    out: &'a aml_baseline::scan::ScanOutput,
    name: &str,
) -> &'a aml_baseline::model::Resource {
    out.model
        .resources
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| {
            panic!(
                "no resource {name}: {:?}",
                out.model
                    .resources
                    .iter()
                    .map(|r| &r.name)
                    .collect::<Vec<_>>()
            )
        })
}

fn codes(out: &aml_baseline::scan::ScanOutput) -> Vec<&'static str> {
    out.diagnostics.iter().map(|d| d.code).collect()
}

#[test]
fn variables_with_copy_user_functions_and_escapes() {
    let t = format!(
        r#"{{ {HEAD},
  "functions": [{{ "namespace": "ml", "members": {{ "wsName": {{
      "parameters": [{{ "name": "env", "type": "string" }}],
      "output": {{ "type": "string", "value": "[concat('mlw-', parameters('env'))]" }} }} }} }}],
  "variables": {{
    "copy": [{{ "name": "clusters", "count": 2, "input": "[concat('cluster-', copyIndex('clusters'))]" }}],
    "literal": "[[not an expression]"
  }},
  "resources": [
    {{ "type": "Microsoft.MachineLearningServices/workspaces", "apiVersion": "2024-04-01",
       "name": "[ml.wsName('prod')]", "location": "westeurope",
       "properties": {{ "description": "[variables('literal')]", "friendlyName": "[variables('clusters')[1]]" }} }}
  ]
}}"#
    );
    let (_d, out) = model(&[("main.json", &t)]);
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    let ws = find(&out, "mlw-prod");
    assert_eq!(
        ws.get("properties.description"),
        Some(&Value::str("[not an expression]"))
    );
    assert_eq!(
        ws.get("properties.friendlyName"),
        Some(&Value::str("cluster-1"))
    );
    assert_eq!(
        ws.id,
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/mlw-prod"
    );
}

#[test]
fn copy_loops_conditions_children_and_existing() {
    let t = format!(
        r#"{{ {HEAD},
  "parameters": {{ "deployCi": {{ "type": "bool", "defaultValue": false }}, "maybe": {{ "type": "bool" }} }},
  "resources": [
    {{ "type": "Microsoft.MachineLearningServices/workspaces", "apiVersion": "2024-04-01", "name": "ws", "location": "x",
       "resources": [
         {{ "type": "computes", "apiVersion": "2024-04-01", "name": "[concat('c', copyIndex())]", "location": "x",
            "copy": {{ "name": "loop", "count": 3 }}, "properties": {{ "computeType": "AmlCompute" }} }}
       ] }},
    {{ "condition": "[parameters('deployCi')]", "type": "Microsoft.MachineLearningServices/workspaces/computes",
       "apiVersion": "2024-04-01", "name": "ws/ci", "properties": {{ "computeType": "ComputeInstance" }} }},
    {{ "condition": "[parameters('maybe')]", "type": "Microsoft.MachineLearningServices/workspaces/computes",
       "apiVersion": "2024-04-01", "name": "ws/maybe", "properties": {{ "computeType": "ComputeInstance" }} }},
    {{ "existing": true, "type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-02-01", "name": "kv" }}
  ]
}}"#
    );
    let (_d, out) = model(&[("main.json", &t)]);
    for i in 0..3 {
        let c = find(&out, &format!("ws/c{i}"));
        assert_eq!(
            c.resource_type,
            "Microsoft.MachineLearningServices/workspaces/computes"
        );
        assert!(c.parent_id.as_deref().unwrap().ends_with("/workspaces/ws"));
    }
    assert!(
        out.model.resources.iter().all(|r| r.name != "ws/ci"),
        "a false condition is not deployed"
    );
    let maybe = find(&out, "ws/maybe");
    assert!(matches!(
        maybe.deployed,
        aml_baseline::model::Deployed::Unknown { .. }
    ));
    assert!(find(&out, "kv").existing);
    assert!(codes(&out).contains(&"parameter-missing"));
}

#[test]
fn symbolic_resources_nested_deployments_and_extension_scopes() {
    let t = format!(
        r#"{{ {HEAD}, "languageVersion": "2.0",
  "parameters": {{ "pna": {{ "type": "string", "defaultValue": "Disabled" }} }},
  "resources": {{
    "ws": {{ "type": "Microsoft.MachineLearningServices/workspaces", "apiVersion": "2024-04-01", "name": "ws", "location": "x" }},
    "diag": {{ "type": "Microsoft.Insights/diagnosticSettings", "apiVersion": "2021-05-01-preview", "name": "d",
               "scope": "ws", "properties": {{ "logs": [{{ "categoryGroup": "allLogs", "enabled": true }}] }} }},
    "inner": {{ "type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "inner",
      "properties": {{ "mode": "Incremental", "expressionEvaluationOptions": {{ "scope": "inner" }},
        "parameters": {{ "access": {{ "value": "[parameters('pna')]" }} }},
        "template": {{ {HEAD}, "parameters": {{ "access": {{ "type": "string" }} }},
          "resources": [{{ "type": "Microsoft.MachineLearningServices/registries", "apiVersion": "2024-04-01",
                          "name": "reg", "location": "x", "properties": {{ "publicNetworkAccess": "[parameters('access')]" }} }}] }} }} }},
    "outer": {{ "type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "outer",
      "properties": {{ "mode": "Incremental",
        "template": {{ {HEAD}, "resources": [{{ "type": "Microsoft.MachineLearningServices/registries", "apiVersion": "2024-04-01",
                          "name": "reg2", "location": "x", "properties": {{ "publicNetworkAccess": "[parameters('pna')]" }} }}] }} }} }}
  }}
}}"#
    );
    let (_d, out) = model(&[("main.json", &t)]);
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    let diag = find(&out, "d");
    assert!(diag
        .scope_id
        .as_deref()
        .unwrap()
        .ends_with("/workspaces/ws"));
    assert_eq!(diag.symbol.as_deref(), Some("diag"));
    assert_eq!(
        find(&out, "reg").get("properties.publicNetworkAccess"),
        Some(&Value::str("Disabled"))
    );
    assert_eq!(
        find(&out, "reg2").get("properties.publicNetworkAccess"),
        Some(&Value::str("Disabled"))
    );
}

#[test]
fn linked_templates_are_followed_inside_the_tree_and_never_fetched() {
    let main = format!(
        r#"{{ {HEAD},
  "resources": [
    {{ "type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "local",
       "properties": {{ "mode": "Incremental", "templateLink": {{ "relativePath": "modules/ws.json" }},
                        "parameters": {{ "name": {{ "value": "linked-ws" }} }} }} }},
    {{ "type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "remote",
       "properties": {{ "mode": "Incremental", "templateLink": {{ "uri": "https://example.com/ws.json" }} }} }},
    {{ "type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "escape",
       "properties": {{ "mode": "Incremental", "templateLink": {{ "relativePath": "../../outside.json" }} }} }}
  ]
}}"#
    );
    let module = format!(
        r#"{{ {HEAD}, "parameters": {{ "name": {{ "type": "string" }} }},
  "resources": [{{ "type": "Microsoft.MachineLearningServices/workspaces", "apiVersion": "2024-04-01",
                  "name": "[parameters('name')]", "location": "x" }}] }}"#
    );
    let (_d, out) = model(&[("main.json", &main), ("modules/ws.json", &module)]);
    let ws = find(&out, "linked-ws");
    assert_eq!(
        ws.resource_type,
        "Microsoft.MachineLearningServices/workspaces"
    );
    // The linked template is not evaluated again on its own (no missing-parameter noise).
    assert!(
        !codes(&out).contains(&"parameter-missing"),
        "{:?}",
        out.diagnostics
    );
    let links: Vec<&String> = out
        .diagnostics
        .iter()
        .filter(|d| d.code == "template-link")
        .map(|d| &d.message)
        .collect();
    assert_eq!(links.len(), 2, "{links:?}");
    assert!(links.iter().any(|m| m.contains("never fetched")));
    assert!(links
        .iter()
        .any(|m| m.contains("outside the scan's boundary")));
}

#[test]
fn gitignored_templates_are_not_scanned() {
    let t = format!(
        r#"{{ {HEAD}, "resources": [{{ "type": "Microsoft.MachineLearningServices/workspaces", "apiVersion": "2024-04-01", "name": "ignored", "location": "x" }}] }}"#
    );
    let (_d, out) = model(&[
        (".gitignore", "build/\n"),
        ("build/main.json", &t),
        ("src/main.json", &t.replace("ignored", "kept")),
    ]);
    let names: Vec<&str> = out
        .model
        .resources
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(names, ["kept"]);
}

#[test]
fn positions_point_at_the_value_that_sets_a_property() {
    let t = format!(
        "{{ {HEAD},\n  \"parameters\": {{ \"pna\": {{ \"type\": \"string\", \"defaultValue\": \"Enabled\" }} }},\n  \"resources\": [\n    {{\n      \"type\": \"Microsoft.MachineLearningServices/workspaces\", \"apiVersion\": \"2024-04-01\", \"name\": \"ws\", \"location\": \"x\",\n      \"properties\": {{\n        \"publicNetworkAccess\": \"[parameters('pna')]\"\n      }}\n    }}\n  ]\n}}"
    );
    let (_d, out) = model(&[("main.json", &t)]);
    let ws = find(&out, "ws");
    let (path, line, column) = out
        .sources
        .position(ws.span_of("properties.publicNetworkAccess"));
    assert!(path.ends_with("main.json"));
    assert_eq!((line, column), (7, 32));
    // An absent property points at the resource.
    let (_, line, _) = out
        .sources
        .position(ws.span_of("properties.encryption.status"));
    assert_eq!(line, 6, "the enclosing `properties` object");
    let (_, line, _) = out.sources.position(ws.span_of("identity.type"));
    assert_eq!(line, 4, "the resource itself");
}
