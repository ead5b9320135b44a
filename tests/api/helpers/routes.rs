//! One helper per route the tests use often (the `Api` trait, for the
//! in-process app and for real processes alike), and ready users: an API user
//! with its token pair (`spawn_app().await.with_user().await`) or a browser
//! signed in through the form (`web_user`).

use reqwest::{Client, Method, Response, StatusCode};
use serde_json::{json, Value};

use super::app::{browser, plain_client, TestApp, PASSWORD};
use super::cookies::cookie_value;
use super::html::csrf_in;
use super::process::ServerProcess;

/// A user signed up over the API, with its token pair.
#[derive(Debug, Clone)]
pub struct ApiUser {
    pub id: String,
    pub email: String,
    pub access: String,
    pub refresh: String,
}

/// A browser signed up through the form, and the auth cookies it was given.
pub struct WebUser {
    pub client: Client,
    pub email: String,
    pub access: String,
    pub refresh: String,
}

/// The address of the ready user `with_user` and `with_web_user` make.
pub const USER_EMAIL: &str = "user@example.com";

impl TestApp {
    /// The app and a user signed up over the API (`USER_EMAIL`, `PASSWORD`).
    pub async fn with_user(self) -> (TestApp, ApiUser) {
        let user = self.api_signup(USER_EMAIL).await;
        (self, user)
    }

    /// The app and a browser signed up through the form (`USER_EMAIL`).
    pub async fn with_web_user(self) -> (TestApp, WebUser) {
        let user = self.web_user(USER_EMAIL).await;
        (self, user)
    }
}

/// Anything that serves taskgate over HTTP: the in-process app
/// ([`TestApp`]) or a real process ([`ServerProcess`]).
pub trait Api {
    /// The full URL of `path`.
    fn url(&self, path: &str) -> String;

    /// The client requests without a caller-chosen client go through.
    fn http(&self) -> Client;

    /// POST JSON without credentials.
    async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.http()
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// Any method with a Bearer token and an optional JSON body.
    async fn bearer(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> Response {
        let mut req = browser().request(method, self.url(path)).bearer_auth(token);
        if let Some(b) = body {
            req = req.json(b);
        }
        req.send().await.expect("request")
    }

    // ------------------------------------------------------------ /api/auth

    /// `POST /api/auth/signup` with `body` as it is.
    async fn signup(&self, body: &Value) -> Response {
        self.post_json("/api/auth/signup", body).await
    }

    /// Signs up over the API and returns the user with its tokens.
    async fn api_signup(&self, email: &str) -> ApiUser {
        let res = self
            .signup(&json!({ "email": email, "password": PASSWORD }))
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "signup {email}");
        let body: Value = res.json().await.expect("json");
        ApiUser {
            id: body["user"]["id"].as_str().expect("id").to_owned(),
            email: body["user"]["email"].as_str().expect("email").to_owned(),
            access: body["access_token"].as_str().expect("access").to_owned(),
            refresh: body["refresh_token"].as_str().expect("refresh").to_owned(),
        }
    }

    /// `POST /api/auth/login`.
    async fn login(&self, email: &str, password: &str) -> Response {
        self.post_json(
            "/api/auth/login",
            &json!({ "email": email, "password": password }),
        )
        .await
    }

    /// Logs in over the API (which must succeed); returns (access, refresh).
    async fn login_tokens(&self, email: &str, password: &str) -> (String, String) {
        let res = self.login(email, password).await;
        assert_eq!(res.status(), StatusCode::OK, "login {email}");
        let body: Value = res.json().await.expect("json");
        (
            body["access_token"].as_str().expect("access").to_owned(),
            body["refresh_token"].as_str().expect("refresh").to_owned(),
        )
    }

    /// `POST /api/auth/refresh`.
    async fn refresh(&self, refresh_token: &str) -> Response {
        self.post_json(
            "/api/auth/refresh",
            &json!({ "refresh_token": refresh_token }),
        )
        .await
    }

    /// `POST /api/auth/logout` with a Bearer token.
    async fn logout(&self, token: &str) -> Response {
        self.bearer(Method::POST, "/api/auth/logout", token, None)
            .await
    }

    /// `GET /api/auth/me` with a Bearer token.
    async fn me(&self, token: &str) -> Response {
        self.bearer(Method::GET, "/api/auth/me", token, None).await
    }

    /// The status `GET /api/auth/me` answers for `token`.
    async fn me_status(&self, token: &str) -> StatusCode {
        self.me(token).await.status()
    }

    /// `GET /api/auth/sessions` (which must succeed): the listed sessions.
    async fn sessions(&self, token: &str) -> Vec<Value> {
        let res = self
            .bearer(Method::GET, "/api/auth/sessions", token, None)
            .await;
        assert_eq!(res.status(), StatusCode::OK, "list sessions");
        let body: Value = res.json().await.expect("json");
        body["sessions"].as_array().expect("sessions").clone()
    }

    // ------------------------------------------------------------ /api/tasks

    /// Creates a task over the API and returns its JSON.
    async fn api_create_task(&self, token: &str, title: &str) -> Value {
        let res = self
            .bearer(
                Method::POST,
                "/api/tasks",
                token,
                Some(&json!({ "title": title })),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        res.json().await.expect("json")
    }

    /// `GET /api/tasks` with a Bearer token, whatever it answers.
    async fn get_tasks(&self, token: &str) -> Response {
        self.bearer(Method::GET, "/api/tasks", token, None).await
    }

    /// `GET /api/tasks` (which must succeed): `{"tasks", "total", …}`.
    async fn api_tasks(&self, token: &str) -> Value {
        let res = self.bearer(Method::GET, "/api/tasks", token, None).await;
        assert_eq!(res.status(), StatusCode::OK, "list tasks");
        res.json().await.expect("json")
    }

    // ------------------------------------------------------------ personal access tokens

    /// Creates a personal access token over the API with a session's access
    /// token; returns its id and secret.
    async fn api_create_pat(&self, access: &str, scopes: &[&str]) -> (String, String) {
        let res = self
            .bearer(
                Method::POST,
                "/api/auth/tokens",
                access,
                Some(&json!({ "name": "test token", "scopes": scopes })),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "create token");
        let body: Value = res.json().await.expect("json");
        (
            body["id"].as_str().expect("id").to_owned(),
            body["token"].as_str().expect("token").to_owned(),
        )
    }

    // ------------------------------------------------------------ pages

    /// `GET path` with `client`.
    async fn page(&self, client: &Client, path: &str) -> Response {
        client.get(self.url(path)).send().await.expect("get")
    }

    /// The HTML of `path` (which must answer 200) as `client` sees it.
    async fn page_text(&self, client: &Client, path: &str) -> String {
        let res = self.page(client, path).await;
        assert_eq!(res.status(), StatusCode::OK, "GET {path}");
        res.text().await.expect("text")
    }

    /// Posts a form with `client`, exactly as given (add `csrf_token` yourself).
    async fn post_form(&self, client: &Client, path: &str, form: &[(&str, &str)]) -> Response {
        client
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .expect("post")
    }

    /// GETs a page with `client` and returns the CSRF token found in its form.
    async fn csrf_from(&self, client: &Client, path: &str) -> String {
        let html = self.page(client, path).await.text().await.expect("text");
        csrf_in(&html).unwrap_or_else(|| panic!("no csrf_token on {path}"))
    }

    /// Signs up through the HTML form with `client` (its jar then holds the auth cookies).
    async fn web_signup(&self, client: &Client, email: &str) -> Response {
        let csrf = self.csrf_from(client, "/signup").await;
        self.post_form(
            client,
            "/signup",
            &[
                ("name", "Test"),
                ("email", email),
                ("password", PASSWORD),
                ("csrf_token", &csrf),
            ],
        )
        .await
    }

    /// Signs in through the HTML form with `client`.
    async fn web_login(
        &self,
        client: &Client,
        email: &str,
        password: &str,
        next: Option<&str>,
    ) -> Response {
        let csrf = self.csrf_from(client, "/login").await;
        let mut form = vec![
            ("email", email),
            ("password", password),
            ("csrf_token", csrf.as_str()),
        ];
        if let Some(n) = next {
            form.push(("next", n));
        }
        self.post_form(client, "/login", &form).await
    }

    /// A new browser signed up through the form as `email`.
    async fn web_user(&self, email: &str) -> WebUser {
        let client = browser();
        let res = self.web_signup(&client, email).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "web signup {email}");
        WebUser {
            access: cookie_value(&res, "tg_access").expect("tg_access set on signup"),
            refresh: cookie_value(&res, "tg_refresh").expect("tg_refresh set on signup"),
            client,
            email: email.to_owned(),
        }
    }

    /// Another browser signed in through the form as `email`; returns it and
    /// its access cookie.
    async fn web_login_user(&self, email: &str, password: &str) -> (Client, String) {
        let client = browser();
        let res = self.web_login(&client, email, password, None).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "web login {email}");
        let access = cookie_value(&res, "tg_access").expect("tg_access set on login");
        (client, access)
    }
}

impl Api for TestApp {
    fn url(&self, path: &str) -> String {
        TestApp::url(self, path)
    }

    /// The app's own client, with its cookie jar.
    fn http(&self) -> Client {
        self.client.clone()
    }
}

impl Api for ServerProcess {
    fn url(&self, path: &str) -> String {
        ServerProcess::url(self, path)
    }

    fn http(&self) -> Client {
        plain_client()
    }
}
