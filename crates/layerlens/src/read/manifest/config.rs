//! The image config: the lenient serde types, and what is checked on a config (its
//! digest, its diff_ids, its platform).

use serde::{Deserialize, Serialize};

use super::parse_json;
use crate::digest::Digest;
use crate::error::{DigestSubject, Error, Location, Result};
use crate::options::{Options, Platform};
use crate::read::source::Store;

/// An image config, as far as layerlens needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageConfig {
    /// CPU architecture.
    #[serde(default)]
    pub architecture: Option<String>,
    /// Operating system.
    #[serde(default)]
    pub os: Option<String>,
    /// Architecture variant.
    #[serde(default)]
    pub variant: Option<String>,
    /// Creation time, RFC 3339.
    #[serde(default)]
    pub created: Option<String>,
    /// Layer diff_ids.
    #[serde(default)]
    pub rootfs: Option<RootFs>,
    /// Build history.
    #[serde(default)]
    pub history: Option<Vec<History>>,
    /// The runtime config, as far as findings read it (`Env`, `Labels`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<ContainerConfig>,
}

/// `config` of an image config: what the findings scan (`secret-in-config`). Read
/// leniently: entries of another type than the specification's are left out, never an
/// error.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ContainerConfig {
    /// `Env`: `KEY=VALUE` entries.
    #[serde(rename = "Env")]
    pub env: Vec<String>,
    /// `Labels`.
    #[serde(rename = "Labels")]
    pub labels: std::collections::BTreeMap<String, String>,
}

impl<'de> Deserialize<'de> for ContainerConfig {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        let env = v
            .get("Env")
            .and_then(|e| e.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|e| e.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let labels = v
            .get("Labels")
            .and_then(|l| l.as_object())
            .map(|o| {
                o.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        Ok(ContainerConfig { env, labels })
    }
}

/// `rootfs` of a config.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootFs {
    /// `layers`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// The diff_ids, lowest layer first.
    #[serde(default)]
    pub diff_ids: Option<Vec<String>>,
}

/// One history entry of a config.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    /// When.
    #[serde(default)]
    pub created: Option<String>,
    /// The Dockerfile instruction or command.
    #[serde(default)]
    pub created_by: Option<String>,
    /// A comment.
    #[serde(default)]
    pub comment: Option<String>,
    /// True when this step made no layer (ENV, CMD…).
    #[serde(default)]
    pub empty_layer: Option<bool>,
}

/// Read and check a config: its sha256 must match what names it.
pub(crate) fn read_config(
    store: &Store,
    member: &str,
    promised: Option<&Digest>,
    opts: &Options,
) -> Result<(Digest, ImageConfig)> {
    let bytes = store.read_small(member, opts.limits.max_json_bytes)?;
    let at = store.at(member);
    let found = Digest::sha256_of(&bytes);
    if let Some(expected) = promised {
        if expected.algorithm() == "sha256" && *expected != found {
            return Err(Error::DigestMismatch {
                at,
                subject: DigestSubject::Config,
                expected: expected.to_string(),
                found: found.to_string(),
            });
        }
    }
    let config: ImageConfig = parse_json(&bytes, &at)?;
    Ok((found, config))
}

pub(crate) fn diff_ids(config: &ImageConfig, at: &Location) -> Result<Vec<Digest>> {
    let ids = config
        .rootfs
        .as_ref()
        .and_then(|r| r.diff_ids.as_ref())
        .ok_or_else(|| Error::Malformed {
            at: at.clone(),
            reason: "config has no rootfs.diff_ids".into(),
        })?;
    ids.iter()
        .map(|s| {
            Digest::parse(s).ok_or_else(|| Error::Malformed {
                at: at.clone(),
                reason: format!("rootfs.diff_ids holds {s:?}, which is not a digest"),
            })
        })
        .collect()
}

pub(crate) fn platform_ok(filter: &Option<Platform>, config: &ImageConfig) -> bool {
    filter.as_ref().is_none_or(|p| {
        p.matches(
            config.os.as_deref().unwrap_or(""),
            config.architecture.as_deref().unwrap_or(""),
            config.variant.as_deref(),
        )
    })
}
