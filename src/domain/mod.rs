//! Validated input types: once a value has one of these types it has passed
//! the contract's rules. No actix or diesel imports live here.

mod draft;
mod email;
mod ids;
mod password;
mod pat;
mod text;
pub mod time;

pub use draft::TaskDraft;
pub use email::{Email, EmailError};
pub use ids::{PasskeyId, PatId, SessionId, TaskId, UserId};
pub use password::{Password, PasswordError};
pub use pat::{PatRequest, Scope, Scopes, Sent, TokenName};
pub use text::{Description, DisplayName, TaskTitle, TextError};
