//! Where the cache lives when `--cache-dir` is not given.

use std::path::PathBuf;

/// The cache folder's name inside the user's cache directory.
const APP_DIR: &str = "nuccrawl";

/// `$XDG_CACHE_HOME/nuccrawl`, else `$HOME/.cache/nuccrawl`; `None` when neither
/// variable names a folder (the crawl then runs without a cache).
pub fn default_dir() -> Option<PathBuf> {
    from_env(
        std::env::var_os("XDG_CACHE_HOME").map(PathBuf::from),
        std::env::var_os("HOME").map(PathBuf::from),
    )
}

/// The rule of [`default_dir`] on given values, so it can be tested without touching
/// the process environment. Empty or relative values are ignored, as the XDG spec says.
fn from_env(xdg_cache_home: Option<PathBuf>, home: Option<PathBuf>) -> Option<PathBuf> {
    if let Some(xdg) = xdg_cache_home.filter(|p| p.is_absolute()) {
        return Some(xdg.join(APP_DIR));
    }
    home.filter(|p| p.is_absolute())
        .map(|h| h.join(".cache").join(APP_DIR))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xdg_wins_then_home_then_nothing() {
        let xdg = Some(PathBuf::from("/x"));
        let home = Some(PathBuf::from("/h"));
        assert_eq!(
            from_env(xdg, home.clone()),
            Some(PathBuf::from("/x/nuccrawl"))
        );
        assert_eq!(
            from_env(Some(PathBuf::from("rel")), home.clone()),
            Some(PathBuf::from("/h/.cache/nuccrawl"))
        );
        assert_eq!(
            from_env(None, home),
            Some(PathBuf::from("/h/.cache/nuccrawl"))
        );
        assert_eq!(from_env(None, None), None);
        assert_eq!(from_env(None, Some(PathBuf::new())), None);
    }
}
