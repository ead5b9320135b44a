//! The account page: sessions with revoke buttons, password change, account
//! deletion. Each form posts to its own handler in this folder. The personal
//! access tokens page (`/account/tokens`, linked from here) lives in `tokens`.

mod delete;
mod passkeys;
mod password;
mod sessions;
mod tokens;
pub mod two_factor;

pub use delete::delete_account;
pub use passkeys::{delete_passkey, passkeys_page, unavailable_reason as passkeys_unavailable};
pub use password::change_password;
pub use sessions::revoke_session;
pub use tokens::{create_token, revoke_token, tokens_page};

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use super::render;
use crate::auth::{service, PageUser};
use crate::db::{self, sessions as session_rows};
use crate::error::AppError;
use crate::http::error::PageError;
use crate::http::layout::Layout;
use crate::state::AppState;

struct SessionView {
    id: String,
    device: String,
    created: String,
    last_used: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "pages/account.html")]
struct AccountPage {
    layout: Layout,
    user_email: String,
    sessions: Vec<SessionView>,
    password_error: String,
    delete_error: String,
}

/// Errors to show beside one of the page's forms.
#[derive(Debug, Default)]
struct Messages {
    password_error: String,
    delete_error: String,
}

async fn page(
    state: &AppState,
    user: PageUser,
    session: &Session,
    messages: Messages,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let account = service::current_user(state, &user.0)
        .await?
        .ok_or(AppError::SignInRequired {
            next: "/account".into(),
        })?;
    let (uid, idle) = (user.0.user_id(), state.session_idle);
    let rows = db::run(&state.pool, move |conn| {
        session_rows::list_live(conn, uid, db::now(), idle)
    })
    .await?;
    let current = user.0.session_id();
    let fmt = |t: chrono::NaiveDateTime| t.format("%Y-%m-%d %H:%M UTC").to_string();
    let page = AccountPage {
        layout: Layout::new(session, true)?,
        user_email: account.email,
        sessions: rows
            .into_iter()
            .map(|s| SessionView {
                current: s.id == current,
                device: s.user_agent.unwrap_or_else(|| "Unknown device".to_owned()),
                created: fmt(s.created_at),
                last_used: fmt(s.last_used_at),
                id: s.id.to_string(),
            })
            .collect(),
        password_error: messages.password_error,
        delete_error: messages.delete_error,
    };
    render(&page, status)
}

/// The signed-in user's account page.
pub async fn account_page(
    state: web::Data<AppState>,
    user: PageUser,
    session: Session,
) -> Result<HttpResponse, PageError> {
    page(&state, user, &session, Messages::default(), StatusCode::OK).await
}
