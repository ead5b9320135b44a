//! JSON shapes shared by the API handlers: user, task, token response.

use chrono::{NaiveDateTime, SecondsFormat};
use serde::Serialize;

use crate::auth::service::Issued;
use crate::db::tasks::Task;
use crate::db::users::User;

/// RFC 3339 in UTC with microseconds, e.g. `2026-11-25T15:32:04.123456Z`.
pub fn rfc3339(t: NaiveDateTime) -> String {
    t.and_utc().to_rfc3339_opts(SecondsFormat::Micros, true)
}

#[derive(Debug, Serialize)]
pub struct UserJson {
    pub id: String,
    pub email: String,
    pub name: Option<String>,
    pub created_at: String,
}

impl From<&User> for UserJson {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.clone(),
            email: u.email.clone(),
            name: u.name.clone(),
            created_at: rfc3339(u.created_at),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct TaskJson {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    pub completed: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Task> for TaskJson {
    fn from(t: Task) -> Self {
        Self {
            id: t.id,
            title: t.title,
            description: t.description,
            completed: t.completed,
            created_at: rfc3339(t.created_at),
            updated_at: rfc3339(t.updated_at),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: u64,
    pub refresh_token: String,
    pub user: UserJson,
}

impl TokenResponse {
    pub fn new(issued: &Issued, expires_in: u64) -> Self {
        Self {
            access_token: issued.access_token.clone(),
            token_type: "Bearer",
            expires_in,
            refresh_token: issued.refresh_token.clone(),
            user: UserJson::from(&issued.user),
        }
    }
}
