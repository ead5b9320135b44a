//! lettre against the SMTP sink, the mailer's settings, and `.eml` files.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn lettre_delivers_to_the_sink() {
    let sink = SmtpSink::start().await;
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(sink.port())
        .build();
    let message = build_message(
        &from(),
        "jane@example.com",
        "Hi",
        "Hello there\n",
        "m1",
        db::now(),
    )
    .unwrap();
    transport.send(message).await.unwrap();
    let got = sink.wait_for(|m| m.len() == 1, WAIT).await;
    assert_eq!(got[0].mail_from, "no-reply@localhost");
    assert_eq!(got[0].rcpt_to, ["jane@example.com"]);
    assert_eq!(got[0].header("Subject").as_deref(), Some("Hi"));
    assert_eq!(got[0].body(), "Hello there\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_mailer_authenticates_with_the_url_credentials() {
    let sink = SmtpSink::start().await;
    let url = format!("smtp://mailer:p%40ss@127.0.0.1:{}", sink.port());
    let config = MailSettings::from_values(Some(&url), "unused".into(), None).unwrap();
    let mailer = Mailer::new(&config.transport).unwrap();
    assert_eq!(
        mailer.describe(),
        format!("SMTP relay 127.0.0.1:{} (plain)", sink.port())
    );
    let message = build_message(&from(), "a@example.com", "s", "b\n", "m2", db::now()).unwrap();
    mailer.send("m2", &message).await.unwrap();
    let got = sink.wait_for(|m| m.len() == 1, WAIT).await;
    assert_eq!(got[0].auth_user.as_deref(), Some("mailer"));

    sink.set_mode(Mode::Reject550);
    let refused = mailer.send("m3", &message).await.unwrap_err();
    assert!(
        refused.permanent && refused.reason.contains("550"),
        "{refused:?}"
    );
    sink.go_down();
    let down = mailer.send("m4", &message).await.unwrap_err();
    assert!(!down.permanent && down.reason.contains("421"), "{down:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_settings_never_fall_back_to_plain_text() {
    let sink = SmtpSink::start().await;
    let message = build_message(&from(), "a@example.com", "s", "b\n", "m5", db::now()).unwrap();
    for (url, label) in [
        (
            format!("smtp://u:p@127.0.0.1:{}?tls=required", sink.port()),
            "STARTTLS",
        ),
        (format!("smtps://u:p@127.0.0.1:{}", sink.port()), "TLS"),
    ] {
        let config = SmtpConfig::parse(&url).unwrap();
        let mailer = Mailer::new(&TransportConfig::Smtp(config)).unwrap();
        assert!(mailer.describe().ends_with(&format!("({label})")));
        // The sink speaks neither STARTTLS nor TLS: the attempt must fail.
        let error = mailer.send("m5", &message).await.unwrap_err();
        assert!(!error.permanent, "{label}: {error:?}");
    }
    assert!(sink.messages().is_empty(), "nothing went out in the clear");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_smtp_each_message_is_one_eml_file() {
    let dir = tempfile::tempdir().unwrap();
    let mail_dir = dir.path().join("not/yet/there");
    let mailer = Mailer::new(&TransportConfig::Dir(mail_dir.clone())).unwrap();
    let mail = compose(
        &Mail::PasswordReset { token: "tok123" },
        &MailContext {
            public_url: "http://localhost:8080",
            at: db::now(),
        },
    );
    let message = build_message(
        &from(),
        "jane@example.com",
        &mail.subject,
        &mail.body,
        "id-1",
        db::now(),
    )
    .unwrap();
    mailer.send("id-1", &message).await.unwrap();
    mailer.send("id-1", &message).await.unwrap();

    let files: Vec<_> = std::fs::read_dir(&mail_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(
        files,
        [mail_dir.join("id-1.eml")],
        "a retry overwrites its own file"
    );
    let raw = std::fs::read_to_string(&files[0]).unwrap();
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .expect("headers, blank line, body");
    let header = |name: &str| {
        head.split("\r\n")
            .find_map(|l| l.strip_prefix(&format!("{name}: ")))
            .unwrap_or_else(|| panic!("no {name} in {head}"))
            .to_owned()
    };
    chrono::DateTime::parse_from_rfc2822(&header("Date")).unwrap();
    assert_eq!(header("To"), "jane@example.com");
    assert_eq!(header("Message-ID"), "<id-1@localhost>");
    assert!(header("Content-Type").starts_with("text/plain"));
    assert!(body.contains("http://localhost:8080/reset-password?token=tok123\r\n"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&files[0]).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
