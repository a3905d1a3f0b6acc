//! nuccrawl's integration tests: one binary, named cases, each against a real
//! Distribution registry it starts itself on 127.0.0.1 (never a public registry).

mod auth;
mod cache;
mod cli_errors;
mod discovery;
mod formats;
mod hostile;
mod reliability;
mod samples;
mod shared_images;
mod support;
mod validate_cmd;
mod vendor_tags;
