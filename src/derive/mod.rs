//! What nuccrawl concludes about an image: its platform and its OS distribution.

pub mod distro;
mod distro_known;
pub mod platform;
