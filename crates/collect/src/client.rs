//! HTTP requests to ARM and Resource Graph: a bearer token from the
//! credential, a timeout per request, retries with backoff on 429, 5xx and
//! timeouts (honouring `Retry-After` and Resource Graph's
//! `x-ms-user-quota-remaining`/`x-ms-user-quota-resets-after`), and errors
//! that say what was read, at which scope, and what is missing.

use azure_core::credentials::TokenCredential;
use reqwest::header::HeaderMap;
use serde_json::Value;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// The scope of the ARM token.
pub const ARM_SCOPE: &str = "https://management.azure.com/.default";

/// The longest wait a server may ask for before one retry.
const MAX_SERVER_DELAY: Duration = Duration::from_secs(300);
/// The longest exponential backoff step.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// The default overall deadline of a collection (`--deadline`): 30 minutes.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(30 * 60);
/// The most requests one collection makes (retries and pages included).
pub const MAX_REQUESTS: u32 = 200_000;
/// Largest response body read.
const MAX_BODY_BYTES: usize = 256 * 1024 * 1024;

/// Why a collection stopped.
#[derive(Debug)]
pub enum CollectError {
    /// 403: the credential may not read something.
    Forbidden {
        what: String,
        /// The scope as people say it (`subscription ID`).
        scope: String,
        /// The ARM scope a role is assigned at (`/subscriptions/ID`).
        arm_scope: String,
        detail: String,
    },
    /// The overall deadline (`--deadline`) passed, or waiting for a retry
    /// would pass it.
    Deadline { what: String, deadline: Duration },
    /// The request budget of one collection is spent.
    TooManyRequests { what: String, limit: u32 },
    /// 401 or a credential that gave no token.
    Auth(String),
    /// Another HTTP status, after retries where they apply.
    Http {
        status: u16,
        what: String,
        url: String,
        detail: String,
    },
    /// No answer within the timeout, after every retry.
    Timeout {
        what: String,
        url: String,
        after: Duration,
        attempts: u32,
    },
    /// The connection failed, or the answer was not JSON.
    Transport(String),
}

impl fmt::Display for CollectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CollectError::Forbidden {
                what,
                scope,
                arm_scope,
                detail,
            } => write!(
                f,
                "access denied (403) reading {what} at {scope}: the identity needs the Reader role (or another role with read access, `*/read`) on {scope}; assign it with `az role assignment create --assignee <principal> --role Reader --scope {arm_scope}`. Azure said: {}",
                mask_tokens(detail)
            ),
            CollectError::Deadline { what, deadline } => write!(
                f,
                "the collection's deadline ({} s, `--deadline`) passed before {what} could be read",
                deadline.as_secs()
            ),
            CollectError::TooManyRequests { what, limit } => write!(
                f,
                "the collection made its {limit} requests, the most one collection makes, before {what} could be read"
            ),
            CollectError::Auth(m) => write!(f, "authentication failed: {}", mask_tokens(m)),
            CollectError::Http {
                status,
                what,
                url,
                detail,
            } => write!(
                f,
                "reading {what} failed with HTTP {status} ({}): {}",
                mask_tokens(path_of(url)),
                mask_tokens(detail)
            ),
            CollectError::Timeout {
                what,
                url,
                after,
                attempts,
            } => write!(
                f,
                "reading {what} timed out: no answer within {} s, {attempts} attempt(s) ({}); raise --timeout or try again later",
                after.as_secs_f32(),
                mask_tokens(path_of(url))
            ),
            CollectError::Transport(m) => write!(f, "{}", mask_tokens(m)),
        }
    }
}

impl std::error::Error for CollectError {}

/// Retry and timeout settings.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// The first backoff step (doubled each retry, at most a minute).
    pub backoff: Duration,
    /// Per-request timeout.
    pub timeout: Duration,
    /// The whole collection's deadline: no request starts and no retry
    /// waits past it (`--deadline`).
    pub deadline: Duration,
    /// Requests one collection may make, retries included.
    pub max_requests: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 5,
            backoff: Duration::from_secs(1),
            timeout: Duration::from_secs(60),
            deadline: DEFAULT_DEADLINE,
            max_requests: MAX_REQUESTS,
        }
    }
}

/// An authenticated client.
pub struct Client {
    http: reqwest::Client,
    credential: Arc<dyn TokenCredential>,
    retry: RetryPolicy,
    /// Retries made so far (for the summary).
    pub retries: std::sync::atomic::AtomicU32,
    /// Requests made so far (bounded by [`RetryPolicy::max_requests`]).
    pub requests: std::sync::atomic::AtomicU32,
    /// When the collection must end.
    deadline: tokio::time::Instant,
}

impl Client {
    pub fn new(
        credential: Arc<dyn TokenCredential>,
        retry: RetryPolicy,
    ) -> Result<Client, CollectError> {
        let http = reqwest::Client::builder()
            .timeout(retry.timeout)
            .connect_timeout(retry.timeout.min(Duration::from_secs(30)))
            .user_agent(concat!("aml-baseline/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                CollectError::Transport(format!("could not build the HTTP client: {e}"))
            })?;
        Ok(Client {
            http,
            credential,
            deadline: tokio::time::Instant::now() + retry.deadline,
            retry,
            retries: Default::default(),
            requests: Default::default(),
        })
    }

    async fn token(&self) -> Result<String, CollectError> {
        let t = self
            .credential
            .get_token(&[ARM_SCOPE], None)
            .await
            .map_err(|e| CollectError::Auth(format!("no token for Azure Resource Manager: {e}")))?;
        Ok(t.token.secret().to_string())
    }

    /// GETs `url`; `what` and `scope` name it in errors.
    pub async fn get(
        &self,
        url: &str,
        what: &str,
        scope: &str,
    ) -> Result<(Value, HeaderMap), CollectError> {
        self.send(reqwest::Method::GET, url, None, what, scope)
            .await
    }

    /// POSTs `body` to `url`.
    pub async fn post(
        &self,
        url: &str,
        body: &Value,
        what: &str,
        scope: &str,
    ) -> Result<(Value, HeaderMap), CollectError> {
        self.send(reqwest::Method::POST, url, Some(body), what, scope)
            .await
    }

    async fn send(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<&Value>,
        what: &str,
        scope: &str,
    ) -> Result<(Value, HeaderMap), CollectError> {
        let mut attempt: u32 = 0;
        loop {
            self.may_start(what)?;
            let token = self.token().await?;
            let mut request = self
                .http
                .request(method.clone(), url)
                .timeout(self.left().min(self.retry.timeout))
                .bearer_auth(&token);
            if let Some(b) = body {
                request = request
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(serde_json::to_vec(b).unwrap_or_default());
            }
            let retryable_error = match request.send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let headers = response.headers().clone();
                    let text = match read_body(response).await {
                        Ok(t) => t,
                        Err(e) if e.is_timeout() => {
                            if self.wait_before_retry(&mut attempt, None, what).await? {
                                continue;
                            }
                            return Err(self.timeout(what, url, attempt));
                        }
                        Err(e) => {
                            return Err(CollectError::Transport(format!("reading {what}: {e}")))
                        }
                    };
                    match status {
                        200..=299 => {
                            let value = serde_json::from_str(&text).map_err(|e| {
                                CollectError::Transport(format!(
                                    "reading {what}: the answer is not JSON ({e})"
                                ))
                            })?;
                            return Ok((value, headers));
                        }
                        429 | 500..=599 => {
                            if self
                                .wait_before_retry(&mut attempt, Some(&headers), what)
                                .await?
                            {
                                continue;
                            }
                            return Err(CollectError::Http {
                                status,
                                what: what.to_string(),
                                url: url.to_string(),
                                detail: format!(
                                    "{} (after {} retries)",
                                    azure_error(&text).replace(&token, "***"),
                                    self.retry.max_retries
                                ),
                            });
                        }
                        403 => {
                            return Err(CollectError::Forbidden {
                                what: what.to_string(),
                                scope: scope.to_string(),
                                arm_scope: arm_scope(scope, url),
                                detail: azure_error(&text).replace(&token, "***"),
                            })
                        }
                        401 => {
                            return Err(CollectError::Auth(format!(
                                "Azure Resource Manager refused the token (401) reading {what}: {}",
                                azure_error(&text).replace(&token, "***")
                            )))
                        }
                        _ => {
                            return Err(CollectError::Http {
                                status,
                                what: what.to_string(),
                                url: url.to_string(),
                                detail: azure_error(&text).replace(&token, "***"),
                            })
                        }
                    }
                }
                Err(e) => e,
            };
            let timed_out = retryable_error.is_timeout();
            if (timed_out || retryable_error.is_connect() || retryable_error.is_request())
                && self.wait_before_retry(&mut attempt, None, what).await?
            {
                continue;
            }
            if timed_out {
                return Err(self.timeout(what, url, attempt));
            }
            return Err(CollectError::Transport(format!(
                "reading {what} ({url}) failed: {retryable_error}"
            )));
        }
    }

    fn timeout(&self, what: &str, url: &str, attempt: u32) -> CollectError {
        CollectError::Timeout {
            what: what.to_string(),
            url: url.to_string(),
            after: self.retry.timeout,
            attempts: attempt + 1,
        }
    }

    /// Time left before the deadline.
    pub fn left(&self) -> Duration {
        self.deadline
            .saturating_duration_since(tokio::time::Instant::now())
    }

    /// Counts a request about to start, or says why none may.
    fn may_start(&self, what: &str) -> Result<(), CollectError> {
        if self.left().is_zero() {
            return Err(CollectError::Deadline {
                what: what.to_string(),
                deadline: self.retry.deadline,
            });
        }
        let made = self
            .requests
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if made >= self.retry.max_requests {
            return Err(CollectError::TooManyRequests {
                what: what.to_string(),
                limit: self.retry.max_requests,
            });
        }
        Ok(())
    }

    /// Sleeps before the next attempt and returns true, or false when no
    /// retry is left; an error when the wait would pass the deadline (a
    /// `Retry-After` counts against it).
    async fn wait_before_retry(
        &self,
        attempt: &mut u32,
        headers: Option<&HeaderMap>,
        what: &str,
    ) -> Result<bool, CollectError> {
        if *attempt >= self.retry.max_retries {
            return Ok(false);
        }
        let delay = headers
            .and_then(server_delay)
            .unwrap_or_else(|| backoff(self.retry.backoff, *attempt));
        if delay >= self.left() {
            return Err(CollectError::Deadline {
                what: format!("{what} (the server asked to wait {} s)", delay.as_secs()),
                deadline: self.retry.deadline,
            });
        }
        *attempt += 1;
        self.retries
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tokio::time::sleep(delay).await;
        Ok(true)
    }
}

/// The ARM scope a role assignment for `scope` names: from the scope as
/// people say it (`subscription ID`, `management group ID`), else the path
/// of the request's URL (never its host), else the tenant root.
pub fn arm_scope(scope: &str, url: &str) -> String {
    if let Some(id) = scope.strip_prefix("subscription ") {
        if !id.contains(' ') {
            return format!("/subscriptions/{id}");
        }
    }
    if let Some(mg) = scope.strip_prefix("management group ") {
        return format!("/providers/Microsoft.Management/managementGroups/{mg}");
    }
    if scope.starts_with('/') {
        return scope.split('?').next().unwrap_or(scope).to_string();
    }
    let path = url
        .split_once("://")
        .map(|(_, rest)| rest.find('/').map_or("/", |at| &rest[at..]))
        .unwrap_or(url);
    let path = path.split('?').next().unwrap_or(path);
    // The scope is the resource, not a list below it or an extension.
    let path = path
        .split("/providers/Microsoft.Insights/")
        .next()
        .unwrap_or(path);
    let path = path
        .strip_suffix("/computes")
        .or_else(|| path.strip_suffix("/privateDnsZoneGroups"))
        .unwrap_or(path);
    if path.starts_with("/subscriptions/") {
        path.to_string()
    } else {
        "/".to_string()
    }
}

/// The path and query of a URL: errors name what was asked, not the host
/// (always Azure Resource Manager's, or what `AML_BASELINE_ARM_ENDPOINT` says).
pub fn path_of(url: &str) -> &str {
    url.split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|at| &rest[at..]))
        .unwrap_or(url)
}

/// `text` with bearer tokens masked: anything after `Bearer `, and every
/// JSON Web Token (three base64url parts, the first starting `eyJ`).
pub fn mask_tokens(text: &str) -> String {
    let token_char = |c: char| c.is_ascii_alphanumeric() || "-_.~+/=".contains(c);
    let token_len = |s: &str| s.find(|c: char| !token_char(c)).unwrap_or(s.len());
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while let Some(c) = text[i..].chars().next() {
        let rest = &text[i..];
        if rest
            .get(..7)
            .is_some_and(|p| p.eq_ignore_ascii_case("bearer "))
        {
            out.push_str(&rest[..7]);
            let n = token_len(&rest[7..]);
            if n > 0 {
                out.push_str("***");
            }
            i += 7 + n;
            continue;
        }
        if rest.starts_with("eyJ") {
            let n = token_len(rest);
            if rest[..n].matches('.').count() >= 2 {
                out.push_str("***");
                i += n;
                continue;
            }
        }
        out.push(c);
        i += c.len_utf8();
    }
    out
}

async fn read_body(response: reqwest::Response) -> Result<String, reqwest::Error> {
    let bytes = response.bytes().await?;
    let bytes = &bytes[..bytes.len().min(MAX_BODY_BYTES)];
    Ok(String::from_utf8_lossy(bytes).into_owned())
}

/// `base * 2^attempt`, at most a minute.
pub fn backoff(base: Duration, attempt: u32) -> Duration {
    base.saturating_mul(1u32 << attempt.min(16))
        .min(MAX_BACKOFF)
}

/// The wait the server asks for: `Retry-After` (seconds), else Resource
/// Graph's quota reset when the quota is spent (`x-ms-user-quota-remaining: 0`,
/// `x-ms-user-quota-resets-after: hh:mm:ss`). At most five minutes.
pub fn server_delay(headers: &HeaderMap) -> Option<Duration> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let delay = header("retry-after")
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
        .or_else(|| quota_reset(headers))?;
    Some(delay.min(MAX_SERVER_DELAY))
}

/// Resource Graph's quota reset, when the quota is spent.
pub fn quota_reset(headers: &HeaderMap) -> Option<Duration> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if header("x-ms-user-quota-remaining")? != "0" {
        return None;
    }
    let reset = header("x-ms-user-quota-resets-after")?;
    let parts: Vec<f64> = reset.split(':').filter_map(|p| p.parse().ok()).collect();
    let secs = match parts.as_slice() {
        [h, m, s] => h * 3600.0 + m * 60.0 + s,
        [s] => *s,
        _ => return None,
    };
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs).min(MAX_SERVER_DELAY))
}

/// Azure's error `code: message`, else the start of the body.
pub fn azure_error(text: &str) -> String {
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        let e = v.get("error").unwrap_or(&v);
        let code = e.get("code").and_then(Value::as_str);
        let message = e.get("message").and_then(Value::as_str);
        if code.is_some() || message.is_some() {
            return format!("{}: {}", code.unwrap_or("error"), message.unwrap_or(""));
        }
    }
    let t: String = text.chars().take(300).collect();
    if t.is_empty() {
        "no details".into()
    } else {
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_follow_the_server_then_backoff() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", "7".parse().unwrap());
        assert_eq!(server_delay(&h), Some(Duration::from_secs(7)));
        let mut h = HeaderMap::new();
        h.insert("x-ms-user-quota-remaining", "0".parse().unwrap());
        h.insert("x-ms-user-quota-resets-after", "00:00:03".parse().unwrap());
        assert_eq!(server_delay(&h), Some(Duration::from_secs(3)));
        h.insert("x-ms-user-quota-remaining", "14".parse().unwrap());
        assert_eq!(server_delay(&h), None);
        let mut h = HeaderMap::new();
        h.insert("retry-after", "999999".parse().unwrap());
        assert_eq!(server_delay(&h), Some(MAX_SERVER_DELAY));
        assert_eq!(backoff(Duration::from_secs(1), 3), Duration::from_secs(8));
        assert_eq!(backoff(Duration::from_secs(1), 30), MAX_BACKOFF);
    }

    #[test]
    fn tokens_are_masked_and_scopes_are_arm_scopes() {
        let jwt = "eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJodHRwczovL21hbmFnZW1lbnQifQ.c2lnbmF0dXJl";
        let m = mask_tokens(&format!(
            "401: token {jwt} refused; header Authorization: Bearer abc.def-ghi ok"
        ));
        assert_eq!(
            m,
            "401: token *** refused; header Authorization: Bearer *** ok"
        );
        assert_eq!(
            mask_tokens("eyJ is not a token, nor é"),
            "eyJ is not a token, nor é"
        );
        let url = "http://127.0.0.1:9/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w/computes?api-version=1";
        assert_eq!(
            arm_scope("http://127.0.0.1:9/subscriptions/s/x", url),
            "/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w"
        );
        assert_eq!(arm_scope("subscription s1", url), "/subscriptions/s1");
        assert_eq!(
            arm_scope("management group mg", url),
            "/providers/Microsoft.Management/managementGroups/mg"
        );
        assert_eq!(arm_scope("the tenant", "http://h/subscriptions?x"), "/");
    }

    #[test]
    fn azure_errors_are_quoted_briefly() {
        assert_eq!(
            azure_error(r#"{"error": {"code": "AuthorizationFailed", "message": "no access"}}"#),
            "AuthorizationFailed: no access"
        );
        assert_eq!(azure_error(""), "no details");
    }
}
