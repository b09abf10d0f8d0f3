//! The template function library: `concat`, `resourceId`, `uniqueString`, ...
//!
//! Shared by the ARM front end and (later) the Bicep one, so nothing here
//! knows ARM syntax: a function gets already-evaluated [`Value`]s. The lazy
//! functions (`if`, `and`, `or`, `coalesce`) and the lambda functions are
//! evaluated specially by [`crate::expr`]; their eager forms here give the
//! same results for evaluated arguments.
//!
//! All functions are in one dispatch table ([`TABLE`]), grouped by family;
//! the implementations are in one module per family. Names are
//! case-insensitive. Any function whose name starts with `list` (`listKeys`,
//! `listSecrets`, ...) returns an unknown: its values only exist in a deployed
//! resource and are never fabricated.
//!
//! # Unknown values
//!
//! Each function declares how it treats [`Value::Unknown`] arguments
//! ([`Unknowns`]): most return an unknown naming the call as soon as any
//! argument contains one; structure-preserving functions (`length`,
//! `createObject`, `union`, ...) only when a whole argument is unknown; a few
//! decide case by case (`equals`, `contains`, `and`, ...).

mod args;
mod array;
mod cidr;
mod comparison;
mod date;
mod deployment;
mod encoding;
mod format;
mod hash;
pub mod lambda;
pub mod limits;
mod logical;
mod numeric;
mod object;
mod resource;
mod string;

pub use hash::{guid, unique_string};

use crate::env::ExprEnv;
use aml_model::value::{Shape, Unknown, Value};
use std::sync::LazyLock;

/// Calls a template function by (case-insensitive) name with
/// already-evaluated arguments. Unknown results name the call as
/// `name(arg, ...)` rendered from the arguments; use [`call_with_text`] to
/// name it with the source text instead.
pub fn call(name: &str, args: Vec<Value>, env: &dyn ExprEnv) -> Result<Value, String> {
    let text = render_call(name, &args);
    call_with_text(name, args, env, &text)
}

/// Like [`call`], with the call's source text, used for unknown results.
pub fn call_with_text(
    name: &str,
    args: Vec<Value>,
    env: &dyn ExprEnv,
    text: &str,
) -> Result<Value, String> {
    let Some(def) = lookup(name) else {
        if is_list_function(name) {
            return Ok(Value::unknown(
                text,
                format!("{name}() returns keys or other runtime values of a deployed resource; they are never read"),
            ));
        }
        return Err(format!("unknown function '{name}'"));
    };
    check_arity(def, args.len())?;
    if def.name == "format" && args.iter().any(Value::contains_unknown) {
        if let Some(v) = with_holes(def, &args, env, text) {
            return Ok(v);
        }
    }
    if let Some(u) = propagated_unknown(def.unknowns, &args) {
        let reason = u.reason.clone();
        if let Some(v) = over_allowed_values(def, &args, env, text) {
            return Ok(v);
        }
        if ID_FUNCTIONS.contains(&def.name) {
            if let Some(v) = id_with_placeholders(def, &args, env, text, &reason) {
                return Ok(v);
            }
        }
        if let Some(v) = with_holes(def, &args, env, text) {
            return Ok(v);
        }
        return Ok(Value::unknown(text, reason));
    }
    call_known(def, args, env, text)
}

fn call_known(def: &Def, args: Vec<Value>, env: &dyn ExprEnv, text: &str) -> Result<Value, String> {
    let call = Call { text, env };
    let value = (def.imp)(&call, args).map_err(|m| format!("{}: {m}", def.name))?;
    limits::check_value(&value).map_err(|m| format!("{}: {m}", def.name))?;
    Ok(value)
}

/// Functions that build resource ids: with unknown arguments they still
/// name one resource, whose id holds a placeholder for each unknown.
const ID_FUNCTIONS: &[&str] = &[
    "resourceId",
    "subscriptionResourceId",
    "tenantResourceId",
    "extensionResourceId",
    "managementGroupResourceId",
];

/// Most combinations of allowed values a call is evaluated over.
const MAX_ALLOWED_COMBINATIONS: usize = 64;

/// A call whose unknown arguments each have a known set of allowed values
/// (see [`Shape::allowed`]): the call over every combination. One result for
/// all is that result; several give an unknown that may take exactly those.
/// `None` when an unknown has no such set, there are too many combinations,
/// or a combination fails or gives an unknown.
fn over_allowed_values(def: &Def, args: &[Value], env: &dyn ExprEnv, text: &str) -> Option<Value> {
    let sets: Vec<Option<&[Value]>> = args
        .iter()
        .map(|a| match a {
            Value::Unknown(u) => u.shape.allowed.as_deref().map(Some),
            other => (!other.contains_unknown()).then_some(None),
        })
        .collect::<Option<Vec<_>>>()?;
    let total = sets
        .iter()
        .flatten()
        .try_fold(1usize, |acc, s| acc.checked_mul(s.len()))
        .filter(|n| (1..=MAX_ALLOWED_COMBINATIONS).contains(n))?;
    let mut results: Vec<Value> = Vec::new();
    for mut i in 0..total {
        let combination: Vec<Value> = args
            .iter()
            .zip(&sets)
            .map(|(a, set)| match set {
                Some(values) => {
                    let v = values[i % values.len()].clone();
                    i /= values.len();
                    v
                }
                None => a.clone(),
            })
            .collect();
        let v = call_known(def, combination, env, text).ok()?;
        if v.contains_unknown() {
            return None;
        }
        if !results.contains(&v) {
            results.push(v);
        }
    }
    if results.len() == 1 {
        return results.pop();
    }
    Some(Value::unknown_shaped(
        text,
        "depends on values the files leave open among their allowed values",
        Shape::one_of(results),
    ))
}

/// An id function called with unknown arguments: the id with each unknown
/// written as its placeholder (or, for an unknown id, its identity), as an
/// unknown that names that resource.
fn id_with_placeholders(
    def: &Def,
    args: &[Value],
    env: &dyn ExprEnv,
    text: &str,
    reason: &str,
) -> Option<Value> {
    let filled: Vec<Value> = args
        .iter()
        .map(|a| match a {
            Value::Unknown(u) => {
                Value::String(u.shape.identity.clone().unwrap_or_else(|| u.placeholder()))
            }
            other => other.clone(),
        })
        .collect();
    if filled.iter().any(Value::contains_unknown) {
        return None;
    }
    let Ok(Value::String(id)) = call_known(def, filled, env, text) else {
        return None;
    };
    let resource_type = aml_model::model::resource_type_of(&id);
    Some(Value::unknown_shaped(
        text,
        reason,
        Shape::resource_id(&id, resource_type.as_deref()),
    ))
}

/// A string function (`concat`, `format`, `join`) called with unknown
/// parts: the call with a marker for each unknown, so that the result keeps
/// the known text and where the unknowns fall ([`Shape::pattern`]).
/// `None` for other functions, when the call is not about strings (an
/// array `concat`, an unknown format string or array), or when a marker did
/// not survive the call intact.
fn with_holes(def: &Def, args: &[Value], env: &dyn ExprEnv, text: &str) -> Option<Value> {
    use aml_model::pattern::{fragments_of, hole_marker, interpolated, unmark};
    let mut holes: Vec<Vec<aml_model::value::Fragment>> = Vec::new();
    let mut reason = None;
    let mut mark = |v: &Value| -> Option<Value> {
        match v {
            Value::Unknown(u) => {
                reason.get_or_insert_with(|| u.reason.clone());
                holes.push(fragments_of(v)?);
                Some(Value::String(hole_marker(holes.len() - 1)))
            }
            other => Some(other.clone()),
        }
    };
    let is_text = |v: &Value| matches!(v, Value::String(s) if !s.is_empty());
    let filled: Vec<Value> = match def.name {
        // A string concat: some argument is known text.
        "concat" if args.iter().any(is_text) => {
            args.iter().map(&mut mark).collect::<Option<_>>()?
        }
        "format" if args.first().is_some_and(is_text) => {
            let mut out = vec![args[0].clone()];
            for a in &args[1..] {
                out.push(mark(a)?);
            }
            out
        }
        "join" => match (args.first(), args.get(1)) {
            (Some(Value::Array(items)), Some(d @ Value::String(_))) => vec![
                Value::Array(items.iter().map(&mut mark).collect::<Option<_>>()?),
                d.clone(),
            ],
            _ => return None,
        },
        _ => return None,
    };
    if holes.is_empty() || filled.iter().any(Value::contains_unknown) {
        return None;
    }
    let Ok(Value::String(s)) = call_known(def, filled, env, text) else {
        return None;
    };
    let fragments = unmark(&s, &holes)?;
    Some(interpolated(
        text,
        reason.unwrap_or_else(|| "a part of the string is unknown".into()),
        fragments,
    ))
}

/// Names of all functions the library knows (for diagnostics / docs), in
/// table order; `list*` stands for every function starting with `list`.
pub fn known_functions() -> &'static [&'static str] {
    static NAMES: LazyLock<Vec<&'static str>> =
        LazyLock::new(|| TABLE.iter().map(|d| d.name).chain(["list*"]).collect());
    &NAMES
}

/// True when `name` is a function of the library (including `list*`).
pub fn is_known(name: &str) -> bool {
    lookup(name).is_some() || is_list_function(name)
}

/// Checks the number of arguments of a call without evaluating it; `Err`
/// says how many the function takes. Unknown names are `Ok` here (see
/// [`is_known`]).
pub fn check_arg_count(name: &str, count: usize) -> Result<(), String> {
    match lookup(name) {
        Some(def) => check_arity(def, count),
        None => Ok(()),
    }
}

/// The canonical spelling of a known function name (`tolower` -> `toLower`).
pub fn canonical_name(name: &str) -> Option<&'static str> {
    lookup(name).map(|d| d.name)
}

fn is_list_function(name: &str) -> bool {
    name.len() > 4 && name.is_char_boundary(4) && name[..4].eq_ignore_ascii_case("list")
}

/// What a function implementation sees besides its arguments.
pub(crate) struct Call<'a> {
    /// Source text of the call, used as the text of unknown results.
    pub text: &'a str,
    /// The template the call is evaluated in.
    pub env: &'a dyn ExprEnv,
}

impl Call<'_> {
    /// An unknown value naming this call.
    pub fn unknown(&self, reason: impl Into<String>) -> Value {
        Value::unknown(self.text, reason)
    }

    /// An unknown naming this call, with the reason of another unknown.
    pub fn unknown_from(&self, u: &Unknown) -> Value {
        Value::unknown(self.text, u.reason.clone())
    }
}

/// A function implementation.
pub(crate) type Impl = fn(&Call<'_>, Vec<Value>) -> Result<Value, String>;

/// How a function treats unknown arguments before it is called.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unknowns {
    /// An unknown anywhere in any argument makes the result unknown.
    Propagate,
    /// Only an argument that is itself unknown makes the result unknown;
    /// unknowns nested in arrays and objects are carried through.
    TopLevel,
    /// The function decides.
    Handled,
}

/// One entry of the dispatch table.
pub(crate) struct Def {
    pub name: &'static str,
    pub min: usize,
    pub max: Option<usize>,
    pub unknowns: Unknowns,
    pub imp: Impl,
}

const fn f(
    name: &'static str,
    min: usize,
    max: Option<usize>,
    unknowns: Unknowns,
    imp: Impl,
) -> Def {
    Def {
        name,
        min,
        max,
        unknowns,
        imp,
    }
}

const ANY: Option<usize> = None;
const fn n(max: usize) -> Option<usize> {
    Some(max)
}
use Unknowns::{Handled, Propagate, TopLevel};

/// The dispatch table: every function, grouped by family.
static TABLE: &[Def] = &[
    // String.
    f("base64", 1, n(1), Propagate, encoding::base64),
    f("base64ToJson", 1, n(1), Propagate, encoding::base64_to_json),
    f(
        "base64ToString",
        1,
        n(1),
        Propagate,
        encoding::base64_to_string,
    ),
    f("dataUri", 1, n(1), Propagate, encoding::data_uri),
    f(
        "dataUriToString",
        1,
        n(1),
        Propagate,
        encoding::data_uri_to_string,
    ),
    f("endsWith", 2, n(2), Propagate, string::ends_with),
    f("format", 1, ANY, Handled, format::format),
    f("guid", 1, ANY, Propagate, hash::guid_fn),
    f("join", 2, n(2), Propagate, string::join),
    f("json", 1, n(1), Propagate, string::json),
    f("newGuid", 0, n(0), Handled, hash::new_guid),
    f("padLeft", 2, n(3), Propagate, string::pad_left),
    f("replace", 3, n(3), Propagate, string::replace),
    f("split", 2, n(2), Propagate, string::split),
    f("startsWith", 2, n(2), Propagate, string::starts_with),
    f("string", 1, n(1), Propagate, string::string),
    f("substring", 1, n(3), Propagate, string::substring),
    f("toLower", 1, n(1), Propagate, string::to_lower),
    f("toUpper", 1, n(1), Propagate, string::to_upper),
    f("trim", 1, n(1), Propagate, string::trim),
    f("uniqueString", 1, ANY, Propagate, hash::unique_string_fn),
    f("uri", 2, n(2), Propagate, encoding::uri),
    f("uriComponent", 1, n(1), Propagate, encoding::uri_component),
    f(
        "uriComponentToString",
        1,
        n(1),
        Propagate,
        encoding::uri_component_to_string,
    ),
    // Array (most also take strings or objects).
    f("array", 1, n(1), TopLevel, array::array),
    f("concat", 1, ANY, TopLevel, array::concat),
    f("contains", 2, n(2), Handled, array::contains),
    f("createArray", 0, ANY, Handled, array::create_array),
    f("empty", 1, n(1), TopLevel, array::empty),
    f("first", 1, n(1), TopLevel, array::first),
    f("flatten", 1, n(1), Handled, array::flatten),
    f("indexOf", 2, n(2), Handled, array::index_of),
    f("intersection", 2, ANY, Propagate, array::intersection),
    f("last", 1, n(1), TopLevel, array::last),
    f("lastIndexOf", 2, n(2), Handled, array::last_index_of),
    f("length", 1, n(1), TopLevel, array::length),
    f("max", 1, ANY, Propagate, array::max),
    f("min", 1, ANY, Propagate, array::min),
    f("range", 2, n(2), Propagate, array::range),
    f("skip", 2, n(2), TopLevel, array::skip),
    f("take", 2, n(2), TopLevel, array::take),
    f("union", 2, ANY, TopLevel, array::union),
    // Object.
    f("createObject", 0, ANY, Handled, object::create_object),
    f("items", 1, n(1), TopLevel, object::items),
    f("null", 0, n(0), Propagate, object::null),
    f("objectKeys", 1, n(1), TopLevel, object::object_keys),
    f("shallowMerge", 1, n(1), Handled, object::shallow_merge),
    f("tryGet", 2, ANY, Handled, object::try_get),
    // Logical.
    f("and", 2, ANY, Handled, logical::and),
    f("bool", 1, n(1), Propagate, logical::bool),
    f("false", 0, n(0), Propagate, logical::false_),
    f("if", 3, n(3), Handled, logical::if_),
    f("not", 1, n(1), Propagate, logical::not),
    f("or", 2, ANY, Handled, logical::or),
    f("true", 0, n(0), Propagate, logical::true_),
    // Comparison.
    f("coalesce", 1, ANY, Handled, comparison::coalesce),
    f("equals", 2, n(2), Handled, comparison::equals),
    f("greater", 2, n(2), Propagate, comparison::greater),
    f(
        "greaterOrEquals",
        2,
        n(2),
        Propagate,
        comparison::greater_or_equals,
    ),
    f("less", 2, n(2), Propagate, comparison::less),
    f(
        "lessOrEquals",
        2,
        n(2),
        Propagate,
        comparison::less_or_equals,
    ),
    // Numeric.
    f("add", 2, n(2), Propagate, numeric::add),
    f("div", 2, n(2), Propagate, numeric::div),
    f("float", 1, n(1), Propagate, numeric::float),
    f("int", 1, n(1), Propagate, numeric::int),
    f("mod", 2, n(2), Propagate, numeric::modulo),
    f("mul", 2, n(2), Propagate, numeric::mul),
    f("sub", 2, n(2), Propagate, numeric::sub),
    // Date.
    f("dateTimeAdd", 2, n(3), Propagate, date::date_time_add),
    f(
        "dateTimeFromEpoch",
        1,
        n(1),
        Propagate,
        date::date_time_from_epoch,
    ),
    f(
        "dateTimeToEpoch",
        1,
        n(1),
        Propagate,
        date::date_time_to_epoch,
    ),
    f("utcNow", 0, n(1), Handled, date::utc_now),
    // Deployment and scope.
    f("copyIndex", 0, n(2), Propagate, deployment::copy_index),
    f("deployer", 0, n(0), Handled, deployment::deployer),
    f("deployment", 0, n(0), Propagate, deployment::deployment),
    f("environment", 0, n(0), Propagate, deployment::environment),
    f(
        "managementGroup",
        0,
        n(0),
        Propagate,
        deployment::management_group,
    ),
    f("parameters", 1, n(1), Propagate, deployment::parameters),
    f(
        "resourceGroup",
        0,
        n(0),
        Propagate,
        deployment::resource_group,
    ),
    f("subscription", 0, n(0), Propagate, deployment::subscription),
    f("tenant", 0, n(0), Propagate, deployment::tenant),
    f("variables", 1, n(1), Propagate, deployment::variables),
    // Resource.
    f(
        "extensionResourceId",
        3,
        ANY,
        Propagate,
        resource::extension_resource_id,
    ),
    f(
        "managementGroupResourceId",
        2,
        ANY,
        Propagate,
        resource::management_group_resource_id,
    ),
    f("pickZones", 3, n(5), Handled, resource::pick_zones),
    f("providers", 1, n(2), Handled, resource::providers),
    f("reference", 1, n(3), Handled, resource::reference),
    f("resourceId", 2, ANY, Propagate, resource::resource_id),
    f(
        "subscriptionResourceId",
        2,
        ANY,
        Propagate,
        resource::subscription_resource_id,
    ),
    f(
        "tenantResourceId",
        2,
        ANY,
        Propagate,
        resource::tenant_resource_id,
    ),
    // CIDR.
    f("cidrHost", 2, n(2), Propagate, cidr::cidr_host),
    f("cidrSubnet", 3, n(3), Propagate, cidr::cidr_subnet),
    f("parseCidr", 1, n(1), Propagate, cidr::parse_cidr),
    // Lambda (evaluated by the expression evaluator, see `lambda`).
    f("filter", 2, n(2), Handled, lambda::needs_evaluator),
    f("groupBy", 2, n(2), Handled, lambda::needs_evaluator),
    f("lambda", 2, ANY, Handled, lambda::needs_evaluator),
    f("lambdaVariables", 1, n(1), Handled, lambda::needs_evaluator),
    f("map", 2, n(2), Handled, lambda::needs_evaluator),
    f("mapValues", 2, n(2), Handled, lambda::needs_evaluator),
    f("reduce", 3, n(3), Handled, lambda::needs_evaluator),
    f("sort", 2, n(2), Handled, lambda::needs_evaluator),
    f("toObject", 2, n(3), Handled, lambda::needs_evaluator),
];

/// The functions by lower-case name, hashed with foldhash: looked up for
/// every call of every expression, where SipHash cost more than the call.
static BY_NAME: LazyLock<aml_model::FastMap<String, &'static Def>> = LazyLock::new(|| {
    TABLE
        .iter()
        .map(|d| (d.name.to_ascii_lowercase(), d))
        .collect()
});

pub(crate) fn lookup(name: &str) -> Option<&'static Def> {
    // Lower case on the stack: this runs for every call in every expression.
    let mut buf = [0u8; 32];
    match buf.get_mut(..name.len()) {
        Some(lower) => {
            lower.copy_from_slice(name.as_bytes());
            lower.make_ascii_lowercase();
            let lower = std::str::from_utf8(lower).ok()?;
            BY_NAME.get(lower).copied()
        }
        None => BY_NAME.get(&name.to_ascii_lowercase()).copied(),
    }
}

fn check_arity(def: &Def, count: usize) -> Result<(), String> {
    let ok = count >= def.min && def.max.is_none_or(|m| count <= m);
    if ok {
        return Ok(());
    }
    let plural = |k: usize| if k == 1 { "argument" } else { "arguments" };
    let expected = match def.max {
        Some(max) if max == def.min => format!("{max} {}", plural(max)),
        Some(max) => format!("{} to {max} arguments", def.min),
        None => format!("at least {} {}", def.min, plural(def.min)),
    };
    Err(format!("{}() takes {expected}, {count} given", def.name))
}

fn propagated_unknown(mode: Unknowns, args: &[Value]) -> Option<&std::sync::Arc<Unknown>> {
    match mode {
        Unknowns::Propagate => args.iter().find_map(Value::first_unknown),
        Unknowns::TopLevel => args.iter().find_map(|a| match a {
            Value::Unknown(u) => Some(u),
            _ => None,
        }),
        Unknowns::Handled => None,
    }
}

/// Renders a call as ARM text for unknown results of [`call`].
fn render_call(name: &str, args: &[Value]) -> String {
    let rendered: Vec<String> = args
        .iter()
        .map(|a| match a {
            Value::String(s) => {
                let mut short: String = s.chars().take(100).collect();
                if short.len() < s.len() {
                    short.push_str("...");
                }
                format!("'{}'", short.replace('\'', "''"))
            }
            Value::Null => "null()".to_string(),
            Value::Bool(b) => format!("{b}()"),
            Value::Unknown(u) => u.expr.clone(),
            other => other.to_string(),
        })
        .collect();
    format!("{name}({})", rendered.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::test_env::TestEnv;

    #[test]
    fn lookup_ignores_case_at_any_length() {
        for d in TABLE {
            for name in [d.name.to_string(), d.name.to_ascii_uppercase()] {
                assert_eq!(lookup(&name).map(|f| f.name), Some(d.name));
            }
        }
        let long = "x".repeat(32);
        assert!(lookup(&long).is_none() && lookup(&format!("{long}y")).is_none());
        assert!(lookup("").is_none() && lookup("cONCAté").is_none());
    }

    #[test]
    fn names_are_unique_and_case_insensitive() {
        assert_eq!(
            BY_NAME.len(),
            TABLE.len(),
            "duplicate function names in the table"
        );
        assert_eq!(canonical_name("TOLOWER"), Some("toLower"));
        assert!(is_known("listKeys"));
        assert!(is_known("ListSecrets"));
        assert!(!is_known("list"));
        assert!(!is_known("nope"));
        assert!(known_functions().contains(&"uniqueString"));
        assert!(known_functions().contains(&"list*"));
        // No table function may be shadowed by the list* rule.
        assert!(TABLE.iter().all(|d| !is_list_function(d.name)));
    }

    #[test]
    fn direct_calls() {
        let env = TestEnv::new();
        assert_eq!(
            call("toUpper", vec![Value::str("a")], &env).unwrap(),
            Value::str("A")
        );
        assert_eq!(
            call("concat", vec![Value::str("a"), Value::Int(1)], &env).unwrap(),
            Value::str("a1")
        );
        let e = call("toUpper", vec![], &env).unwrap_err();
        assert_eq!(e, "toUpper() takes 1 argument, 0 given");
        assert_eq!(
            call("substring", vec![], &env).unwrap_err(),
            "substring() takes 1 to 3 arguments, 0 given"
        );
        assert_eq!(
            call("and", vec![Value::Bool(true)], &env).unwrap_err(),
            "and() takes at least 2 arguments, 1 given"
        );
        assert_eq!(
            call("nope", vec![], &env).unwrap_err(),
            "unknown function 'nope'"
        );
        assert!(check_arg_count("if", 2).is_err());
        assert!(check_arg_count("whatever", 2).is_ok());
    }

    #[test]
    fn direct_call_unknown_text_is_rendered() {
        let env = TestEnv::new();
        let u = Value::unknown("parameters('p')", "no value");
        let v = call("toLower", vec![u], &env).unwrap();
        let Value::Unknown(u) = v else { panic!() };
        assert_eq!(u.expr, "toLower(parameters('p'))");
        assert_eq!(u.reason, "no value");
        let v = call(
            "listKeys",
            vec![Value::str("id"), Value::str("2020-01-01")],
            &env,
        )
        .unwrap();
        let Value::Unknown(u) = v else { panic!() };
        assert_eq!(u.expr, "listKeys('id', '2020-01-01')");
    }

    /// Every function with many combinations of odd arguments: errors are
    /// fine, panics are not.
    #[test]
    fn no_function_panics_on_odd_arguments() {
        let pool = [
            Value::Null,
            Value::Bool(true),
            Value::Int(0),
            Value::Int(-1),
            Value::Int(3),
            Value::Int(i64::MAX),
            Value::Int(i64::MIN),
            Value::Float(1.5),
            Value::Float(-1e300),
            Value::str(""),
            Value::str("a/b"),
            Value::str("Microsoft.X/y/z"),
            Value::str("é€"),
            Value::str("2020-02-29T23:59:59Z"),
            Value::str("-P1Y2M3DT4H5M6.5S"),
            Value::str("10.0.0.0/8"),
            Value::str("{0:N2}{1,-3}{{"),
            Value::str("data:;base64,"),
            Value::str("http://a/b/../c"),
            Value::str("%e2%82"),
            Value::Array(vec![]),
            Value::Array(vec![Value::Int(1), Value::str("x"), Value::Null]),
            Value::Array(vec![
                Value::Array(vec![Value::Int(1)]),
                Value::Array(vec![]),
            ]),
            Value::from_json(&serde_json::json!({"a": 1, "B": {"c": [1]}})),
            Value::unknown("parameters('u')", "no value"),
            Value::Array(vec![Value::unknown("parameters('u')", "no value")]),
        ];
        let env = TestEnv::new().param("p", Value::Int(1)).copy(None, 2);
        let mut seed: u64 = 7;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for def in TABLE {
            let max = def.max.unwrap_or(def.min + 3).min(def.min + 3);
            for count in def.min..=max {
                for _ in 0..150 {
                    let args: Vec<Value> = (0..count)
                        .map(|_| pool[(next() % pool.len() as u64) as usize].clone())
                        .collect();
                    let _ = call(def.name, args, &env);
                }
            }
        }
    }

    #[test]
    fn lambda_functions_need_the_evaluator() {
        let env = TestEnv::new();
        let e = call("map", vec![Value::Array(vec![]), Value::Null], &env).unwrap_err();
        assert!(e.contains("lambda"), "{e}");
    }
}
