//! Where the auth files are, from the environment.
//!
//! Docker: `$DOCKER_CONFIG/config.json`, else `$HOME/.docker/config.json`.
//! Podman: `$REGISTRY_AUTH_FILE`, else `$XDG_RUNTIME_DIR/containers/auth.json`.

use std::path::PathBuf;

/// Docker's config file name inside its directory.
const DOCKER_FILE: &str = "config.json";
/// Podman's auth file under the runtime directory.
const PODMAN_FILE: &str = "containers/auth.json";

/// Docker's `config.json`, if the environment says where it would be.
pub(crate) fn docker_config(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let var = |name: &str| env(name).filter(|v| !v.is_empty());
    match var("DOCKER_CONFIG") {
        Some(dir) => Some(PathBuf::from(dir).join(DOCKER_FILE)),
        None => var("HOME").map(|home| PathBuf::from(home).join(".docker").join(DOCKER_FILE)),
    }
}

/// Podman's `auth.json`, if the environment says where it would be.
pub(crate) fn podman_auth(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let var = |name: &str| env(name).filter(|v| !v.is_empty());
    match var("REGISTRY_AUTH_FILE") {
        Some(file) => Some(PathBuf::from(file)),
        None => var("XDG_RUNTIME_DIR").map(|dir| PathBuf::from(dir).join(PODMAN_FILE)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn docker_config_prefers_docker_config_dir() {
        let both = [("DOCKER_CONFIG", "/d"), ("HOME", "/h")];
        assert_eq!(docker_config(&env(&both)), Some("/d/config.json".into()));
        let home = [("HOME", "/h"), ("DOCKER_CONFIG", "")];
        assert_eq!(
            docker_config(&env(&home)),
            Some("/h/.docker/config.json".into())
        );
        assert_eq!(docker_config(&env(&[])), None);
    }

    #[test]
    fn podman_prefers_registry_auth_file() {
        let both = [
            ("REGISTRY_AUTH_FILE", "/a.json"),
            ("XDG_RUNTIME_DIR", "/run/u"),
        ];
        assert_eq!(podman_auth(&env(&both)), Some("/a.json".into()));
        let runtime = [("XDG_RUNTIME_DIR", "/run/u")];
        assert_eq!(
            podman_auth(&env(&runtime)),
            Some("/run/u/containers/auth.json".into())
        );
        assert_eq!(podman_auth(&env(&[])), None);
    }
}
