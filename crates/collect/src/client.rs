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
/// Largest response body read.
const MAX_BODY_BYTES: usize = 256 * 1024 * 1024;

/// Why a collection stopped.
#[derive(Debug)]
pub enum CollectError {
    /// 403: the credential may not read something.
    Forbidden {
        what: String,
        scope: String,
        detail: String,
    },
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
            CollectError::Forbidden { what, scope, detail } => write!(
                f,
                "access denied (403) reading {what} at {scope}: the identity needs the Reader role (or another role with read access, `*/read`) on {scope}; assign it with `az role assignment create --assignee <principal> --role Reader --scope <scope>`. Azure said: {detail}"
            ),
            CollectError::Auth(m) => write!(f, "authentication failed: {m}"),
            CollectError::Http {
                status,
                what,
                url,
                detail,
            } => write!(f, "reading {what} failed with HTTP {status} ({url}): {detail}"),
            CollectError::Timeout {
                what,
                url,
                after,
                attempts,
            } => write!(
                f,
                "reading {what} timed out: no answer within {} s, {attempts} attempt(s) ({url}); raise --timeout or try again later",
                after.as_secs_f32()
            ),
            CollectError::Transport(m) => write!(f, "{m}"),
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
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 5,
            backoff: Duration::from_secs(1),
            timeout: Duration::from_secs(60),
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
            retry,
            retries: Default::default(),
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
            let token = self.token().await?;
            let mut request = self.http.request(method.clone(), url).bearer_auth(token);
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
                            if self.wait_before_retry(&mut attempt, None).await {
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
                            if self.wait_before_retry(&mut attempt, Some(&headers)).await {
                                continue;
                            }
                            return Err(CollectError::Http {
                                status,
                                what: what.to_string(),
                                url: url.to_string(),
                                detail: format!(
                                    "{} (after {} retries)",
                                    azure_error(&text),
                                    self.retry.max_retries
                                ),
                            });
                        }
                        403 => {
                            return Err(CollectError::Forbidden {
                                what: what.to_string(),
                                scope: scope.to_string(),
                                detail: azure_error(&text),
                            })
                        }
                        401 => {
                            return Err(CollectError::Auth(format!(
                                "Azure Resource Manager refused the token (401) reading {what}: {}",
                                azure_error(&text)
                            )))
                        }
                        _ => {
                            return Err(CollectError::Http {
                                status,
                                what: what.to_string(),
                                url: url.to_string(),
                                detail: azure_error(&text),
                            })
                        }
                    }
                }
                Err(e) => e,
            };
            let timed_out = retryable_error.is_timeout();
            if (timed_out || retryable_error.is_connect() || retryable_error.is_request())
                && self.wait_before_retry(&mut attempt, None).await
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

    /// Sleeps before the next attempt and returns true, or false when no retry is left.
    async fn wait_before_retry(&self, attempt: &mut u32, headers: Option<&HeaderMap>) -> bool {
        if *attempt >= self.retry.max_retries {
            return false;
        }
        let delay = headers
            .and_then(server_delay)
            .unwrap_or_else(|| backoff(self.retry.backoff, *attempt));
        *attempt += 1;
        self.retries
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tokio::time::sleep(delay).await;
        true
    }
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
    fn azure_errors_are_quoted_briefly() {
        assert_eq!(
            azure_error(r#"{"error": {"code": "AuthorizationFailed", "message": "no access"}}"#),
            "AuthorizationFailed: no access"
        );
        assert_eq!(azure_error(""), "no details");
    }
}
