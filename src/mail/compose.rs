//! What each message says: a subject and a plain-text body that reads well on
//! its own (no HTML).
//!
//! Bodies are ASCII apart from what the caller passes in (an address, a token
//! name). Notices say what happened, when, and what to do if it was not you.

use std::fmt;

use chrono::NaiveDateTime;

use super::{link, MailKind};

/// What the caller supplies for each message. Tokens go in raw; the link is
/// built here from `PUBLIC_URL` so the path can never be wrong.
#[derive(Clone, Copy)]
pub enum Mail<'a> {
    VerifyEmail {
        token: &'a str,
    },
    PasswordReset {
        token: &'a str,
    },
    PasswordResetDone,
    PasswordChanged,
    /// Sent to the new address.
    EmailChangeConfirm {
        token: &'a str,
        new_email: &'a str,
    },
    /// Sent to the old address; `new_email` is shown masked.
    EmailChangeNotice {
        new_email: &'a str,
    },
    TwoFactorEnabled,
    TwoFactorDisabled,
    RecoveryCodesRegenerated,
    /// `scopes` as the user should read them, e.g. `tasks:read, introspect`.
    TokenCreated {
        name: &'a str,
        scopes: &'a str,
        expires_at: NaiveDateTime,
    },
}

/// Facts every message needs: the external base URL and when it happened.
#[derive(Debug, Clone, Copy)]
pub struct MailContext<'a> {
    pub public_url: &'a str,
    pub at: NaiveDateTime,
}

/// A composed message, ready to be queued. `Debug` hides the body: it may
/// hold a link with a token.
#[derive(Clone, PartialEq, Eq)]
pub struct Composed {
    pub kind: MailKind,
    pub subject: String,
    pub body: String,
}

impl fmt::Debug for Composed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Composed")
            .field("kind", &self.kind)
            .field("subject", &self.subject)
            .field("body", &"***")
            .finish()
    }
}

impl Mail<'_> {
    /// Which kind of message this is.
    pub fn kind(&self) -> MailKind {
        match self {
            Self::VerifyEmail { .. } => MailKind::VerifyEmail,
            Self::PasswordReset { .. } => MailKind::PasswordReset,
            Self::PasswordResetDone => MailKind::PasswordResetDone,
            Self::PasswordChanged => MailKind::PasswordChanged,
            Self::EmailChangeConfirm { .. } => MailKind::EmailChangeConfirm,
            Self::EmailChangeNotice { .. } => MailKind::EmailChangeNotice,
            Self::TwoFactorEnabled => MailKind::TwoFactorEnabled,
            Self::TwoFactorDisabled => MailKind::TwoFactorDisabled,
            Self::RecoveryCodesRegenerated => MailKind::RecoveryCodesRegenerated,
            Self::TokenCreated { .. } => MailKind::TokenCreated,
        }
    }
}

/// Writes the subject and body for `mail`: paragraphs wrapped at 72 columns,
/// a link alone on its line (never wrapped), a signature.
pub fn compose(mail: &Mail<'_>, ctx: &MailContext<'_>) -> Composed {
    let kind = mail.kind();
    let base = ctx.public_url.trim_end_matches('/');
    let when = format!("on {} UTC", ctx.at.format("%Y-%m-%d at %H:%M"));
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
    let (subject, paragraphs): (&str, Vec<String>) = match mail {
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
    };
    let text: Vec<String> = paragraphs.iter().map(|p| wrap(p, 72)).collect();
    Composed {
        kind,
        subject: subject.to_owned(),
        body: format!("Hello,\n\n{}\n\n-- \ntaskgate\n{base}\n", text.join("\n\n")),
    }
}

/// Greedy word wrap; a word longer than `width` (a link) gets a line of its own.
fn wrap(paragraph: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line_len = 0;
    for word in paragraph.split_whitespace() {
        let len = word.chars().count();
        if line_len > 0 && line_len + 1 + len > width {
            out.push('\n');
            line_len = 0;
        } else if line_len > 0 {
            out.push(' ');
            line_len += 1;
        }
        out.push_str(word);
        line_len += len;
    }
    out
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    const BASE: &str = "https://tasks.example.org/";

    fn at() -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 11, 29)
            .unwrap()
            .and_hms_opt(14, 3, 0)
            .unwrap()
    }

    fn every_mail() -> Vec<Mail<'static>> {
        vec![
            Mail::VerifyEmail {
                token: "tok-verify",
            },
            Mail::PasswordReset { token: "tok-reset" },
            Mail::PasswordResetDone,
            Mail::PasswordChanged,
            Mail::EmailChangeConfirm {
                token: "tok-change",
                new_email: "new@example.net",
            },
            Mail::EmailChangeNotice {
                new_email: "new@example.net",
            },
            Mail::TwoFactorEnabled,
            Mail::TwoFactorDisabled,
            Mail::RecoveryCodesRegenerated,
            Mail::TokenCreated {
                name: "backup script",
                scopes: "tasks:read",
                expires_at: at() + chrono::Duration::days(90),
            },
        ]
    }

    /// The body with line breaks and runs of spaces as single spaces.
    fn flat(mail: &Composed) -> String {
        mail.body.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    fn composed(mail: &Mail<'_>) -> Composed {
        compose(
            mail,
            &MailContext {
                public_url: BASE,
                at: at(),
            },
        )
    }

    #[test]
    fn every_kind_has_a_mail_and_only_link_kinds_carry_a_token() {
        let kinds: Vec<MailKind> = every_mail().iter().map(Mail::kind).collect();
        assert_eq!(kinds, MailKind::ALL.to_vec());
        let with_token: Vec<&str> = MailKind::ALL
            .into_iter()
            .filter(|k| k.carries_token())
            .map(MailKind::as_str)
            .collect();
        assert_eq!(
            with_token,
            ["verify_email", "password_reset", "email_change_confirm"]
        );
        for kind in MailKind::ALL {
            assert_eq!(MailKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(MailKind::parse("nonsense"), None);
    }

    #[test]
    fn link_mails_hold_exactly_their_link_and_say_how_long_it_works() {
        let cases = [
            (
                0,
                "https://tasks.example.org/verify-email?token=tok-verify",
                "24 hours",
            ),
            (
                1,
                "https://tasks.example.org/reset-password?token=tok-reset",
                "1 hour",
            ),
            (
                4,
                "https://tasks.example.org/confirm-email?token=tok-change",
                "1 hour",
            ),
        ];
        let mails = every_mail();
        for (index, link, lifetime) in cases {
            let mail = composed(&mails[index]);
            let links: Vec<&str> = mail
                .body
                .split_whitespace()
                .filter(|w| w.contains("token="))
                .collect();
            assert_eq!(links, [link], "{}", mail.body);
            assert!(flat(&mail).contains(lifetime), "{}", mail.body);
            assert!(flat(&mail).contains("ignore this message"), "{}", mail.body);
        }
    }

    #[test]
    fn notices_say_what_when_and_what_to_do_and_carry_no_token() {
        for mail in every_mail().iter().filter(|m| !m.kind().carries_token()) {
            let mail = composed(mail);
            let text = flat(&mail);
            assert!(!text.contains("token="), "{}", mail.body);
            assert!(text.contains("on 2026-11-29 at 14:03 UTC"), "{}", mail.body);
            assert!(text.contains("If this was not you"), "{}", mail.body);
            assert!(
                text.contains("https://tasks.example.org/forgot-password"),
                "{}",
                mail.body
            );
        }
    }

    #[test]
    fn bodies_read_as_plain_text() {
        for mail in every_mail() {
            let mail = composed(&mail);
            assert!(!mail.subject.is_empty() && mail.subject.is_ascii());
            assert!(mail.body.starts_with("Hello,\n\n"));
            assert!(mail
                .body
                .ends_with("-- \ntaskgate\nhttps://tasks.example.org\n"));
            assert!(!mail.body.contains('<') && !mail.body.contains("{"));
            for line in mail.body.lines().filter(|l| !l.contains("://")) {
                assert!(line.len() <= 78, "long line {line:?}");
            }
        }
    }

    #[test]
    fn the_old_address_sees_the_new_one_masked_and_debug_hides_the_body() {
        let notice = composed(&every_mail()[5]);
        assert!(notice.body.contains("n***@example.net"));
        assert!(!notice.body.contains("new@example.net"));
        let confirm = composed(&every_mail()[4]);
        assert!(confirm.body.contains("new@example.net"));
        let debug = format!("{confirm:?}");
        assert!(!debug.contains("tok-change") && debug.contains("***"));
    }

    #[test]
    fn links_escape_the_token_and_ignore_a_trailing_slash() {
        assert_eq!(
            link("http://localhost:8080/", MailKind::PasswordReset, "a+b/c=").as_deref(),
            Some("http://localhost:8080/reset-password?token=a%2Bb%2Fc%3D")
        );
        assert_eq!(link(BASE, MailKind::PasswordChanged, "x"), None);
    }
}
