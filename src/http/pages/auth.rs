//! Sign-up, login and logout pages.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{check_csrf, csrf_token, render, see_other, set_flash, take_flash, CsrfForm};
use crate::auth::client::ClientInfo;
use crate::auth::service::{self, Issued, Signup};
use crate::auth::{csrf, MaybeUser};
use crate::domain::Password;
use crate::error::{AppError, PageError};
use crate::http::safe_next;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "pages/signup.html")]
struct SignupPage {
    signed_in: bool,
    csrf_token: String,
    flash: String,
    email: String,
    name: String,
    errors: Vec<String>,
}

#[derive(Template)]
#[template(path = "pages/login.html")]
struct LoginPage {
    signed_in: bool,
    csrf_token: String,
    flash: String,
    email: String,
    next: String,
    error: String,
}

#[derive(Debug, Deserialize)]
pub struct SignupForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf_token: String,
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    csrf_token: String,
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Sets the auth cookies for a new session, rotates the CSRF token, redirects.
fn signed_in_redirect(
    state: &AppState,
    session: &Session,
    issued: &Issued,
    to: &str,
) -> Result<HttpResponse, PageError> {
    csrf::rotate(session)?;
    let mut res = see_other(to);
    let access_ttl = i64::try_from(state.tokens.ttl_secs()).unwrap_or(i64::MAX);
    for cookie in state.cookies.set(
        &issued.access_token,
        access_ttl,
        &issued.refresh_token,
        issued.refresh_ttl_secs,
    ) {
        res.add_cookie(&cookie)
            .map_err(|e| AppError::Internal(e.into()))?;
    }
    Ok(res)
}

/// Public: the sign-up form.
pub async fn signup_form(user: MaybeUser, session: Session) -> Result<HttpResponse, PageError> {
    let page = SignupPage {
        signed_in: user.0.is_some(),
        csrf_token: csrf_token(&session)?,
        flash: take_flash(&session),
        email: String::new(),
        name: String::new(),
        errors: Vec::new(),
    };
    render(&page, StatusCode::OK)
}

/// Public: creates the account; on failure the form again, email kept, password not echoed.
pub async fn signup(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    form: web::Form<SignupForm>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&session, &form.csrf_token)?;
    let form = form.into_inner();
    let client = ClientInfo::from_request(&req, &state.config.trusted_proxies);
    let outcome = match Signup::parse(&form.email, form.password, &form.name) {
        Ok(input) => service::signup(&state, input, &client).await,
        Err(e) => Err(e),
    };
    let (status, errors) = match outcome {
        Ok(issued) => {
            let res = signed_in_redirect(&state, &session, &issued, "/tasks");
            set_flash(&session, "Welcome to taskgate! Your account is ready.");
            return res;
        }
        Err(AppError::Validation(fields)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            fields
                .into_iter()
                .map(|(field, reason)| format!("{}: {reason}", label(&field)))
                .collect(),
        ),
        Err(e @ AppError::Conflict(_)) => (StatusCode::CONFLICT, vec![e.to_string()]),
        Err(other) => return Err(PageError(other)),
    };
    let page = SignupPage {
        signed_in: false,
        csrf_token: csrf_token(&session)?,
        flash: take_flash(&session),
        email: form.email,
        name: form.name,
        errors,
    };
    render(&page, status)
}

fn label(field: &str) -> &str {
    match field {
        "email" => "Email",
        "password" => "Password",
        "name" => "Name",
        other => other,
    }
}

/// Public: the login form; keeps `?next=` in a hidden field.
pub async fn login_form(
    user: MaybeUser,
    session: Session,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, PageError> {
    let page = LoginPage {
        signed_in: user.0.is_some(),
        csrf_token: csrf_token(&session)?,
        flash: take_flash(&session),
        email: String::new(),
        next: query.into_inner().next.unwrap_or_default(),
        error: String::new(),
    };
    render(&page, StatusCode::OK)
}

/// Public: signs in and goes to `next` if it is a local path, else `/tasks`.
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&session, &form.csrf_token)?;
    let form = form.into_inner();
    let client = ClientInfo::from_request(&req, &state.config.trusted_proxies);
    match service::login(
        &state,
        &form.email,
        Password::presented(form.password),
        &client,
    )
    .await
    {
        Ok(issued) => {
            let res =
                signed_in_redirect(&state, &session, &issued, safe_next(form.next.as_deref()));
            set_flash(&session, "Signed in");
            res
        }
        Err(AppError::Unauthorized { .. }) => {
            let page = LoginPage {
                signed_in: false,
                csrf_token: csrf_token(&session)?,
                flash: take_flash(&session),
                email: form.email,
                next: form.next.unwrap_or_default(),
                error: service::LOGIN_FAILED.to_owned(),
            };
            render(&page, StatusCode::UNAUTHORIZED)
        }
        Err(other) => Err(PageError(other)),
    }
}

/// Revokes the session (if any), clears the cookies, back to the login form.
pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    user: MaybeUser,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&session, &form.csrf_token)?;
    if let Some(auth) = user.0 {
        let client = ClientInfo::from_request(&req, &state.config.trusted_proxies);
        service::logout(&state, &auth, &client).await?;
    }
    let res = clear_and_redirect(&state, &session, "/login");
    set_flash(&session, "Signed out");
    res
}

/// Clears the auth cookies and rotates the CSRF token; used by logout and account deletion.
pub fn clear_and_redirect(
    state: &AppState,
    session: &Session,
    to: &str,
) -> Result<HttpResponse, PageError> {
    csrf::rotate(session)?;
    let mut res = see_other(to);
    for cookie in state.cookies.clear() {
        res.add_cookie(&cookie)
            .map_err(|e| AppError::Internal(e.into()))?;
    }
    Ok(res)
}
