//! Image config JSON (OCI image config / Docker image JSON; the same shape).

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::FIXED_CREATED;

/// Builds an image config. Serialised compactly with keys in sorted order.
#[derive(Debug, Clone, Default)]
pub struct ConfigBuilder {
    os: String,
    architecture: String,
    variant: Option<String>,
    labels: BTreeMap<String, String>,
    env: Vec<String>,
    cmd: Vec<String>,
    history: Vec<(String, bool)>,
    diff_ids: Vec<String>,
}

impl ConfigBuilder {
    /// A config for `os`/`architecture` with a default `PATH` and no history.
    pub fn new(os: &str, architecture: &str) -> Self {
        Self {
            os: os.into(),
            architecture: architecture.into(),
            env: vec!["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into()],
            ..Self::default()
        }
    }

    /// Sets the architecture variant (`v7`, `v8`…).
    pub fn variant(mut self, variant: &str) -> Self {
        self.variant = Some(variant.into());
        self
    }

    /// Adds a label.
    pub fn label(mut self, key: &str, value: &str) -> Self {
        self.labels.insert(key.into(), value.into());
        self
    }

    /// Adds an environment entry (`KEY=value`).
    pub fn env(mut self, entry: &str) -> Self {
        self.env.push(entry.into());
        self
    }

    /// Sets the default command.
    pub fn cmd(mut self, cmd: &[&str]) -> Self {
        self.cmd = cmd.iter().map(|s| s.to_string()).collect();
        self
    }

    /// Adds a history step that created a layer.
    pub fn layer_step(mut self, created_by: &str, diff_id: &str) -> Self {
        self.history.push((created_by.into(), false));
        self.diff_ids.push(diff_id.into());
        self
    }

    /// Adds a history step that created no layer (`CMD`, `ENV`…).
    pub fn empty_step(mut self, created_by: &str) -> Self {
        self.history.push((created_by.into(), true));
        self
    }

    /// The config bytes.
    pub fn build(&self) -> Vec<u8> {
        let mut inner = Map::new();
        inner.insert("Env".into(), json!(self.env));
        if !self.cmd.is_empty() {
            inner.insert("Cmd".into(), json!(self.cmd));
        }
        if !self.labels.is_empty() {
            inner.insert("Labels".into(), json!(self.labels));
        }
        let history: Vec<Value> = self
            .history
            .iter()
            .map(|(by, empty)| {
                let mut h = json!({"created": FIXED_CREATED, "created_by": by});
                if *empty {
                    h["empty_layer"] = json!(true);
                }
                h
            })
            .collect();
        let mut v = json!({
            "architecture": self.architecture,
            "os": self.os,
            "created": FIXED_CREATED,
            "config": inner,
            "history": history,
            "rootfs": {"type": "layers", "diff_ids": self.diff_ids},
        });
        if let Some(variant) = &self.variant {
            v["variant"] = json!(variant);
        }
        serde_json::to_vec(&v).expect("a JSON value always serialises")
    }
}
