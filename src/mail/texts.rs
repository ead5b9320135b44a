//! The words of every message: its subject and its paragraphs, before
//! `compose` wraps them and adds the greeting and signature.

use chrono::NaiveDateTime;

use super::compose::Mail;
use super::link;

/// The subject and the paragraphs (a link is a paragraph of its own) of
/// `mail`, for a server at `base` (no trailing slash), sent for an event at `at`.
pub(super) fn subject_and_paragraphs(
    mail: &Mail<'_>,
    base: &str,
    at: NaiveDateTime,
) -> (&'static str, Vec<String>) {
    let kind = mail.kind();
    let when = format!("on {} UTC", at.format("%Y-%m-%d at %H:%M"));
    let url = |token: &str| link(base, kind, token).unwrap_or_default();
    let works = match kind.link_lifetime().map(|d| d.num_hours()) {
        Some(1) => "The link works once, for 1 hour.".to_owned(),
        Some(h) => format!("The link works once, for {h} hours."),
        None => String::new(),
    };
    let not_you = format!(
        "If this was not you, someone else may know your password. Reset it now at \
         {base}/forgot-password, then check your signed-in sessions at {base}/account."
    );
    match mail {
        Mail::VerifyEmail { token } => (
            "Confirm your email address",
            vec![
                "Please confirm that this address belongs to your taskgate account by \
                 opening this link and pressing the button on the page:"
                    .into(),
                url(token),
                format!(
                    "{works} If you did not sign up for taskgate, ignore this message: \
                     nothing happens without the link."
                ),
            ],
        ),
        Mail::PasswordReset { token } => (
            "Reset your password",
            vec![
                "Someone asked to reset the password of the taskgate account for this \
                 address. To choose a new password, open this link:"
                    .into(),
                url(token),
                format!(
                    "{works} If you did not ask for this, ignore this message: your \
                     password stays as it is."
                ),
            ],
        ),
        Mail::PasswordResetDone => (
            "Your password was reset",
            vec![
                format!(
                    "The password of your taskgate account was reset {when} through a link \
                     sent to this address. Every session and personal access token was \
                     signed out."
                ),
                format!(
                    "If this was not you, someone can read this mailbox: secure it, then \
                     reset your password again at {base}/forgot-password."
                ),
            ],
        ),
        Mail::PasswordChanged => (
            "Your password was changed",
            vec![
                format!(
                    "The password of your taskgate account was changed {when}. Your other \
                     sessions were signed out."
                ),
                not_you,
            ],
        ),
        Mail::EmailChangeConfirm { token, new_email } => (
            "Confirm your new email address",
            vec![
                format!(
                    "Someone asked to make {new_email} the address of a taskgate account. \
                     To confirm the change, open this link and press the button on the page:"
                ),
                url(token),
                format!(
                    "{works} If you did not ask for this, ignore this message: nothing \
                     changes without the link."
                ),
            ],
        ),
        Mail::EmailChangeNotice { new_email } => (
            "A change of your email address was requested",
            vec![
                format!(
                    "A change of your taskgate account's address to {} was requested {when}. \
                     It takes effect only when the link sent to that address is opened; \
                     until then this address stays yours.",
                    mask(new_email)
                ),
                not_you,
            ],
        ),
        Mail::TwoFactorEnabled => (
            "Two-factor sign-in turned on",
            vec![
                format!(
                    "Two-factor sign-in was turned on for your taskgate account {when}. \
                     Signing in now needs a code from your authenticator app or a recovery \
                     code."
                ),
                not_you,
            ],
        ),
        Mail::TwoFactorDisabled => (
            "Two-factor sign-in turned off",
            vec![
                format!(
                    "Two-factor sign-in was turned off for your taskgate account {when}. \
                     Signing in now needs only your password."
                ),
                format!("{not_you} Then turn two-factor sign-in back on at {base}/account/2fa."),
            ],
        ),
        Mail::RecoveryCodesRegenerated => (
            "New recovery codes",
            vec![
                format!(
                    "A new set of recovery codes was made for your taskgate account {when}. \
                     The previous codes no longer work."
                ),
                not_you,
            ],
        ),
        Mail::TokenCreated {
            name,
            scopes,
            expires_at,
        } => (
            "New personal access token",
            vec![
                format!(
                    "A personal access token named \"{name}\" was created for your taskgate \
                     account {when}. Scopes: {scopes}. It expires on {} UTC.",
                    expires_at.format("%Y-%m-%d")
                ),
                format!(
                    "If this was not you, revoke it at {base}/account/tokens, then reset \
                     your password at {base}/forgot-password."
                ),
            ],
        ),
    }
}

/// `jane@example.com` as `j***@example.com`: enough for the owner to recognise
/// an address, not enough to hand a stranger reading the old mailbox.
fn mask(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_owned(),
    }
}
