//! What nuccrawl concludes about an image: its platform and its OS distribution.

pub mod distro;
pub mod platform;
