//! nuccrawl: crawl container registries and write Nucleus "Container Image" asset files.
//!
//! The crate is a library so that the integration tests can drive each layer on its
//! own; the `nuccrawl` binary in `main.rs` is a thin shell around [`run`](crate::app).
//! Data flows one way: `reference` parses what the user asked for, `discover` turns
//! patterns into repositories, `registry` speaks the Distribution API, `image` reads what
//! comes back, `derive` decides platform and distro, `crawl` ties it into a pipeline, and
//! `asset` / `output` turn the result into a validated file.

pub mod app;
pub mod asset;
pub mod cache;
pub mod cli;
pub mod config;
pub mod crawl;
pub mod credentials;
pub mod derive;
pub mod discover;
pub mod endpoints;
pub mod image;
pub mod output;
pub mod printer;
pub mod progress;
pub mod reference;
pub mod registry;
