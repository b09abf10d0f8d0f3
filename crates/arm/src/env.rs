//! What the function library and the expression evaluator see of the
//! template being evaluated: the [`ExprEnv`] a front end implements.

use aml_model::context::DeploymentContext;
use aml_model::value::Value;

/// What an expression can see of its template. Implemented by the ARM
/// template evaluator (and later the Bicep one).
pub trait ExprEnv {
    /// `parameters('x')`; `Err` is a message such as `parameter 'x' is not defined`.
    fn parameter(&self, name: &str) -> Result<Value, String>;
    /// `variables('x')`.
    fn variable(&self, name: &str) -> Result<Value, String>;
    /// `copyIndex()` / `copyIndex('loop')`: the current zero-based iteration
    /// (the offset argument is added by the function library).
    fn copy_index(&self, loop_name: Option<&str>) -> Result<i64, String>;
    /// The deployment's scope.
    fn context(&self) -> &DeploymentContext;
    /// `reference(resourceIdOrName, apiVersion?, 'Full'?)`: the template
    /// evaluator resolves resources in the deployment; returns
    /// [`Value::Unknown`] otherwise.
    fn reference(&self, target: &Value, api_version: Option<&Value>, full: bool) -> Value;
    /// A user-defined function `namespace.name(args)`; `None` when no such
    /// function exists.
    fn user_function(
        &self,
        namespace: &str,
        name: &str,
        args: Vec<Value>,
    ) -> Option<Result<Value, String>>;
}
