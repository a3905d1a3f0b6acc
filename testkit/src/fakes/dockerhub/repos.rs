//! What the Docker Hub fake serves: repositories of a namespace and their tags.

/// One repository of a namespace.
#[derive(Debug, Clone)]
pub struct HubRepo {
    /// The name inside the namespace.
    pub name: String,
    /// Listed, and its tags shown, only to the logged-in account.
    pub private: bool,
    /// Its tags, in the order the tags endpoint lists them.
    pub tags: Vec<HubTag>,
}

impl HubRepo {
    /// A public repository without tags.
    pub fn public(name: &str) -> Self {
        HubRepo {
            name: name.into(),
            private: false,
            tags: Vec::new(),
        }
    }

    /// A private repository without tags.
    pub fn private(name: &str) -> Self {
        HubRepo {
            private: true,
            ..HubRepo::public(name)
        }
    }

    /// The same repository with `tags`.
    pub fn with_tags(self, tags: Vec<HubTag>) -> Self {
        HubRepo { tags, ..self }
    }
}

/// One tag as Docker Hub's tags endpoint describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubTag {
    /// The tag.
    pub name: String,
    /// The manifest or index digest (`sha256:…`) it points at; `None` for the old tags
    /// Docker Hub lists without one, which the endpoint then shows without `digest`.
    pub digest: Option<String>,
    /// The media type of what it points at, shown as `media_type` when known.
    pub media_type: Option<String>,
}

impl HubTag {
    /// A tag pointing at `digest` (or at nothing Hub knows of).
    pub fn new(name: &str, digest: Option<&str>) -> Self {
        HubTag {
            name: name.into(),
            digest: digest.map(str::to_string),
            media_type: None,
        }
    }

    /// The same tag, described with `media_type`.
    pub fn with_media_type(self, media_type: &str) -> Self {
        HubTag {
            media_type: Some(media_type.into()),
            ..self
        }
    }
}
