// @generated automatically by Diesel CLI.

diesel::table! {
    email_tokens (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        purpose -> Text,
        new_email -> Nullable<Text>,
        session_id -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    mfa_challenges (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        password_stamp -> Text,
        failures -> Integer,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    outbox (id) {
        id -> Text,
        to_addr -> Text,
        kind -> Text,
        subject -> Text,
        body_sealed -> Nullable<Text>,
        carries_token -> Bool,
        status -> Text,
        attempts -> Integer,
        last_error -> Nullable<Text>,
        next_attempt_at -> Timestamp,
        claimed_by -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    passkeys (id) {
        id -> Text,
        user_id -> Text,
        name -> Text,
        credential_id -> Text,
        passkey -> Text,
        counter -> BigInt,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    personal_access_tokens (id) {
        id -> Text,
        user_id -> Text,
        name -> Text,
        token_hash -> Text,
        scopes -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    rate_limits (bucket) {
        bucket -> Text,
        tat -> BigInt,
    }
}

diesel::table! {
    recovery_codes (id) {
        id -> Text,
        user_id -> Text,
        code_hash -> Text,
        created_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    refresh_tokens (token_hash) {
        token_hash -> Text,
        session_id -> Text,
        created_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        successor_hash -> Nullable<Text>,
        successor_sealed -> Nullable<Text>,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> Text,
        user_agent -> Nullable<Text>,
        ip -> Nullable<Text>,
        created_at -> Timestamp,
        last_used_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    signing_keys (kid) {
        kid -> Text,
        public_x -> Text,
        private_sealed -> Text,
        created_at -> Timestamp,
        activates_at -> Timestamp,
    }
}

diesel::table! {
    tasks (id) {
        id -> Text,
        user_id -> Text,
        title -> Text,
        description -> Nullable<Text>,
        completed -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        name -> Nullable<Text>,
        password_hash -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        email_verified -> Bool,
        totp_enabled -> Bool,
        totp_secret_sealed -> Nullable<Text>,
        totp_last_step -> Nullable<BigInt>,
        tasks_version -> BigInt,
    }
}

diesel::table! {
    webauthn_ceremonies (id) {
        id -> Text,
        user_id -> Nullable<Text>,
        kind -> Text,
        state -> Text,
        expires_at -> Timestamp,
    }
}

diesel::joinable!(email_tokens -> users (user_id));
diesel::joinable!(mfa_challenges -> users (user_id));
diesel::joinable!(passkeys -> users (user_id));
diesel::joinable!(personal_access_tokens -> users (user_id));
diesel::joinable!(recovery_codes -> users (user_id));
diesel::joinable!(refresh_tokens -> sessions (session_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(tasks -> users (user_id));
diesel::joinable!(webauthn_ceremonies -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    email_tokens,
    mfa_challenges,
    outbox,
    passkeys,
    personal_access_tokens,
    rate_limits,
    recovery_codes,
    refresh_tokens,
    sessions,
    signing_keys,
    tasks,
    users,
    webauthn_ceremonies,
);
