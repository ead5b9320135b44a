//! `/account/passkeys`: the user's passkeys with delete buttons, and adding
//! one (a name, then the browser's passkey dialog, run by
//! `/static/js/passkeys.js` through the JSON ceremonies). When `PUBLIC_URL`
//! rules passkeys out, the page says why instead of offering the button.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use crate::auth::client::ClientInfo;
use crate::auth::service::passkeys as flows;
use crate::auth::PageUser;
use crate::domain::PasskeyId;
use crate::http::csrf_form::{CsrfForm, NoFields};
use crate::http::error::PageError;
use crate::http::layout::{set_flash, Layout};
use crate::http::pages::{render, see_other};
use crate::state::AppState;

struct PasskeyView {
    id: String,
    name: String,
    created: String,
    last_used: String,
}

#[derive(Template)]
#[template(path = "pages/account_passkeys.html")]
struct PasskeysPage {
    layout: Layout,
    passkeys: Vec<PasskeyView>,
    /// Why passkeys cannot work with this `PUBLIC_URL`; empty when they can.
    unavailable: String,
}

/// The reason passkeys are off for this deployment, or an empty string.
pub fn unavailable_reason(state: &AppState) -> String {
    state
        .passkeys
        .as_ref()
        .err()
        .map(ToString::to_string)
        .unwrap_or_default()
}

/// The user's passkeys and the add button.
pub async fn passkeys_page(
    state: web::Data<AppState>,
    user: PageUser,
    session: Session,
) -> Result<HttpResponse, PageError> {
    let fmt = |t: chrono::NaiveDateTime| t.format("%Y-%m-%d %H:%M UTC").to_string();
    let passkeys = flows::list(&state, &user.0)
        .await?
        .into_iter()
        .map(|p| PasskeyView {
            id: p.id.to_string(),
            name: p.name,
            created: fmt(p.created_at),
            last_used: p.last_used_at.map_or_else(|| "never".to_owned(), fmt),
        })
        .collect();
    let page = PasskeysPage {
        layout: Layout::new(&session, true)?,
        passkeys,
        unavailable: unavailable_reason(&state),
    };
    render(&page, StatusCode::OK)
}

/// `POST /account/passkeys/{id}/delete`: deletes one (another user's is 404).
pub async fn delete_passkey(
    state: web::Data<AppState>,
    client: ClientInfo,
    user: PageUser,
    session: Session,
    path: web::Path<String>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, PageError> {
    flows::delete(&state, &user.0, PasskeyId::parse(&path), &client).await?;
    set_flash(
        &session,
        "Passkey deleted. It may still be listed on your device; remove it there too.",
    );
    Ok(see_other("/account/passkeys"))
}
