//! Real-browser end-to-end tests: Debian's Chromium, driven through
//! `chromedriver` over WebDriver (fantoccini), against the real app started
//! in-process on a random port with plain-http cookies.
//!
//! Without `/usr/bin/chromium` or `chromedriver` each test prints a
//! `SKIPPED: …` line and passes, unless `REQUIRE_BROWSER=1`, which makes a
//! missing browser a failure. `UPDATE_SCREENSHOT=1` also writes the README's
//! `docs/screenshot-tasks.png`; every run writes `target/e2e/tasks.png`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

#[path = "api/helpers/mod.rs"]
mod helpers;

use std::future::Future;
use std::io::Write as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use helpers::{free_port, spawn_app, TestApp, PASSWORD};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};
use tempfile::TempDir;

const CHROMIUM: &str = "/usr/bin/chromium";
/// The user agent of the second browser, so its row on /account is easy to find.
const SECOND_UA: &str = "taskgate-e2e/second-browser";
const NEW_PASSWORD: &str = "a brand new passphrase 42";
/// How long one step (a navigation, an element to appear) may take.
const STEP: Duration = Duration::from_secs(20);
/// How long a whole scenario may take before it fails rather than hangs.
const SCENARIO: Duration = Duration::from_secs(240);

// ---------------------------------------------------------------------------
// The browser: chromedriver on a free port, Chromium sessions through it.
// ---------------------------------------------------------------------------

/// A running `chromedriver`, in its own process group with the Chromium
/// processes it starts; the whole group is killed on drop.
struct Driver {
    child: Child,
    url: String,
    profiles: Vec<TempDir>,
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

/// Writes straight to stderr, past the test harness's output capture.
fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

impl Driver {
    /// Starts chromedriver, or returns `None` (after printing `SKIPPED`) when
    /// the browser is not installed and `REQUIRE_BROWSER` is not `1`.
    async fn start(test: &str) -> Option<Driver> {
        let chromedriver = on_path("chromedriver");
        let missing: Vec<&str> = [
            (!Path::new(CHROMIUM).is_file()).then_some(CHROMIUM),
            chromedriver.is_none().then_some("chromedriver"),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !missing.is_empty() {
            let why = format!(
                "{} not installed (apt-get install chromium chromium-driver)",
                missing.join(" and ")
            );
            assert!(
                std::env::var("REQUIRE_BROWSER").as_deref() != Ok("1"),
                "REQUIRE_BROWSER=1 but {why}"
            );
            say(&format!("SKIPPED: browser test {test}: {why}"));
            return None;
        }
        let chromedriver = chromedriver.expect("checked above");
        // A port taken between the probe and chromedriver's bind: try another.
        for _ in 0..5 {
            let port = free_port();
            let mut child = Command::new(&chromedriver)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn()
                .expect("spawn chromedriver");
            let url = format!("http://127.0.0.1:{port}");
            if wait_for_chromedriver(&url, &mut child).await {
                return Some(Driver {
                    child,
                    url,
                    profiles: Vec::new(),
                });
            }
            kill_group(&mut child);
        }
        panic!("chromedriver did not start");
    }

    /// A new Chromium session with a fresh profile; `user_agent` overrides
    /// Chromium's own.
    async fn session(&mut self, user_agent: Option<&str>) -> Client {
        let profile = tempfile::tempdir().expect("profile dir");
        let mut args = vec![
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--window-size=1000,900".to_owned(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        if let Some(ua) = user_agent {
            args.push(format!("--user-agent={ua}"));
        }
        self.profiles.push(profile);
        let caps = json!({
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "timeouts": { "pageLoad": 30_000, "script": 15_000, "implicit": 0 },
            "goog:chromeOptions": { "binary": CHROMIUM, "args": args },
        });
        let Value::Object(caps) = caps else {
            unreachable!()
        };
        ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("WebDriver session with Chromium")
    }
}

async fn wait_for_chromedriver(url: &str, child: &mut Child) -> bool {
    let client = helpers::browser();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(15) {
        if let Ok(Some(_)) = child.try_wait() {
            return false; // exited: most likely the port was taken
        }
        if let Ok(res) = client.get(format!("{url}/status")).send().await {
            if res.status().is_success() {
                return true;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// SIGKILL to chromedriver's process group: chromedriver and every Chromium
/// process it started (they inherit the group).
fn kill_group(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let _ = child.kill();
    let _ = child.wait();
}

impl Drop for Driver {
    fn drop(&mut self) {
        kill_group(&mut self.child);
    }
}

/// Runs a scenario with an overall deadline, so a wedged browser fails the
/// test instead of hanging CI.
async fn within_deadline(what: &str, scenario: impl Future<Output = ()>) {
    let started = Instant::now();
    tokio::time::timeout(SCENARIO, scenario)
        .await
        .unwrap_or_else(|_| panic!("{what}: did not finish within {SCENARIO:?}"));
    say(&format!(
        "browser test {what}: {:.1}s",
        started.elapsed().as_secs_f64()
    ));
}

// ---------------------------------------------------------------------------
// What the user does and sees.
// ---------------------------------------------------------------------------

fn css(selector: &str) -> Locator<'_> {
    Locator::Css(selector)
}

/// Waits for an element to be on the page.
async fn find(c: &Client, selector: &str) -> Element {
    match c.wait().at_most(STEP).for_element(css(selector)).await {
        Ok(e) => e,
        Err(err) => panic!(
            "no `{selector}` on {}: {err}\npage text:\n{}",
            path_of(c).await,
            body_text(c).await
        ),
    }
}

async fn text_of(c: &Client, selector: &str) -> String {
    find(c, selector).await.text().await.expect("element text")
}

async fn body_text(c: &Client) -> String {
    match c.find(css("body")).await {
        Ok(body) => body.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// The current path with its query, e.g. `/login?next=%2Ftasks`.
async fn path_of(c: &Client) -> String {
    let url = c.current_url().await.expect("current url");
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    }
}

async fn fill(c: &Client, selector: &str, value: &str) {
    let field = find(c, selector).await;
    field.clear().await.expect("clear field");
    field.send_keys(value).await.expect("type into field");
}

/// Clicks `button` (a submit button, a link) and waits until the browser has
/// left the current document and finished loading the next one.
async fn click_and_wait(c: &Client, button: &Element) {
    c.execute("window.__tgBeforeClick = true; return true;", vec![])
        .await
        .expect("mark the current document");
    button.click().await.expect("click");
    let start = Instant::now();
    loop {
        // While the page changes, a script may fail (no context yet): retry.
        let ready = c
            .execute(
                "return document.readyState === 'complete' && window.__tgBeforeClick !== true;",
                vec![],
            )
            .await;
        if matches!(ready, Ok(Value::Bool(true))) {
            return;
        }
        assert!(
            start.elapsed() < STEP,
            "the click did not lead to a new page (still on {})",
            path_of(c).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Clicks the submit button of the form whose `action` is `action`.
async fn submit(c: &Client, action: &str) {
    let button = find(c, &format!("form[action=\"{action}\"] button[type=submit]")).await;
    click_and_wait(c, &button).await;
}

async fn goto(c: &Client, app: &TestApp, path: &str) {
    c.goto(&app.url(path)).await.expect("navigate");
}

#[track_caller]
fn assert_path(actual: &str, expected: &str, page: &str) {
    assert_eq!(actual, expected, "wrong page; it shows:\n{page}");
}

async fn expect_path(c: &Client, expected: &str) {
    let actual = path_of(c).await;
    if actual != expected {
        assert_path(&actual, expected, &body_text(c).await);
    }
}

async fn sign_up(c: &Client, app: &TestApp, name: &str, email: &str) {
    goto(c, app, "/signup").await;
    assert_eq!(text_of(c, "h1").await, "Create your account");
    fill(c, "#name", name).await;
    fill(c, "#email", email).await;
    fill(c, "#password", PASSWORD).await;
    submit(c, "/signup").await;
    expect_path(c, "/tasks").await;
}

/// Fills and submits the sign-in form that is on the page now.
async fn sign_in_here(c: &Client, email: &str, password: &str) {
    assert_eq!(text_of(c, "h1").await, "Sign in");
    fill(c, "#email", email).await;
    fill(c, "#password", password).await;
    submit(c, "/login").await;
}

async fn sign_out(c: &Client) {
    submit(c, "/logout").await;
    expect_path(c, "/login").await;
    assert_eq!(text_of(c, "h1").await, "Sign in");
}

/// A sign-in that must fail: the form again, with an error, still signed out.
async fn sign_in_fails(c: &Client, app: &TestApp, email: &str, password: &str) {
    goto(c, app, "/login").await;
    sign_in_here(c, email, password).await;
    expect_path(c, "/login").await;
    assert_eq!(text_of(c, "h1").await, "Sign in", "still the sign-in page");
    let alert = text_of(c, "[role=alert]").await;
    assert!(!alert.trim().is_empty(), "a readable error is shown");
    assert!(
        !alert.contains(password),
        "the error does not echo the password"
    );
    assert_eq!(
        find(c, "#email").await.prop("value").await.expect("value"),
        Some(email.to_owned()),
        "the email is kept"
    );
    assert!(
        c.find(css("form[action=\"/logout\"]")).await.is_err(),
        "no sign-out button: not signed in"
    );
    goto(c, app, "/tasks").await;
    expect_path(c, "/login?next=%2Ftasks").await;
}

/// One task as the tasks page shows it.
#[derive(Debug, PartialEq)]
struct Row {
    title: String,
    done: bool,
    button: String,
}

async fn task_rows(c: &Client) -> Vec<Row> {
    let mut rows = Vec::new();
    for li in c.find_all(css("ul.tasks > li.task")).await.expect("rows") {
        let class = li.attr("class").await.expect("class").unwrap_or_default();
        let title = li.find(css(".task-title")).await.expect("title");
        let toggle = li
            .find(css("form[action$=\"/toggle\"] button"))
            .await
            .expect("toggle button");
        rows.push(Row {
            title: title.text().await.expect("title text"),
            done: class.split_whitespace().any(|w| w == "done"),
            button: toggle.text().await.expect("button text"),
        });
    }
    rows
}

async fn task_titles(c: &Client) -> Vec<String> {
    task_rows(c).await.into_iter().map(|r| r.title).collect()
}

/// The `<li>` of the task titled `title`.
async fn task_row(c: &Client, title: &str) -> Element {
    for li in c.find_all(css("ul.tasks > li.task")).await.expect("rows") {
        let t = li.find(css(".task-title")).await.expect("title");
        if t.text().await.expect("title text") == title {
            return li;
        }
    }
    panic!("no task titled {title:?}; page:\n{}", body_text(c).await);
}

async fn add_task(c: &Client, title: &str, description: &str) {
    fill(c, "#title", title).await;
    fill(c, "#description", description).await;
    submit(c, "/tasks").await;
    expect_path(c, "/tasks").await;
    assert!(
        task_titles(c).await.iter().any(|t| t == title),
        "the new task {title:?} is listed"
    );
}

/// Clicks a button inside the row of task `title` (`toggle` or `delete`).
async fn task_action(c: &Client, title: &str, action: &str) {
    let li = task_row(c, title).await;
    let button = li
        .find(css(&format!("form[action$=\"/{action}\"] button")))
        .await
        .expect("action button");
    click_and_wait(c, &button).await;
    expect_path(c, "/tasks").await;
}

/// The rows of the sessions table on /account: (row text, is current).
async fn session_rows(c: &Client) -> Vec<(String, bool)> {
    find(c, "table.sessions").await;
    let mut rows = Vec::new();
    for tr in c
        .find_all(css("table.sessions tbody tr"))
        .await
        .expect("rows")
    {
        let class = tr.attr("class").await.expect("class").unwrap_or_default();
        rows.push((
            tr.text().await.expect("row text"),
            class.split_whitespace().any(|w| w == "current"),
        ));
    }
    rows
}

/// Where screenshots go: `target/e2e/` (or `$CARGO_TARGET_DIR/e2e/`).
fn artifact_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("e2e")
}

async fn save_screenshot(c: &Client, name: &str) -> Vec<u8> {
    let png = c.screenshot().await.expect("screenshot");
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    let dir = artifact_dir();
    std::fs::create_dir_all(&dir).expect("create target/e2e");
    let path = dir.join(name);
    std::fs::write(&path, &png).expect("write screenshot");
    say(&format!("screenshot: {}", path.display()));
    png
}

// ---------------------------------------------------------------------------
// Scenarios.
// ---------------------------------------------------------------------------

/// Sign up, sign out, sign in with `next`, tasks, a second browser's session
/// revoked from /account, a password change, and deleting the account.
#[tokio::test]
async fn a_user_journey_in_chromium() {
    let Some(mut driver) = Driver::start("a_user_journey_in_chromium").await else {
        return;
    };
    let app = spawn_app().await;
    let c = driver.session(None).await;
    let c2 = driver.session(Some(SECOND_UA)).await;
    let email = "ada@example.com";

    within_deadline("a_user_journey_in_chromium", async {
        // Sign up: lands on /tasks with the empty state.
        sign_up(&c, &app, "Ada Lovelace", email).await;
        assert!(text_of(&c, "h1").await.starts_with("Your tasks"));
        assert!(text_of(&c, "p.empty").await.contains("No tasks yet"));
        assert!(task_rows(&c).await.is_empty());
        assert!(body_text(&c)
            .await
            .contains(&format!("Signed in as {email}")));
        assert_eq!(c.title().await.expect("title"), "Tasks · taskgate");

        // Sign out: on /login, and /tasks now sends there too.
        sign_out(&c).await;
        goto(&c, &app, "/tasks").await;
        expect_path(&c, "/login?next=%2Ftasks").await;

        // Sign in from /login?next=%2Faccount: lands on /account.
        goto(&c, &app, "/login?next=%2Faccount").await;
        sign_in_here(&c, email, PASSWORD).await;
        expect_path(&c, "/account").await;
        assert_eq!(text_of(&c, "h1").await, "Account");
        assert!(body_text(&c)
            .await
            .contains(&format!("Signed in as {email}")));
        let sessions = session_rows(&c).await;
        assert_eq!(sessions.len(), 1, "one live session: {sessions:?}");
        assert!(sessions[0].1 && sessions[0].0.contains("This session"));

        // Tasks: add three, complete one, delete one.
        c.find(css("nav a[href=\"/tasks\"]"))
            .await
            .expect("Tasks link")
            .follow()
            .await
            .expect("follow Tasks link");
        expect_path(&c, "/tasks").await;
        add_task(
            &c,
            "Write the quarterly report",
            "Numbers from finance first, then the summary.",
        )
        .await;
        add_task(&c, "Book flights to Lisbon", "").await;
        add_task(&c, "Renew passport", "Photo booth at the post office.").await;
        assert_eq!(
            task_titles(&c).await,
            [
                "Write the quarterly report",
                "Book flights to Lisbon",
                "Renew passport"
            ]
        );
        assert!(c.find(css("p.empty")).await.is_err(), "no empty state");
        assert!(text_of(&c, "h1").await.contains("(3)"));

        task_action(&c, "Book flights to Lisbon", "toggle").await;
        let rows = task_rows(&c).await;
        let done: Vec<&str> = rows
            .iter()
            .filter(|r| r.done)
            .map(|r| r.title.as_str())
            .collect();
        assert_eq!(done, ["Book flights to Lisbon"], "{rows:?}");
        for r in &rows {
            assert_eq!(r.button, if r.done { "Reopen" } else { "Complete" });
        }
        let struck = task_row(&c, "Book flights to Lisbon")
            .await
            .find(css(".task-title"))
            .await
            .expect("title")
            .css_value("text-decoration-line")
            .await
            .expect("css");
        assert_eq!(struck, "line-through", "a done task is struck through");

        let png = save_screenshot(&c, "tasks.png").await;
        if std::env::var("UPDATE_SCREENSHOT").as_deref() == Ok("1") {
            let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
            std::fs::create_dir_all(&docs).expect("docs/");
            std::fs::write(docs.join("screenshot-tasks.png"), &png).expect("write docs png");
        }

        task_action(&c, "Renew passport", "delete").await;
        assert_eq!(
            task_titles(&c).await,
            ["Write the quarterly report", "Book flights to Lisbon"]
        );
        assert!(text_of(&c, "h1").await.contains("(2)"));
        c.refresh().await.expect("reload");
        assert_eq!(task_rows(&c).await.len(), 2, "still two after a reload");

        // A second browser signs in as the same user and sees the same tasks.
        goto(&c2, &app, "/login").await;
        sign_in_here(&c2, email, PASSWORD).await;
        expect_path(&c2, "/tasks").await;
        assert_eq!(
            task_titles(&c2).await,
            ["Write the quarterly report", "Book flights to Lisbon"]
        );

        // The first browser revokes it from /account.
        goto(&c, &app, "/account").await;
        let sessions = session_rows(&c).await;
        assert_eq!(sessions.len(), 2, "{sessions:?}");
        let other = sessions
            .iter()
            .position(|(text, _)| text.contains(SECOND_UA))
            .expect("the second browser's session is listed by its user agent");
        assert!(!sessions[other].1, "and it is not marked current");
        let revoke = c
            .find_all(css("table.sessions tbody tr"))
            .await
            .expect("rows")
            .swap_remove(other)
            .find(css("form[action$=\"/revoke\"] button"))
            .await
            .expect("revoke button");
        click_and_wait(&c, &revoke).await;
        expect_path(&c, "/account").await;
        let sessions = session_rows(&c).await;
        assert_eq!(sessions.len(), 1, "{sessions:?}");
        assert!(sessions[0].1, "only this session is left");
        assert!(!sessions[0].0.contains(SECOND_UA));

        // The second browser is signed out.
        goto(&c2, &app, "/tasks").await;
        expect_path(&c2, "/login?next=%2Ftasks").await;
        assert_eq!(text_of(&c2, "h1").await, "Sign in");

        // Change the password: still signed in here, old password refused, new one works.
        goto(&c, &app, "/account").await;
        fill(&c, "#current_password", PASSWORD).await;
        fill(&c, "#new_password", NEW_PASSWORD).await;
        submit(&c, "/account/password").await;
        expect_path(&c, "/account").await;
        assert!(
            body_text(&c).await.contains("Password changed"),
            "a notice says so"
        );
        sign_out(&c).await;
        sign_in_fails(&c, &app, email, PASSWORD).await;
        goto(&c, &app, "/login").await;
        sign_in_here(&c, email, NEW_PASSWORD).await;
        expect_path(&c, "/tasks").await;
        assert_eq!(task_rows(&c).await.len(), 2);

        // Delete the account: a wrong password is refused, the right one deletes.
        goto(&c, &app, "/account").await;
        fill(&c, "#delete_password", "not my password at all").await;
        submit(&c, "/account/delete").await;
        assert_eq!(
            text_of(&c, "h1").await,
            "Account",
            "still on the account page"
        );
        assert!(!text_of(&c, ".danger-zone [role=alert]").await.is_empty());
        fill(&c, "#delete_password", NEW_PASSWORD).await;
        submit(&c, "/account/delete").await;
        expect_path(&c, "/signup").await;
        assert_eq!(text_of(&c, "h1").await, "Create your account");
        goto(&c, &app, "/tasks").await;
        expect_path(&c, "/login?next=%2Ftasks").await;
        sign_in_fails(&c, &app, email, NEW_PASSWORD).await;
    })
    .await;

    c.close().await.expect("close browser");
    c2.close().await.expect("close second browser");
}

/// HttpOnly auth cookies, escaped task titles, and a CSP that stops inline
/// script, all as Chromium enforces them.
#[tokio::test]
async fn chromium_enforces_httponly_and_csp() {
    let Some(mut driver) = Driver::start("chromium_enforces_httponly_and_csp").await else {
        return;
    };
    let app = spawn_app().await;
    let c = driver.session(None).await;

    within_deadline("chromium_enforces_httponly_and_csp", async {
        sign_up(&c, &app, "Mallory", "mallory@example.com").await;

        // The auth cookies exist, but page script cannot read them.
        let cookies = c.get_all_cookies().await.expect("cookies");
        for name in ["tg_access", "tg_refresh"] {
            let cookie = cookies
                .iter()
                .find(|k| k.name() == name)
                .unwrap_or_else(|| panic!("the browser holds {name}: {cookies:?}"));
            assert_eq!(cookie.http_only(), Some(true), "{name} is HttpOnly");
        }
        let visible = c
            .execute("return document.cookie;", vec![])
            .await
            .expect("document.cookie");
        let visible = visible.as_str().expect("a string");
        assert!(
            !visible.contains("tg_access") && !visible.contains("tg_refresh"),
            "document.cookie shows an auth cookie: {visible:?}"
        );

        // Markup in a task title is shown as text, never run.
        let evil = r#"<img src=x onerror="document.title='pwned'">"#;
        add_task(&c, evil, "<script>document.title='pwned'</script>").await;
        tokio::time::sleep(Duration::from_millis(300)).await; // let an onerror fire, if any
        assert_eq!(c.title().await.expect("title"), "Tasks · taskgate");
        let li = task_row(&c, evil).await;
        assert!(
            li.find(css("img")).await.is_err(),
            "no <img> element was made"
        );
        assert!(li.find(css("script")).await.is_err());
        assert_eq!(
            li.find(css(".task-desc"))
                .await
                .expect("description")
                .text()
                .await
                .expect("text"),
            "<script>document.title='pwned'</script>"
        );

        // An inline <script> injected into the page (as an HTML injection
        // would) does not run: CSP `script-src 'self'` blocks it, and the
        // browser reports the violation.
        let outcome = c
            .execute_async(
                r#"
                const done = arguments[arguments.length - 1];
                const violations = [];
                document.addEventListener('securitypolicyviolation',
                    (e) => violations.push(e.effectiveDirective));
                const s = document.createElement('script');
                s.textContent = 'window.__tgInjected = 42;';
                document.body.appendChild(s);
                const img = document.createElement('img');
                img.setAttribute('onerror', "window.__tgHandler = 1; document.title = 'pwned';");
                img.src = '/no-such-image.png';
                document.body.appendChild(img);
                setTimeout(() => done({
                    injected: typeof window.__tgInjected,
                    handler: typeof window.__tgHandler,
                    title: document.title,
                    violations,
                }), 500);
                "#,
                vec![],
            )
            .await
            .expect("inject");
        assert_eq!(
            outcome["injected"], "undefined",
            "inline script ran: {outcome}"
        );
        assert_eq!(
            outcome["handler"], "undefined",
            "inline handler ran: {outcome}"
        );
        assert_eq!(outcome["title"], "Tasks · taskgate");
        let violations: Vec<&str> = outcome["violations"]
            .as_array()
            .expect("violations")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(
            violations.iter().any(|v| v.starts_with("script-src")),
            "the CSP reported the blocked script: {outcome}"
        );
    })
    .await;

    c.close().await.expect("close browser");
}

/// The newest `.eml` file in `dir` whose text contains `subject`, waiting
/// for the mail worker to write it.
async fn eml_with_subject(dir: &Path, subject: &str) -> String {
    let start = Instant::now();
    loop {
        let found = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .find(|text| text.contains(&format!("Subject: {subject}")));
        if let Some(text) = found {
            return text;
        }
        assert!(
            start.elapsed() < STEP,
            "no .eml with {subject:?} in {}",
            dir.display()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Forgot password: the login page's link, the form, the `.eml` file the
/// server writes without SMTP, its link opened in the browser, a new
/// password, and signing in with it (and not with the old one).
#[tokio::test]
async fn forgot_password_mail_link_resets_and_the_new_password_signs_in() {
    let test = "forgot_password_mail_link_resets_and_the_new_password_signs_in";
    let Some(mut driver) = Driver::start(test).await else {
        return;
    };
    let app = spawn_app().await;
    let c = driver.session(None).await;
    let email = "grace@example.com";
    let new_password = "a freshly reset passphrase 7";

    within_deadline(test, async {
        sign_up(&c, &app, "Grace Hopper", email).await;
        sign_out(&c).await;

        let link = find(&c, "a[href=\"/forgot-password\"]").await;
        click_and_wait(&c, &link).await;
        expect_path(&c, "/forgot-password").await;
        fill(&c, "#email", email).await;
        submit(&c, "/forgot-password").await;
        expect_path(&c, "/login").await;
        assert!(text_of(&c, ".flash").await.contains("on its way"));

        let eml = eml_with_subject(&app.dir.path().join("mail"), "Reset your password").await;
        assert!(eml.contains(&format!("To: {email}")), "{eml}");
        let url = eml
            .split_whitespace()
            .find(|w| w.contains("/reset-password?token="))
            .expect("a reset link in the mail")
            .to_owned();
        c.goto(&url).await.expect("open the link");
        assert_eq!(text_of(&c, "h1").await, "Choose a new password");
        fill(&c, "#new_password", new_password).await;
        submit(&c, "/reset-password").await;
        expect_path(&c, "/login").await;
        assert!(text_of(&c, ".flash").await.contains("password was reset"));

        sign_in_here(&c, email, PASSWORD).await;
        expect_path(&c, "/login").await;
        assert!(
            !text_of(&c, "[role=alert]").await.is_empty(),
            "the old password is refused"
        );
        sign_in_here(&c, email, new_password).await;
        expect_path(&c, "/tasks").await;

        // The link worked once: opened again, it says so and offers a new one.
        c.goto(&url).await.expect("open the link again");
        assert_eq!(text_of(&c, "h1").await, "This link is no longer valid");
        find(&c, "form[action=\"/forgot-password\"]").await;
    })
    .await;

    c.close().await.expect("close browser");
}

// ---------------------------------------------------------------------------
// Passkeys: a WebDriver virtual authenticator (W3C WebAuthn §11.3).
// ---------------------------------------------------------------------------

/// WebDriver "Add Virtual Authenticator", which fantoccini lacks.
#[derive(Debug)]
struct AddVirtualAuthenticator(Value);

impl fantoccini::wd::WebDriverCompatibleCommand for AddVirtualAuthenticator {
    fn endpoint(
        &self,
        base: &reqwest::Url,
        session: Option<&str>,
    ) -> Result<reqwest::Url, <reqwest::Url as std::str::FromStr>::Err> {
        base.join(&format!(
            "session/{}/webauthn/authenticator",
            session.unwrap_or("")
        ))
    }
    fn method_and_body(&self, _: &reqwest::Url) -> (reqwest::Method, Option<String>) {
        (reqwest::Method::POST, Some(self.0.to_string()))
    }
}

/// WebDriver "Get Credentials": what a virtual authenticator holds.
#[derive(Debug)]
struct GetCredentials(String);

impl fantoccini::wd::WebDriverCompatibleCommand for GetCredentials {
    fn endpoint(
        &self,
        base: &reqwest::Url,
        session: Option<&str>,
    ) -> Result<reqwest::Url, <reqwest::Url as std::str::FromStr>::Err> {
        base.join(&format!(
            "session/{}/webauthn/authenticator/{}/credentials",
            session.unwrap_or(""),
            self.0
        ))
    }
    fn method_and_body(&self, _: &reqwest::Url) -> (reqwest::Method, Option<String>) {
        (reqwest::Method::GET, None)
    }
}

/// Gives the browser session a platform authenticator (CTAP2, internal
/// transport, resident keys, user verification that always succeeds).
async fn add_passkey_authenticator(c: &Client) -> String {
    let id = c
        .issue_cmd(AddVirtualAuthenticator(json!({
            "protocol": "ctap2",
            "transport": "internal",
            "hasResidentKey": true,
            "hasUserVerification": true,
            "isUserVerified": true,
            "isUserConsenting": true,
            "automaticPresenceSimulation": true,
        })))
        .await
        .expect("add virtual authenticator");
    id.as_str().expect("authenticator id").to_owned()
}

/// Opens `path` on `http://localhost:<port>`: the app's `PUBLIC_URL`, since
/// browsers refuse passkeys on an IP-address origin.
async fn goto_localhost(c: &Client, app: &TestApp, path: &str) {
    c.goto(&format!("http://localhost:{}{path}", app.port))
        .await
        .expect("navigate");
}

/// Sign up, see the 2FA enrolment page, add a passkey, sign out, sign in
/// with it, delete it, and fail to sign in with it: through the real pages
/// and `/static/js/passkeys.js`, with a virtual authenticator.
#[tokio::test]
async fn passkeys_in_chromium_with_a_virtual_authenticator() {
    let test = "passkeys_in_chromium_with_a_virtual_authenticator";
    let Some(mut driver) = Driver::start(test).await else {
        return;
    };
    // Bound on loopback, so PUBLIC_URL defaults to http://localhost:<port>.
    let app = spawn_app().await;
    let c = driver.session(None).await;
    let authenticator = add_passkey_authenticator(&c).await;

    within_deadline(test, async {
        goto_localhost(&c, &app, "/signup").await;
        fill(&c, "#name", "Grace Hopper").await;
        fill(&c, "#email", "grace@example.com").await;
        fill(&c, "#password", PASSWORD).await;
        submit(&c, "/signup").await;
        expect_path(&c, "/tasks").await;

        // The 2FA page draws its QR code as a server-made image under the CSP.
        goto_localhost(&c, &app, "/account/2fa").await;
        fill(&c, "#enrol_password", PASSWORD).await;
        submit(&c, "/account/2fa/enrol").await;
        expect_path(&c, "/account/2fa").await;
        let width = c
            .execute(
                "const img = document.querySelector('img.qr'); \
                 return img.complete ? img.naturalWidth : 0;",
                vec![],
            )
            .await
            .expect("qr width");
        assert!(
            width.as_u64().unwrap_or(0) >= 200,
            "the QR code loads: {width}"
        );
        assert!(text_of(&c, "#totp-secret").await.len() >= 32);
        let png = save_screenshot(&c, "2fa.png").await;
        if std::env::var("UPDATE_SCREENSHOT").as_deref() == Ok("1") {
            let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
            std::fs::write(docs.join("screenshot-2fa.png"), &png).expect("write docs png");
        }

        // Add a passkey: a name first, then the authenticator creates it.
        goto_localhost(&c, &app, "/account/passkeys").await;
        assert!(text_of(&c, "p.empty").await.contains("No passkeys yet"));
        let add = find(&c, "button[data-passkey=register]").await;
        add.click().await.expect("click add");
        let error = find(&c, "[data-passkey-error]:not([hidden])").await;
        assert_eq!(
            error.text().await.expect("text"),
            "Give the passkey a name first."
        );
        fill(&c, "#passkey-name", "Laptop").await;
        click_and_wait(&c, &add).await;
        expect_path(&c, "/account/passkeys").await;
        assert_eq!(text_of(&c, "td.passkey-name").await, "Laptop");
        let held = c
            .issue_cmd(GetCredentials(authenticator.clone()))
            .await
            .expect("credentials");
        let held = held.as_array().expect("a list");
        assert_eq!(held.len(), 1, "one credential on the authenticator");
        assert_eq!(held[0]["isResidentCredential"], true);
        assert_eq!(held[0]["rpId"], "localhost");

        // Sign out, then sign in with the passkey alone, on to `next`.
        sign_out(&c).await;
        goto_localhost(&c, &app, "/login?next=%2Faccount%2Fpasskeys").await;
        let button = find(&c, "button[data-passkey=login]").await;
        assert_eq!(button.text().await.expect("text"), "Sign in with a passkey");
        click_and_wait(&c, &button).await;
        expect_path(&c, "/account/passkeys").await;
        assert!(body_text(&c).await.contains("Signed in with a passkey"));
        assert!(
            c.find(css("form[action=\"/logout\"]")).await.is_ok(),
            "signed in"
        );
        let row = text_of(&c, "table.passkeys tbody tr").await;
        assert!(!row.contains("never"), "last used is recorded: {row}");

        // Delete it, sign out: the authenticator still offers it, the server refuses it.
        let delete = find(&c, "form[action$=\"/delete\"] button").await;
        click_and_wait(&c, &delete).await;
        expect_path(&c, "/account/passkeys").await;
        assert!(text_of(&c, "p.empty").await.contains("No passkeys yet"));
        sign_out(&c).await;
        let button = find(&c, "button[data-passkey=login]").await;
        button.click().await.expect("click sign in");
        let error = find(&c, "[data-passkey-error]:not([hidden])").await;
        let message = error.text().await.expect("text");
        assert!(message.contains("not accepted"), "{message}");
        expect_path(&c, "/login").await;
        goto_localhost(&c, &app, "/tasks").await;
        expect_path(&c, "/login?next=%2Ftasks").await;
    })
    .await;

    c.close().await.expect("close browser");
}

/// The defaults a user gets from `cargo run --release`: `COOKIE_SECURE=true`
/// (`__Host-` cookies with `Secure`), EdDSA, the file outbox. Browsers treat
/// `http://localhost` as a secure context, so the whole journey works there
/// over plain http: sign up, add a task, sign out, sign in again.
#[tokio::test]
async fn the_default_configuration_works_in_chromium_on_localhost() {
    let test = "the_default_configuration_works_in_chromium_on_localhost";
    let Some(mut driver) = Driver::start(test).await else {
        return;
    };
    let app = helpers::spawn_app_with(|c| c.cookie_secure = true).await;
    let c = driver.session(None).await;
    within_deadline(test, async {
        goto_localhost(&c, &app, "/signup").await;
        fill(&c, "#name", "Dee Fault").await;
        fill(&c, "#email", "default@example.com").await;
        fill(&c, "#password", PASSWORD).await;
        submit(&c, "/signup").await;
        expect_path(&c, "/tasks").await;
        let cookies = c.get_all_cookies().await.expect("cookies");
        let names: Vec<String> = cookies.iter().map(|k| k.name().to_owned()).collect();
        assert!(names.iter().any(|n| n == "__Host-tg_access"), "{names:?}");
        assert!(
            cookies.iter().all(|k| k.secure() == Some(true)),
            "every cookie is Secure"
        );
        add_task(&c, "Works out of the box", "").await;
        assert_eq!(task_titles(&c).await, ["Works out of the box"]);
        sign_out(&c).await;
        goto_localhost(&c, &app, "/login").await;
        sign_in_here(&c, "default@example.com", PASSWORD).await;
        expect_path(&c, "/tasks").await;
        assert_eq!(task_titles(&c).await, ["Works out of the box"]);
    })
    .await;
}
