//! Registry endpoint overrides (`--registry-endpoint NAME=HOST[:PORT]`): contact registry
//! NAME at another address while every output file still names NAME.
//!
//! Mirrors use this, and so do the tests, which emulate `docker.io`, `ghcr.io` and ECR on
//! 127.0.0.1. The scheme follows the endpoint, not the name: plain HTTP only when the
//! endpoint is loopback (or listed in `--plain-http`), HTTPS otherwise.

use std::collections::BTreeMap;

use crate::reference::{is_host_port, Registry, Target};

/// Why an endpoint override was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EndpointError {
    /// Not `NAME=HOST[:PORT]`.
    #[error(
        "bad --registry-endpoint `{0}`: expected NAME=HOST[:PORT], e.g. docker.io=127.0.0.1:5000"
    )]
    Syntax(String),
    /// NAME or HOST is not a registry host.
    #[error("bad --registry-endpoint `{value}`: `{part}` is not a host with an optional port")]
    Host {
        /// The flag value.
        value: String,
        /// The part that is not a host.
        part: String,
    },
    /// The same registry was given two endpoints.
    #[error("--registry-endpoint names `{0}` twice")]
    Duplicate(String),
    /// NAME is not the registry of any target: a typo would otherwise send the crawl to
    /// the real registry.
    #[error(
        "--registry-endpoint names `{name}`, but no target is on that registry \
         (targets are on {targets})"
    )]
    Unused {
        /// The endpoint's registry name.
        name: String,
        /// The targets' registries.
        targets: String,
    },
}

/// Registry name (as written in output) → the `host[:port]` to contact instead.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoints {
    by_name: BTreeMap<String, String>,
}

impl Endpoints {
    /// Parses `NAME=HOST[:PORT]` values; Docker Hub's aliases fold into `docker.io`.
    pub fn parse(values: &[String]) -> Result<Self, EndpointError> {
        let mut by_name = BTreeMap::new();
        for value in values {
            let (name, host) = value
                .split_once('=')
                .ok_or_else(|| EndpointError::Syntax(value.clone()))?;
            let bad = |part: &str| EndpointError::Host {
                value: value.clone(),
                part: part.to_string(),
            };
            let registry = Registry::parse(name.trim()).map_err(|_| bad(name))?;
            let host = host.trim().to_ascii_lowercase();
            if !is_host_port(&host) {
                return Err(bad(&host));
            }
            if by_name.insert(registry.name().to_string(), host).is_some() {
                return Err(EndpointError::Duplicate(registry.name().to_string()));
            }
        }
        Ok(Endpoints { by_name })
    }

    /// `registry`, redirected when an override names it.
    pub fn apply(&self, registry: &Registry) -> Registry {
        match self.by_name.get(registry.name()) {
            Some(host) => registry
                .with_api_host(host)
                .expect("endpoint hosts are checked when parsed"),
            None => registry.clone(),
        }
    }

    /// Refuses an endpoint whose registry no target is on.
    pub fn check_used(&self, targets: &[Target]) -> Result<(), EndpointError> {
        let on: std::collections::BTreeSet<&str> =
            targets.iter().map(|t| t.registry().name()).collect();
        match self.by_name.keys().find(|name| !on.contains(name.as_str())) {
            None => Ok(()),
            Some(name) => Err(EndpointError::Unused {
                name: name.clone(),
                targets: on.into_iter().collect::<Vec<_>>().join(", "),
            }),
        }
    }

    /// `target` with its registry redirected when an override names it.
    pub fn apply_to_target(&self, target: Target) -> Target {
        let registry = self.apply(target.registry());
        target.on_registry(registry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endpoint_no_target_uses_is_refused() {
        let e = Endpoints::parse(&["ghcr.oi=127.0.0.1:5000".into()]).unwrap();
        let targets: Vec<Target> = vec!["ghcr.io/acme/app".parse().unwrap()];
        let err = e.check_used(&targets).unwrap_err().to_string();
        assert!(err.contains("`ghcr.oi`"), "{err}");
        assert!(err.contains("ghcr.io"), "{err}");
        let e = Endpoints::parse(&["ghcr.io=127.0.0.1:5000".into()]).unwrap();
        assert!(e.check_used(&targets).is_ok());
    }

    #[test]
    fn redirects_by_output_name() {
        let e = Endpoints::parse(&["index.docker.io=127.0.0.1:5000".into()]).unwrap();
        let t: Target = "docker.io/myteam/*".parse().unwrap();
        let t = e.apply_to_target(t);
        assert_eq!(t.registry().name(), "docker.io");
        assert_eq!(t.registry().api_host(), "127.0.0.1:5000");
        assert!(t.registry().is_loopback());
        let other: Target = "ghcr.io/org/app".parse().unwrap();
        assert_eq!(e.apply_to_target(other).registry().api_host(), "ghcr.io");
    }

    #[test]
    fn non_loopback_endpoint_is_not_loopback() {
        let e = Endpoints::parse(&["ghcr.io=mirror.example:443".into()]).unwrap();
        let r = e.apply(&Registry::parse("ghcr.io").unwrap());
        assert_eq!(r.name(), "ghcr.io");
        assert!(!r.is_loopback());
    }

    #[test]
    fn refuses_malformed_values() {
        let parse = |v: &str| Endpoints::parse(&[v.to_string()]);
        assert!(matches!(parse("docker.io"), Err(EndpointError::Syntax(_))));
        assert!(matches!(
            parse("docker.io=http://x"),
            Err(EndpointError::Host { .. })
        ));
        assert!(matches!(parse("a b=x:1"), Err(EndpointError::Host { .. })));
        let twice = Endpoints::parse(&["docker.io=a:1".into(), "index.docker.io=b:2".into()]);
        assert_eq!(twice, Err(EndpointError::Duplicate("docker.io".into())));
    }
}
