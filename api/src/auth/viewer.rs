//! The `Viewer`: who is calling, resolved once per request from the access token and the
//! database (so a deactivation or a role change takes effect at once, on every replica).
use entity::enums::Role;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};

#[derive(Debug, Clone)]
pub enum Viewer {
    Anonymous,
    Account(AccountViewer),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountViewer {
    pub id: Uuid,
    pub login: String,
    pub role: Role,
    /// DOPA code prefixes; empty means "no area restriction" only for ADMIN and ANALYST.
    pub area_scopes: Vec<String>,
    pub agency_id: Option<Uuid>,
    pub session_id: Uuid,
}

impl Viewer {
    /// The signed-in account, or `UNAUTHENTICATED`.
    pub fn account(&self) -> ApiResult<&AccountViewer> {
        match self {
            Viewer::Account(a) => Ok(a),
            Viewer::Anonymous => Err(ApiError::Unauthenticated("sign in first".into())),
        }
    }

    pub fn role(&self) -> Option<Role> {
        match self {
            Viewer::Account(a) => Some(a.role),
            Viewer::Anonymous => None,
        }
    }

    pub fn is_admin(&self) -> bool {
        self.role() == Some(Role::Admin)
    }
}

/// Per-request facts resolvers need besides the viewer.
#[derive(Debug, Clone)]
pub struct RequestInfo {
    pub request_id: String,
}
