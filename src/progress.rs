//! Progress as the crawl reports it. The crawl only sees the [`Reporter`] trait; this is
//! the one module that knows indicatif, so bars can be swapped or silenced in one place.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Events the crawl reports as it goes. Every method has a no-op default.
pub trait Reporter: Send + Sync {
    /// `n` more repositories are known.
    fn repositories_found(&self, _n: u64) {}
    /// One repository is finished (crawled or failed).
    fn repository_done(&self) {}
    /// `n` more tags are known.
    fn tags_found(&self, _n: u64) {}
    /// One tag is resolved to a digest (or failed).
    fn tag_done(&self) {}
    /// The crawl is over; clear whatever is on screen.
    fn finish(&self) {}
}

/// Reports nothing: for `-q`, pipes and tests.
pub struct Silent;

impl Reporter for Silent {}

/// Two indicatif bars on stderr: repositories and tags.
pub struct Bars {
    _multi: MultiProgress,
    repos: ProgressBar,
    tags: ProgressBar,
}

/// Redraws per second: smooth enough to read, cheap on slow terminals.
const REFRESH_HZ: u8 = 8;

impl Bars {
    /// Bars drawn on stderr.
    pub fn new() -> Self {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(REFRESH_HZ));
        let style = ProgressStyle::with_template("{prefix:>12} {bar:30} {pos}/{len} {elapsed}")
            .expect("static template is valid");
        let bar = |prefix: &'static str| {
            let b = multi.add(ProgressBar::new(0));
            b.set_style(style.clone());
            b.set_prefix(prefix);
            b
        };
        Bars {
            repos: bar("repositories"),
            tags: bar("tags"),
            _multi: multi,
        }
    }
}

impl Default for Bars {
    fn default() -> Self {
        Self::new()
    }
}

impl Reporter for Bars {
    fn repositories_found(&self, n: u64) {
        self.repos.inc_length(n);
    }
    fn repository_done(&self) {
        self.repos.inc(1);
    }
    fn tags_found(&self, n: u64) {
        self.tags.inc_length(n);
    }
    fn tag_done(&self) {
        self.tags.inc(1);
    }
    fn finish(&self) {
        self.repos.finish_and_clear();
        self.tags.finish_and_clear();
    }
}

/// Bars when stderr is a terminal and the user wants them, silence otherwise.
pub fn reporter(show: bool) -> Box<dyn Reporter> {
    use std::io::IsTerminal;
    if show && std::io::stderr().is_terminal() {
        Box::new(Bars::new())
    } else {
        Box::new(Silent)
    }
}
