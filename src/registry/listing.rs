//! Reading every page of a paged list (catalog, tags) by following `Link` headers.

use reqwest::header::LINK;
use reqwest::Method;
use url::Url;

use super::auth::Scope;
use super::client::RegistryClient;
use super::error::RegistryError;
use super::pagination::{find_next, resolve_next, Pager};
use super::stats::RequestKind;
use super::transport::read_capped;

/// Page size asked for: 1000 because ECR and Distribution reject larger pages.
pub const PAGE_SIZE: usize = 1000;
/// Body cap of one list page: registries that ignore `n` send every tag at once, and
/// 100,000 tags of 128 characters in JSON stay under 16 MiB.
pub const LIST_PAGE_CAP: usize = 16 * 1024 * 1024;

impl RegistryClient {
    /// Fetches `first` and every page after it, extracting names with `extract`.
    pub(crate) async fn list_pages(
        &self,
        first: Url,
        kind: RequestKind,
        scope: &Scope,
        extract: fn(&[u8]) -> Result<Vec<String>, String>,
    ) -> Result<Vec<String>, RegistryError> {
        let mut pager = Pager::default();
        let mut names = Vec::new();
        let mut next = Some(first);
        while let Some(url) = next.take() {
            pager.visit(&url)?;
            let answer = self
                .send(Method::GET, url.clone(), kind, None, scope)
                .await?;
            let link = {
                let values = answer.response.headers().get_all(LINK);
                find_next(values.iter().filter_map(|v| v.to_str().ok())).map(str::to_owned)
            };
            let page_url = answer.url.clone();
            let body = read_capped(answer, LIST_PAGE_CAP).await?;
            let page = extract(&body).map_err(|e| RegistryError::malformed(&page_url, e))?;
            tracing::trace!(
                entries = page.len(),
                more = link.is_some(),
                "list page read"
            );
            names.extend(page);
            if let Some(link) = link {
                next = Some(resolve_next(&page_url, &link)?);
            }
        }
        Ok(names)
    }
}
