//! Property tests for the expression evaluators: no panic on any text or
//! token stream, generated ARM expressions evaluate the same way twice
//! (the AST has no printer, so determinism stands in for a round trip), and
//! Bicep files built around generated expressions are read without a panic.

use crate::fuzz_targets as targets;

use aml_baseline::expr::{self, DeploymentContext, ExprEnv};
use aml_baseline::value::Value;
use proptest::prelude::*;

struct Env(DeploymentContext);

impl ExprEnv for Env {
    fn parameter(&self, name: &str) -> Result<Value, String> {
        match name {
            "s" => Ok(Value::str("text")),
            "n" => Ok(Value::Int(3)),
            "u" => Ok(Value::unknown("parameters('u')", "no value")),
            _ => Err(format!("parameter '{name}' is not defined")),
        }
    }
    fn variable(&self, name: &str) -> Result<Value, String> {
        self.parameter(name)
    }
    fn copy_index(&self, _: Option<&str>) -> Result<i64, String> {
        Ok(1)
    }
    fn context(&self) -> &DeploymentContext {
        &self.0
    }
    fn reference(&self, _: &Value, _: Option<&Value>, _: bool) -> Value {
        Value::unknown("reference()", "not in the deployment")
    }
    fn user_function(&self, _: &str, _: &str, _: Vec<Value>) -> Option<Result<Value, String>> {
        None
    }
}

/// Tokens of the expression language, glued at random.
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("(".to_string()),
        Just(")".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just(",".to_string()),
        Just(".".to_string()),
        Just("'".to_string()),
        Just("''".to_string()),
        "[a-zA-Z]{1,8}",
        "-?[0-9]{1,20}",
        "'[^']{0,6}'",
        Just("concat".to_string()),
        Just("parameters('u')".to_string()),
        Just(" ".to_string()),
    ]
}

const FUNCTIONS: &[(&str, usize)] = &[
    ("concat", 2),
    ("add", 2),
    ("sub", 2),
    ("mul", 2),
    ("div", 2),
    ("mod", 2),
    ("equals", 2),
    ("if", 3),
    ("string", 1),
    ("length", 1),
    ("toLower", 1),
    ("createArray", 2),
    ("union", 2),
    ("contains", 2),
    ("split", 2),
    ("replace", 3),
    ("substring", 3),
    ("padLeft", 3),
    ("range", 2),
    ("json", 1),
    ("base64", 1),
    ("uniqueString", 1),
    ("format", 2),
    ("first", 1),
    ("not", 1),
    ("and", 2),
    ("coalesce", 2),
];

/// Well-formed expressions over literals, parameters and the functions above.
fn expression() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        (-1000i64..1000).prop_map(|n| n.to_string()),
        "[a-z0-9 ,{}]{0,6}".prop_map(|s| format!("'{s}'")),
        Just("parameters('s')".to_string()),
        Just("parameters('n')".to_string()),
        Just("parameters('u')".to_string()),
        Just("true()".to_string()),
        Just("createObject('a', 1)".to_string()),
    ];
    leaf.prop_recursive(5, 48, 3, |inner| {
        (0..FUNCTIONS.len(), prop::collection::vec(inner, 3)).prop_map(|(f, args)| {
            let (name, arity) = FUNCTIONS[f];
            format!("{name}({})", args[..arity].join(", "))
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn no_panic_on_any_text(text in "\\PC{0,80}") {
        let env = Env(DeploymentContext::default());
        let _ = expr::parse(&text);
        let _ = expr::eval_str(&text, &env);
        let _ = expr::eval_str(&format!("[{text}]"), &env);
    }

    #[test]
    fn no_panic_on_any_token_stream(tokens in prop::collection::vec(token(), 0..40)) {
        let text = format!("[{}]", tokens.concat());
        let env = Env(DeploymentContext::default());
        let first = expr::parse(&text).map(|e| format!("{e:?}"));
        let second = expr::parse(&text).map(|e| format!("{e:?}"));
        prop_assert_eq!(first.is_ok(), second.is_ok());
        if let (Ok(a), Ok(b)) = (first, second) {
            prop_assert_eq!(a, b);
        }
        let _ = expr::eval_str(&text, &env);
    }

    #[test]
    fn generated_expressions_parse_and_evaluate_the_same_twice(e in expression()) {
        let text = format!("[{e}]");
        let env = Env(DeploymentContext::default());
        prop_assert!(expr::parse(&text).is_ok(), "{} does not parse", text);
        let a = expr::eval_str(&text, &env).map_err(|e| e.to_string());
        let b = expr::eval_str(&text, &env).map_err(|e| e.to_string());
        prop_assert_eq!(format!("{a:?}"), format!("{b:?}"));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Bicep shares ARM's function library: generated expressions in a
    /// variable, a resource property and a loop are read without a panic.
    #[test]
    fn bicep_files_with_generated_expressions(e in expression(), f in expression()) {
        let text = format!(
            "param s string = 'text'\nparam n int = 3\nvar v = {e}\nresource ws 'Microsoft.MachineLearningServices/workspaces@2024-04-01' = [for i in range(0, 2): {{\n  name: 'ws${{i}}'\n  location: 'westeurope'\n  properties: {{\n    friendlyName: string({f})\n    description: string(v)\n  }}\n}}]\n"
        )
        .replace("parameters('s')", "s")
        .replace("parameters('n')", "n")
        .replace("parameters('u')", "s")
        .replace("true()", "true")
        .replace("createObject('a', 1)", "{ a: 1 }");
        targets::bicep(text.as_bytes());
    }

    #[test]
    fn bicep_token_soup_never_panics(tokens in prop::collection::vec(token(), 0..60)) {
        let text = format!("var x = {}\nresource r 'a/b@1' = {{\n  name: {}\n}}\n", tokens.concat(), tokens.concat());
        targets::bicep(text.as_bytes());
    }
}
