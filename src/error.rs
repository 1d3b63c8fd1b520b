//! The one error type of request handling, mapped to a status and a friendly Chinese page.
//! Internal details go to the log only.

use crate::store::StoreError;

/// Why a request failed.
#[derive(Debug)]
pub enum AppError {
    /// No such page or record.
    NotFound,
    /// Signed in as someone without the right role, or the CSRF token is missing.
    Forbidden(String),
    /// The request makes no sense (a malformed form or id).
    BadRequest(String),
    /// The input was understood but is not acceptable; the message says what to fix.
    Unprocessable(String),
    /// A rate limit was hit; the message says when to try again.
    TooManyRequests(String),
    /// The data file cannot be written now (a full disk); the message says what to do.
    Unavailable(String),
    /// Something broke on our side; the text is for the log only.
    Internal(String),
}

impl AppError {
    /// The HTTP status for this error.
    pub fn status(&self) -> u16 {
        match self {
            AppError::NotFound => 404,
            AppError::Forbidden(_) => 403,
            AppError::BadRequest(_) => 400,
            AppError::Unprocessable(_) => 422,
            AppError::TooManyRequests(_) => 429,
            AppError::Unavailable(_) => 503,
            AppError::Internal(_) => 500,
        }
    }

    /// The page title shown to the user.
    pub fn title(&self) -> &'static str {
        match self {
            AppError::NotFound => "找不到页面",
            AppError::Forbidden(_) => "没有权限",
            AppError::BadRequest(_) => "请求有误",
            AppError::Unprocessable(_) => "填写的内容有误",
            AppError::TooManyRequests(_) => "操作太频繁",
            AppError::Unavailable(_) => "暂时无法保存",
            AppError::Internal(_) => "服务器出错了",
        }
    }

    /// The message shown to the user; never internal details.
    pub fn user_message(&self) -> String {
        match self {
            AppError::NotFound => "您要找的页面不存在，或者已经被删除。".into(),
            AppError::Forbidden(m)
            | AppError::BadRequest(m)
            | AppError::Unprocessable(m)
            | AppError::TooManyRequests(m)
            | AppError::Unavailable(m) => m.clone(),
            AppError::Internal(_) => {
                "处理您的请求时出现了问题，请稍后再试。如果一直出现，请联系现场工作人员。".into()
            }
        }
    }

    /// Shorthand for the usual 403 when a role is missing.
    pub fn forbidden() -> AppError {
        AppError::Forbidden("您没有访问这个页面的权限。".into())
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AppError::Internal(m) => write!(f, "internal: {m}"),
            other => write!(f, "{} {}", other.status(), other.title()),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Taken(_) | StoreError::Refused(_) => {
                AppError::Unprocessable(e.user_message())
            }
            StoreError::Unavailable(_) => {
                log::error!("{e}");
                AppError::Unavailable(e.user_message())
            }
            other => AppError::Internal(other.to_string()),
        }
    }
}
