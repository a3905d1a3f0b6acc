//! The bulk content as Docker Hub's web API would describe it: namespace
//! [`BULK_NAMESPACE`] holding every bulk repository, public, each with its tags and the
//! digests the registry resolves them to, ready for a [`FakeDockerHub`].
//!
//! [`FakeDockerHub`]: crate::fakes::FakeDockerHub

use std::collections::BTreeMap;
use std::sync::Mutex;

use anyhow::Context as _;

use crate::bulk::{repo_name, BULK_NAMESPACE};
use crate::fakes::{HubRepo, HubTag};
use crate::parallel::each_index;
use crate::tag_digests::registry_tag_digests;

/// Reading threads: each tag costs one local `HEAD`, so a few threads keep a
/// 10,000-tag set quick without crowding the registry.
const READ_THREADS: usize = 4;

/// The namespace map for [`FakeDockerHub::start`] describing `repos` bulk repositories
/// pushed to the registry at `addr`, read back tag by tag.
///
/// [`FakeDockerHub::start`]: crate::fakes::FakeDockerHub::start
pub fn bulk_hub_namespaces(
    addr: &str,
    repos: usize,
) -> anyhow::Result<BTreeMap<String, Vec<HubRepo>>> {
    let read = Mutex::new(BTreeMap::new());
    each_index(repos, READ_THREADS, |r| {
        let repo = hub_repo(addr, r)?;
        read.lock().expect("not poisoned").insert(r, repo);
        Ok(())
    })?;
    let repos = read
        .into_inner()
        .expect("not poisoned")
        .into_values()
        .collect();
    Ok(BTreeMap::from([(BULK_NAMESPACE.to_string(), repos)]))
}

/// Bulk repository `r` as a public Hub repository with its tags and digests.
fn hub_repo(addr: &str, r: usize) -> anyhow::Result<HubRepo> {
    let path = repo_name(r);
    let name = path
        .strip_prefix(&format!("{BULK_NAMESPACE}/"))
        .context("bulk repositories live in the bulk namespace")?;
    let tags = registry_tag_digests(addr, &path)
        .with_context(|| format!("reading the tags of {path}"))?
        .into_iter()
        .map(|(tag, digest)| HubTag::new(&tag, Some(&digest)))
        .collect();
    Ok(HubRepo::public(name).with_tags(tags))
}
