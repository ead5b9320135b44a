//! `/account/tokens`: the personal access tokens page. It lists the user's
//! tokens with revoke buttons and a create form; right after creation it
//! shows the new token once, in a read-only field that is easy to copy.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use secrecy::ExposeSecret;
use serde::Deserialize;

use crate::auth::client::ClientInfo;
use crate::auth::service::{self, CreatePatError};
use crate::auth::PageUser;
use crate::db::{self, pats::Pat};
use crate::domain::{PatId, PatRequest, Sent};
use crate::error::AppError;
use crate::http::csrf_form::{CsrfForm, NoFields};
use crate::http::error::PageError;
use crate::http::layout::{set_flash, Layout};
use crate::http::pages::{render, see_other};
use crate::state::AppState;

struct TokenView {
    id: String,
    name: String,
    scopes: String,
    created: String,
    expires: String,
    last_used: String,
    expired: bool,
}

impl TokenView {
    fn of(p: &Pat, now: chrono::NaiveDateTime) -> Self {
        let fmt = |t: chrono::NaiveDateTime| t.format("%Y-%m-%d %H:%M UTC").to_string();
        Self {
            id: p.id.to_string(),
            name: p.name.clone(),
            scopes: p.scopes().map(|s| s.to_string()).unwrap_or_default(),
            created: fmt(p.created_at),
            expires: fmt(p.expires_at),
            last_used: p.last_used_at.map_or_else(|| "never".to_owned(), fmt),
            expired: p.expires_at <= now,
        }
    }
}

/// The create form's fields. Each scope is its own checkbox (`on` when
/// ticked): serde_urlencoded cannot read one name repeated.
#[derive(Deserialize, Default)]
pub struct CreateForm {
    #[serde(default)]
    name: String,
    scope_tasks_read: Option<String>,
    scope_tasks_write: Option<String>,
    scope_introspect: Option<String>,
    #[serde(default)]
    expires_in_days: String,
}

impl CreateForm {
    fn parse(&self) -> Result<PatRequest, Vec<String>> {
        let ticked: Vec<&str> = [
            (&self.scope_tasks_read, "tasks:read"),
            (&self.scope_tasks_write, "tasks:write"),
            (&self.scope_introspect, "introspect"),
        ]
        .into_iter()
        .filter_map(|(field, scope)| field.as_ref().map(|_| scope))
        .collect();
        let days = match self.expires_in_days.trim() {
            "" => Sent::Missing,
            d => d.parse().map_or(Sent::WrongType, Sent::Value),
        };
        PatRequest::parse(Sent::Value(&self.name), Sent::Value(&ticked), days).map_err(|fields| {
            let label = |f: &str| match f {
                "name" => "Name",
                "scopes" => "Scopes",
                _ => "Expiry",
            };
            fields
                .iter()
                .map(|(f, reason)| format!("{}: {reason}", label(f)))
                .collect()
        })
    }
}

#[derive(Template)]
#[template(path = "pages/account_tokens.html")]
struct TokensPage {
    layout: Layout,
    tokens: Vec<TokenView>,
    /// The token just made, shown this once: (name, secret).
    created: Option<(String, String)>,
    errors: Vec<String>,
    name: String,
    tasks_read: bool,
    tasks_write: bool,
    introspect: bool,
    days: i64,
}

/// What one render shows besides the list.
#[derive(Default)]
struct Shown {
    created: Option<(String, String)>,
    errors: Vec<String>,
    form: CreateForm,
}

async fn page(
    state: &AppState,
    user: PageUser,
    session: &Session,
    shown: Shown,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let rows = service::list_pats(state, user.0.user_id()).await?;
    let now = db::now();
    let form = shown.form;
    let days = form.expires_in_days.trim().parse().unwrap_or(90);
    let page = TokensPage {
        layout: Layout::new(session, true)?,
        tokens: rows.iter().map(|p| TokenView::of(p, now)).collect(),
        created: shown.created,
        errors: shown.errors,
        tasks_read: form.scope_tasks_read.is_some(),
        tasks_write: form.scope_tasks_write.is_some(),
        introspect: form.scope_introspect.is_some(),
        name: form.name,
        days,
    };
    render(&page, status)
}

/// The user's tokens and the create form.
pub async fn tokens_page(
    state: web::Data<AppState>,
    user: PageUser,
    session: Session,
) -> Result<HttpResponse, PageError> {
    page(&state, user, &session, Shown::default(), StatusCode::OK).await
}

/// Creates a token and shows it once (a 200 page, not a redirect, so the
/// secret never passes through the session cookie); a bad field shows the
/// form again with 422.
pub async fn create_token(
    state: web::Data<AppState>,
    client: ClientInfo,
    user: PageUser,
    session: Session,
    form: CsrfForm<CreateForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    let request = match form.parse() {
        Ok(request) => request,
        Err(errors) => {
            let shown = Shown {
                errors,
                form,
                ..Shown::default()
            };
            return page(
                &state,
                user,
                &session,
                shown,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let (status, shown) = match service::create_pat(&state, &user.0, request, &client).await {
        Ok(made) => (
            StatusCode::OK,
            Shown {
                created: Some((made.pat.name, made.token.expose_secret().to_owned())),
                ..Shown::default()
            },
        ),
        Err(e @ CreatePatError::TooMany) => (
            StatusCode::CONFLICT,
            Shown {
                errors: vec![e.to_string()],
                form,
                ..Shown::default()
            },
        ),
        Err(other) => return Err(AppError::from(other).into()),
    };
    page(&state, user, &session, shown, status).await
}

/// Revokes one of the user's tokens; another user's (or an unknown) id is 404.
pub async fn revoke_token(
    state: web::Data<AppState>,
    client: ClientInfo,
    user: PageUser,
    session: Session,
    path: web::Path<String>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, PageError> {
    service::revoke_pat(&state, &user.0, PatId::parse(&path), &client).await?;
    set_flash(
        &session,
        "Token revoked. Scripts using it are refused from now on.",
    );
    Ok(see_other("/account/tokens"))
}
