//! `GET/POST /signup`.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::login::signed_in_redirect;
use super::render;
use crate::auth::client::ClientInfo;
use crate::auth::service::{self, Signup, SignupError, SignupOutcome};
use crate::auth::MaybeUser;
use crate::http::csrf_form::CsrfForm;
use crate::http::error::PageError;
use crate::http::layout::{set_flash, Layout};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "pages/signup.html")]
struct SignupPage {
    layout: Layout,
    email: String,
    name: String,
    errors: Vec<String>,
}

#[derive(Deserialize)]
pub struct SignupForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

/// Public: the sign-up form.
pub async fn signup_form(user: MaybeUser, session: Session) -> Result<HttpResponse, PageError> {
    let page = SignupPage {
        layout: Layout::new(&session, user.0.is_some())?,
        email: String::new(),
        name: String::new(),
        errors: Vec::new(),
    };
    render(&page, StatusCode::OK)
}

/// Public: creates the account; on failure the form again, email kept, password not echoed.
/// With `REQUIRE_VERIFIED_EMAIL`, a "check your inbox" page instead of a session.
pub async fn signup(
    state: web::Data<AppState>,
    client: ClientInfo,
    session: Session,
    form: CsrfForm<SignupForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    let (status, errors) = match Signup::parse(&form.email, form.password, &form.name) {
        Err(fields) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            fields
                .into_iter()
                .map(|(field, reason)| format!("{}: {reason}", label(&field)))
                .collect(),
        ),
        Ok(input) => match service::signup(&state, input, &client).await {
            Ok(SignupOutcome::Signed(issued)) => {
                let res = signed_in_redirect(&state, &session, &issued, "/tasks");
                set_flash(&session, "Welcome to taskgate! Your account is ready.");
                return res;
            }
            Ok(SignupOutcome::VerifyFirst(user)) => {
                return super::email::check_inbox(&session, user.email)
            }
            Err(e @ SignupError::EmailTaken) => (StatusCode::CONFLICT, vec![e.to_string()]),
            Err(SignupError::Fault(f)) => return Err(f.into()),
        },
    };
    let page = SignupPage {
        layout: Layout::new(&session, false)?,
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
