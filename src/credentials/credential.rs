//! The secret a registry is given, wrapped so that it cannot leak through `Debug`.
//!
//! Neither type implements `Display`; `Debug` shows the username and `***` in place of
//! the password or token, so a credential can sit inside any struct that derives `Debug`.

use std::fmt;

/// What is sent to a registry or its token server.
#[derive(Clone, PartialEq, Eq)]
pub enum Secret {
    /// A username and password, sent as HTTP Basic or to a token server with GET.
    Basic {
        /// The account name.
        username: String,
        /// The password or personal access token.
        password: String,
    },
    /// A refresh token (Docker's `identitytoken`, e.g. Azure's), traded for an access
    /// token with a `grant_type=refresh_token` POST.
    IdentityToken {
        /// The account the token belongs to; may be empty, token servers do not need it.
        username: String,
        /// The refresh token.
        token: String,
    },
}

impl Secret {
    /// The account name, which is not secret.
    pub fn username(&self) -> &str {
        match self {
            Secret::Basic { username, .. } | Secret::IdentityToken { username, .. } => username,
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Secret::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &Redacted)
                .finish(),
            Secret::IdentityToken { username, .. } => f
                .debug_struct("IdentityToken")
                .field("username", username)
                .field("token", &Redacted)
                .finish(),
        }
    }
}

/// A credential for one registry host.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    secret: Secret,
}

impl Credential {
    /// A username and password.
    pub fn basic(username: impl Into<String>, password: impl Into<String>) -> Self {
        Secret::Basic {
            username: username.into(),
            password: password.into(),
        }
        .into()
    }

    /// A refresh (identity) token.
    pub fn identity_token(username: impl Into<String>, token: impl Into<String>) -> Self {
        Secret::IdentityToken {
            username: username.into(),
            token: token.into(),
        }
        .into()
    }

    /// The account name, which is not secret.
    pub fn username(&self) -> &str {
        self.secret.username()
    }

    /// The secret itself; only the code that sends it should look.
    pub fn secret(&self) -> &Secret {
        &self.secret
    }
}

impl From<Secret> for Credential {
    fn from(secret: Secret) -> Self {
        Credential { secret }
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Credential").field(&self.secret).finish()
    }
}

/// Stands in for a secret in `Debug` output.
struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_username_and_hides_password() {
        let text = format!("{:?}", Credential::basic("alice", "hunter2-pw"));
        assert!(text.contains("alice"), "{text}");
        assert!(text.contains("***"), "{text}");
        assert!(!text.contains("hunter2-pw"), "{text}");
    }

    #[test]
    fn debug_hides_identity_token() {
        let cred = Credential::identity_token("bob", "refresh-abc123");
        let text = format!("{cred:?} {:#?}", cred.secret());
        assert!(
            text.contains("bob") && text.contains("IdentityToken"),
            "{text}"
        );
        assert!(!text.contains("refresh-abc123"), "{text}");
    }

    #[test]
    fn accessors_return_the_parts() {
        let cred = Credential::basic("u", "p");
        assert_eq!(cred.username(), "u");
        assert_eq!(
            cred.secret(),
            &Secret::Basic {
                username: "u".into(),
                password: "p".into()
            }
        );
    }
}
