//! Where mail goes, from `SMTP_URL`, `MAIL_DIR` and `MAIL_FROM` (README,
//! "Configuration"). Bad input is refused at start with one line naming the
//! variable; the SMTP password never appears in `Debug` or in an error.

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use lettre::message::Mailbox;
use secrecy::SecretString;
use url::Url;

/// The `From` of every message unless `MAIL_FROM` says otherwise.
pub const DEFAULT_FROM: &str = "taskgate <no-reply@localhost>";

/// One line naming the variable and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SettingsError(String);

impl SettingsError {
    pub(super) fn from_reason(reason: String) -> Self {
        Self(reason)
    }
}

fn smtp_error(reason: impl fmt::Display) -> SettingsError {
    SettingsError(format!("SMTP_URL: {reason}"))
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// `smtp://` without `tls`: plain text, for a relay on this machine or network.
    Plain,
    /// `smtp://…?tls=required`: STARTTLS, and no delivery if it fails.
    StartTls,
    /// `smtps://`: TLS from the first byte (port 465).
    Tls,
}

/// A parsed `SMTP_URL`.
#[derive(Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<SecretString>,
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .finish()
    }
}

impl SmtpConfig {
    /// Parses `smtp://host:port`, `smtp://user:pass@host:587?tls=required` or
    /// `smtps://user:pass@host:465`. Refuses what would fail quietly later: an
    /// unknown query key (a typo of `tls` would otherwise mean plain text) and
    /// a password sent in the clear to a host that is not this machine.
    pub fn parse(raw: &str) -> Result<Self, SettingsError> {
        let url = Url::parse(raw.trim()).map_err(|e| smtp_error(format!("not a URL ({e})")))?;
        let mut tls = None;
        for (key, value) in url.query_pairs() {
            match (key.as_ref(), value.as_ref()) {
                ("tls", "required") => tls = Some(true),
                ("tls", other) => {
                    return Err(smtp_error(format!(
                        "tls={other} is not supported (use tls=required, or smtps://)"
                    )))
                }
                (other, _) => return Err(smtp_error(format!("unknown parameter {other:?}"))),
            }
        }
        let (security, default_port) = match (url.scheme(), tls) {
            ("smtp", None) => (SmtpSecurity::Plain, 25),
            ("smtp", Some(_)) => (SmtpSecurity::StartTls, 587),
            ("smtps", _) => (SmtpSecurity::Tls, 465),
            (other, _) => {
                return Err(smtp_error(format!(
                    "scheme {other:?} is not supported (use smtp:// or smtps://)"
                )))
            }
        };
        let host = match url.host_str() {
            Some(h) if !h.is_empty() => h.trim_start_matches('[').trim_end_matches(']'),
            _ => return Err(smtp_error("no host")),
        };
        if !matches!(url.path(), "" | "/") {
            return Err(smtp_error("a path is not supported"));
        }
        let decode = |s: &str| {
            percent_decode(s).ok_or_else(|| smtp_error("user or password is not valid UTF-8"))
        };
        let username = Some(decode(url.username())?).filter(|u| !u.is_empty());
        let password = url.password().map(decode).transpose()?;
        match (&username, &password) {
            (Some(_), None) => return Err(smtp_error("a user name needs a password")),
            (None, Some(_)) => return Err(smtp_error("a password needs a user name")),
            _ => {}
        }
        if password.is_some() && security == SmtpSecurity::Plain && !is_local(host) {
            return Err(smtp_error(
                "refusing to send a password unencrypted to another host \
                 (add ?tls=required, or use smtps://)",
            ));
        }
        Ok(Self {
            host: host.to_owned(),
            port: url.port().unwrap_or(default_port),
            security,
            username,
            password: password.map(SecretString::from),
        })
    }
}

fn percent_decode(s: &str) -> Option<String> {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .ok()
        .map(|v| v.into_owned())
}

fn is_local(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Where messages go.
#[derive(Debug, Clone)]
pub enum TransportConfig {
    /// Through an SMTP relay.
    Smtp(SmtpConfig),
    /// As `.eml` files into this folder (`SMTP_URL` unset: development).
    Dir(PathBuf),
}

/// Everything the mail path reads from the environment.
#[derive(Debug, Clone)]
pub struct MailSettings {
    pub from: Mailbox,
    pub transport: TransportConfig,
}

impl MailSettings {
    /// Builds the settings from the raw variables (empty counts as unset).
    /// `mail_dir` is `MAIL_DIR`, already defaulted by [`default_mail_dir`].
    pub fn from_values(
        smtp_url: Option<&str>,
        mail_dir: PathBuf,
        mail_from: Option<&str>,
    ) -> Result<Self, SettingsError> {
        let from = present(mail_from).unwrap_or(DEFAULT_FROM);
        let from: Mailbox = from.parse().map_err(|_| {
            SettingsError(
                "MAIL_FROM: not a mailbox like `taskgate <no-reply@example.com>`".to_owned(),
            )
        })?;
        let transport = match present(smtp_url) {
            Some(url) => TransportConfig::Smtp(SmtpConfig::parse(url)?),
            None => TransportConfig::Dir(mail_dir),
        };
        Ok(Self { from, transport })
    }
}

fn present(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// `MAIL_DIR`'s default: `mail` beside the SQLite file, or `data/mail` when
/// the database is PostgreSQL (`sqlite_path` = `None`).
pub fn default_mail_dir(sqlite_path: Option<&Path>) -> PathBuf {
    match sqlite_path.and_then(Path::parent) {
        Some(parent) if !parent.as_os_str().is_empty() => parent.join("mail"),
        Some(_) => PathBuf::from("mail"),
        None => PathBuf::from("data/mail"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn the_three_documented_forms_parse() {
        let plain = SmtpConfig::parse("smtp://relay.internal:2525").unwrap();
        assert_eq!(
            (plain.host.as_str(), plain.port, plain.security),
            ("relay.internal", 2525, SmtpSecurity::Plain)
        );
        assert!(plain.username.is_none() && plain.password.is_none());

        let starttls =
            SmtpConfig::parse("smtp://mailer:s%40cret@mail.example.com:587?tls=required").unwrap();
        assert_eq!(starttls.security, SmtpSecurity::StartTls);
        assert_eq!(starttls.port, 587);
        assert_eq!(starttls.username.as_deref(), Some("mailer"));
        assert_eq!(
            starttls.password.as_ref().unwrap().expose_secret(),
            "s@cret"
        );

        let tls = SmtpConfig::parse("smtps://mailer:pw@mail.example.com").unwrap();
        assert_eq!((tls.security, tls.port), (SmtpSecurity::Tls, 465));
        assert_eq!(SmtpConfig::parse("smtp://localhost").unwrap().port, 25);
        assert_eq!(
            SmtpConfig::parse("smtp://mail.example.com?tls=required")
                .unwrap()
                .port,
            587
        );
        assert!(
            SmtpConfig::parse("smtp://u:p@127.0.0.1:1025").is_ok(),
            "local relay"
        );
    }

    #[test]
    fn bad_urls_get_one_line_naming_the_variable_and_never_the_password() {
        for bad in [
            "mail.example.com",
            "http://mail.example.com",
            "smtp://",
            "smtp://mail.example.com?tls=maybe",
            "smtp://mail.example.com?tsl=required",
            "smtp://mailer@mail.example.com:587?tls=required",
            "smtp://mailer:hunter2@mail.example.com:587",
            "smtp://mail.example.com/path",
        ] {
            let error = SmtpConfig::parse(bad).unwrap_err().to_string();
            assert!(error.starts_with("SMTP_URL: "), "{bad}: {error}");
            assert!(
                !error.contains('\n') && !error.contains("hunter2"),
                "{error}"
            );
        }
    }

    #[test]
    fn debug_hides_the_password() {
        let config = SmtpConfig::parse("smtps://mailer:hunter2@mail.example.com").unwrap();
        let debug = format!("{config:?}");
        assert!(
            !debug.contains("hunter2") && debug.contains("***"),
            "{debug}"
        );
        let settings = MailSettings::from_values(
            Some("smtps://mailer:hunter2@mail.example.com"),
            PathBuf::from("x"),
            None,
        )
        .unwrap();
        assert!(!format!("{settings:?}").contains("hunter2"));
    }

    #[test]
    fn unset_smtp_url_means_files_and_mail_from_has_a_default() {
        let settings = MailSettings::from_values(Some(" "), PathBuf::from("d/mail"), None).unwrap();
        assert!(
            matches!(settings.transport, TransportConfig::Dir(ref d) if d == Path::new("d/mail"))
        );
        assert_eq!(settings.from.to_string(), DEFAULT_FROM);
        let custom =
            MailSettings::from_values(None, PathBuf::new(), Some("Tasks <tasks@example.org>"))
                .unwrap();
        assert_eq!(custom.from.email.to_string(), "tasks@example.org");
        let error = MailSettings::from_values(None, PathBuf::new(), Some("nobody"))
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("MAIL_FROM: "), "{error}");
    }

    #[test]
    fn the_mail_folder_defaults_beside_the_database() {
        assert_eq!(
            default_mail_dir(Some(Path::new("data/taskgate.db"))),
            PathBuf::from("data/mail")
        );
        assert_eq!(
            default_mail_dir(Some(Path::new("tg.db"))),
            PathBuf::from("mail")
        );
        assert_eq!(default_mail_dir(None), PathBuf::from("data/mail"));
    }
}
