//! Amazon ECR: listed through `/v2/_catalog` with Basic `AWS` credentials (the token from
//! `aws ecr get-login-password`). ECR rejects `n` above 1000, which is already the
//! client's page size; the one ECR-specific answer is the expired-token 403, which gets
//! a message saying what to do.

use super::error::DiscoverError;
use crate::reference::{host_without_port, Registry};
use crate::registry::{RegistryError, PAGE_SIZE};

/// Largest `n` ECR accepts on `_catalog` and `tags/list`.
pub const ECR_MAX_PAGE: usize = 1000;
const _: () = assert!(PAGE_SIZE <= ECR_MAX_PAGE, "ECR rejects pages above 1000");

/// What ECR says when the token from `get-login-password` (12 hours) has run out.
const EXPIRED_MESSAGE: &str = "authorization token has expired";

/// Whether `host` is an ECR registry: `<account>.dkr.ecr.<region>.amazonaws.com`
/// (or `.amazonaws.com.cn`).
pub fn is_ecr_host(host: &str) -> bool {
    let host = host_without_port(host);
    let labels: Vec<&str> = host.split('.').collect();
    let tail_ok = matches!(labels.get(4..), Some(["amazonaws", "com"]))
        || matches!(labels.get(4..), Some(["amazonaws", "com", "cn"]));
    labels.len() >= 6
        && labels[0].len() == 12
        && labels[0].bytes().all(|b| b.is_ascii_digit())
        && labels[1] == "dkr"
        && labels[2] == "ecr"
        && !labels[3].is_empty()
        && tail_ok
}

/// Turns ECR's expired-token refusal into an error that says so; others pass through.
pub fn explain(registry: &Registry, error: RegistryError) -> DiscoverError {
    let expired = matches!(&error, RegistryError::Denied { message, .. }
        if message.to_ascii_lowercase().contains(EXPIRED_MESSAGE));
    if expired && is_ecr_host(registry.name()) {
        return DiscoverError::EcrTokenExpired {
            registry: registry.name().to_string(),
            source: error,
        };
    }
    DiscoverError::Registry(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_ecr_hosts() {
        assert!(is_ecr_host("123456789012.dkr.ecr.eu-west-1.amazonaws.com"));
        assert!(is_ecr_host(
            "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn"
        ));
        assert!(!is_ecr_host("public.ecr.aws"));
        assert!(!is_ecr_host("12345.dkr.ecr.eu-west-1.amazonaws.com"));
        assert!(!is_ecr_host(
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil.example"
        ));
        assert!(!is_ecr_host("ghcr.io"));
    }

    #[test]
    fn expired_token_gets_its_own_message() {
        let ecr = Registry::parse("123456789012.dkr.ecr.eu-west-1.amazonaws.com").unwrap();
        let denied = || RegistryError::Denied {
            url: "https://x/v2/_catalog".into(),
            status: 403,
            message: "DENIED Your authorization token has expired. Reauthenticate and try again."
                .into(),
        };
        let e = explain(&ecr, denied());
        assert_eq!(e.kind(), "token expired");
        assert!(e.to_string().contains("get-login-password"), "{e}");
        let other = Registry::parse("r.example").unwrap();
        assert_eq!(explain(&other, denied()).kind(), "denied");
    }
}
