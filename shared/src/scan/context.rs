//! What plan and work share: base clients, the accounts' roles, the output store, the task
//! queue, the classifier's digest key and an optional progress observer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::aws::{Clients, RoleSpec};

use super::access::AccessIssue;
use super::config::{AccountConfig, ScanConfig};
use super::store::Store;
use super::task::TaskQueue;
use super::ScanError;
use crate::classify::Classifier;

/// Role session name used when an account does not name one.
pub const DEFAULT_SESSION_NAME: &str = "s3connector-scan";

/// Something a scan did, for progress displays.
#[derive(Debug, Clone)]
pub enum Progress {
    /// A unit's listing slice started.
    Slice {
        /// Bucket.
        bucket: String,
        /// Slice number.
        slice: u32,
    },
    /// One object was handled (classified, skipped or not selected).
    Object {
        /// Bucket.
        bucket: String,
        /// Bytes classified.
        bytes: u64,
        /// Whether it was classified (complete or partial).
        classified: bool,
    },
    /// A unit finished.
    UnitDone {
        /// Bucket.
        bucket: String,
    },
}

/// Observer of [`Progress`].
pub type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// Shared state of a scan process.
#[derive(Clone)]
pub struct ScanContext {
    /// Clients with the process's own credentials.
    pub base: Clients,
    /// Accounts of the deployment's (or the CLI's) scan config, with their external IDs.
    pub accounts: Vec<AccountConfig>,
    /// Output location.
    pub store: Store,
    /// Where tasks go.
    pub queue: TaskQueue,
    /// HMAC key for finding digests (a random per-process key when `None`), and the key
    /// the plan seals the allow-list under: planner and workers must share it, so a
    /// config with an allow-list is refused without it.
    pub hmac_key: Option<String>,
    /// Progress observer.
    pub progress: Option<ProgressFn>,
    /// Decompression limits objects are read with: the defaults, or what the caller read
    /// from the settings ingest reads ([`crate::object::bomb_limits`]).
    pub bomb: crate::object::BombLimits,
    assumed: Arc<Mutex<HashMap<String, Clients>>>,
    classifier: Arc<Mutex<Option<CachedClassifier>>>,
}

/// The classifier last built, with the detector settings it was built from.
type CachedClassifier = (String, Arc<Classifier>);

impl std::fmt::Debug for ScanContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanContext")
            .field("accounts", &self.accounts)
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl ScanContext {
    /// A context; `accounts` supply external IDs and session names for the roles tasks name.
    pub fn new(
        base: Clients,
        accounts: Vec<AccountConfig>,
        store: Store,
        queue: TaskQueue,
    ) -> Self {
        ScanContext {
            base,
            accounts,
            store,
            queue,
            hmac_key: None,
            progress: None,
            bomb: crate::object::BombLimits::default(),
            assumed: Arc::new(Mutex::new(HashMap::new())),
            classifier: Arc::new(Mutex::new(None)),
        }
    }

    /// Reports progress to the observer, if any.
    pub fn report(&self, p: Progress) {
        if let Some(f) = &self.progress {
            f(&p);
        }
    }

    /// The classifier for `config`'s detectors, compiled once per process and reused while
    /// the detector settings (and the context's bomb limits) stay the same.
    pub fn classifier(&self, config: &ScanConfig) -> Result<Arc<Classifier>, ScanError> {
        // Clear allow-list values are not serialised; a planned config holds none.
        let id = format!(
            "{}\0{}\0{:?}",
            serde_json::to_string(&config.detectors).expect("detectors serialise"),
            config.detectors.allow_list.join("\0"),
            self.bomb
        );
        if !config.detectors.allow_list_hmac.is_empty() {
            let key = self.hmac_key.as_deref().ok_or_else(|| {
                ScanError::Classifier(format!(
                    "the plan's allow-list is keyed digests and {} is not set on this worker",
                    crate::classify::HMAC_KEY_ENV
                ))
            })?;
            crate::classify::AllowDigests::new(key.as_bytes(), &config.detectors.allow_list_hmac)
                .map_err(|e| ScanError::Classifier(format!("detectors.allow_list_hmac: {e}")))?;
        }
        let mut cached = self.classifier.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((key, c)) = cached.as_ref() {
            if *key == id {
                return Ok(c.clone());
            }
        }
        let mut settings = config.classify_config(self.hmac_key.clone());
        settings.bomb = self.bomb;
        let c =
            Arc::new(Classifier::new(settings).map_err(|e| ScanError::Classifier(e.to_string()))?);
        *cached = Some((id, c.clone()));
        Ok(c)
    }

    /// Clients for `role_arn` (assumed once per process with the configured external ID),
    /// or the base clients for `None`. Only roles of the configured accounts are assumed.
    pub async fn clients_for(&self, role_arn: Option<&str>) -> Result<Clients, AccessIssue> {
        let Some(arn) = role_arn else {
            return Ok(self.base.clone());
        };
        if let Some(c) = self
            .assumed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(arn)
        {
            return Ok(c.clone());
        }
        let account = self
            .accounts
            .iter()
            .find(|a| a.role_arn == arn)
            .ok_or_else(|| AccessIssue {
                operation: "AssumeRole".into(),
                action: "sts:AssumeRole".into(),
                error_code: None,
                http_status: None,
                message: format!("{arn} is not an account of the scan config; it is not assumed"),
                transient: false,
            })?;
        let spec = RoleSpec {
            role_arn: arn.to_string(),
            external_id: account.external_id.clone(),
            session_name: account
                .session_name
                .clone()
                .unwrap_or_else(|| DEFAULT_SESSION_NAME.into()),
            source_identity: None,
            duration: Duration::from_secs(3600),
        };
        let clients = self.base.assume_role(&spec).await.map_err(|e| AccessIssue {
            operation: "AssumeRole".into(),
            action: "sts:AssumeRole".into(),
            error_code: e.code().map(str::to_string),
            http_status: None,
            message: format!(
                "{arn} could not be assumed: check that its trust policy trusts the scanning principal with this external ID, and that sts:AssumeRole on it is granted ({})",
                e.code().unwrap_or("no AWS error code")
            ),
            transient: e.is_transient(),
        })?;
        self.assumed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(arn.to_string(), clients.clone());
        Ok(clients)
    }
}

/// A random key for one process's scan (32 bytes, hex): the CLI's key when
/// `S3CONNECTOR_CLASSIFY_HMAC_KEY` is unset. Planner and workers share it because they
/// share the process; digests correlate within the run only.
pub fn run_hmac_key() -> String {
    hex::encode(crate::classify::random_key())
}
