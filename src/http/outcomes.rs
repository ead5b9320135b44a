//! Flow outcomes as HTTP errors: the one place where "wrong password" becomes
//! 403 and "account throttled" becomes 429. Pages that show a form again
//! match on the flow's own error instead.

use crate::auth::guard::AccessError;
use crate::auth::limits::Throttled;
use crate::auth::service::passkeys::PasskeyFlowError;
use crate::auth::service::two_factor::{SecondStepError, TwoFactorError};
use crate::auth::service::{
    ChangePasswordError, ConfirmEmailError, CreatePatError, EmailChangeError, LoginError,
    ReauthError, RefreshError, ResetPasswordError, RevokeError, SignupError, VerifyEmailError,
};
use crate::error::AppError;

impl From<Throttled> for AppError {
    fn from(t: Throttled) -> Self {
        AppError::RateLimited {
            retry_after_secs: t.retry_after_secs,
        }
    }
}

impl From<LoginError> for AppError {
    fn from(e: LoginError) -> Self {
        match e {
            LoginError::InvalidCredentials => AppError::Unauthorized {
                token_refused: false,
            },
            LoginError::Throttled(t) => t.into(),
            LoginError::Fault(f) => f.into(),
            LoginError::EmailNotVerified => AppError::EmailNotVerified,
        }
    }
}

impl From<SignupError> for AppError {
    fn from(e: SignupError) -> Self {
        match e {
            e @ SignupError::EmailTaken => AppError::Conflict(e.to_string()),
            SignupError::Fault(f) => f.into(),
        }
    }
}

impl From<RefreshError> for AppError {
    fn from(e: RefreshError) -> Self {
        match e {
            RefreshError::Refused => AppError::Unauthorized {
                token_refused: true,
            },
            RefreshError::Fault(f) => f.into(),
        }
    }
}

impl From<ReauthError> for AppError {
    fn from(e: ReauthError) -> Self {
        match e {
            e @ ReauthError::WrongPassword => AppError::Forbidden(e.to_string()),
            ReauthError::Throttled(t) => t.into(),
            ReauthError::Fault(f) => f.into(),
        }
    }
}

impl From<ChangePasswordError> for AppError {
    fn from(e: ChangePasswordError) -> Self {
        match e {
            ChangePasswordError::Reauth(e) => e.into(),
            ChangePasswordError::Weak(e) => AppError::field("new_password", e),
            ChangePasswordError::Gone => AppError::Unauthorized {
                token_refused: true,
            },
            ChangePasswordError::Fault(f) => f.into(),
        }
    }
}

impl From<RevokeError> for AppError {
    fn from(e: RevokeError) -> Self {
        match e {
            RevokeError::NotFound => AppError::NotFound,
            RevokeError::Fault(f) => f.into(),
        }
    }
}

impl From<AccessError> for AppError {
    fn from(e: AccessError) -> Self {
        match e {
            AccessError::Refused => AppError::Unauthorized {
                token_refused: true,
            },
            AccessError::Fault(f) => f.into(),
        }
    }
}

// Email: verification, reset, email change.

impl From<VerifyEmailError> for AppError {
    fn from(e: VerifyEmailError) -> Self {
        match e {
            VerifyEmailError::InvalidToken => AppError::InvalidToken,
            VerifyEmailError::Fault(f) => f.into(),
        }
    }
}

impl From<ResetPasswordError> for AppError {
    fn from(e: ResetPasswordError) -> Self {
        match e {
            ResetPasswordError::InvalidToken => AppError::InvalidToken,
            ResetPasswordError::Weak(e) => AppError::field("new_password", e),
            ResetPasswordError::Fault(f) => f.into(),
        }
    }
}

impl From<EmailChangeError> for AppError {
    fn from(e: EmailChangeError) -> Self {
        match e {
            EmailChangeError::Reauth(e) => e.into(),
            e @ EmailChangeError::SameAddress => AppError::field("new_email", e),
            e @ EmailChangeError::Taken => AppError::Conflict(e.to_string()),
            EmailChangeError::Gone => AppError::Unauthorized {
                token_refused: true,
            },
            EmailChangeError::Fault(f) => f.into(),
        }
    }
}

impl From<ConfirmEmailError> for AppError {
    fn from(e: ConfirmEmailError) -> Self {
        match e {
            ConfirmEmailError::InvalidToken => AppError::InvalidToken,
            e @ ConfirmEmailError::Taken => AppError::Conflict(e.to_string()),
            ConfirmEmailError::Fault(f) => f.into(),
        }
    }
}

impl From<CreatePatError> for AppError {
    fn from(e: CreatePatError) -> Self {
        match e {
            e @ CreatePatError::TooMany => AppError::Conflict(e.to_string()),
            CreatePatError::Gone => AppError::Unauthorized {
                token_refused: true,
            },
            CreatePatError::Fault(f) => f.into(),
        }
    }
}

// Second factors and passkeys.

impl From<TwoFactorError> for AppError {
    fn from(e: TwoFactorError) -> Self {
        match e {
            TwoFactorError::Reauth(e) => e.into(),
            e @ TwoFactorError::WrongCode => AppError::Forbidden(e.to_string()),
            e @ (TwoFactorError::AlreadyOn
            | TwoFactorError::NotOn
            | TwoFactorError::NoPendingEnrolment) => AppError::Conflict(e.to_string()),
            TwoFactorError::Throttled(t) => t.into(),
            TwoFactorError::Gone => AppError::Unauthorized {
                token_refused: true,
            },
            TwoFactorError::Fault(f) => f.into(),
        }
    }
}

impl From<SecondStepError> for AppError {
    fn from(e: SecondStepError) -> Self {
        match e {
            e @ SecondStepError::ChallengeGone => AppError::BadRequest(e.to_string()),
            SecondStepError::WrongCode => AppError::Unauthorized {
                token_refused: false,
            },
            SecondStepError::Throttled(t) => t.into(),
            SecondStepError::Fault(f) => f.into(),
        }
    }
}

impl From<PasskeyFlowError> for AppError {
    fn from(e: PasskeyFlowError) -> Self {
        match e {
            e @ (PasskeyFlowError::Unavailable(_)
            | PasskeyFlowError::CeremonyGone
            | PasskeyFlowError::NotAccepted) => AppError::BadRequest(e.to_string()),
            PasskeyFlowError::InvalidName(reason) => AppError::field("name", reason),
            PasskeyFlowError::SignInRefused => AppError::Unauthorized {
                token_refused: false,
            },
            e @ PasskeyFlowError::AlreadyRegistered => AppError::Conflict(e.to_string()),
            PasskeyFlowError::EmailNotVerified => AppError::EmailNotVerified,
            PasskeyFlowError::NotFound => AppError::NotFound,
            PasskeyFlowError::Gone => AppError::Unauthorized {
                token_refused: true,
            },
            PasskeyFlowError::Fault(f) => f.into(),
        }
    }
}
