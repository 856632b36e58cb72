//! Whose trust a connection test may use, and how far.
//!
//! The Lambda endpoint holds a role that customers' roles trust (the scanning-role
//! pattern). Whatever a caller can make it do with that trust is the attack surface, so
//! the endpoint runs under [`Trust::Endpoint`]:
//! - a request names a role; the function's own identity is not lent out unless the
//!   deployment opts in ([`EndpointTrust::allow_function_identity`]);
//! - the role must match the name patterns *and* live in an account the deployment lists
//!   ([`AccountScope`]), so a caller cannot aim the endpoint at another tenant's role;
//! - the external ID is the deployment's own ([`ExternalIds`]), never the caller's
//!   choice: that is what stops the confused deputy (AWS IAM User Guide, "The confused
//!   deputy problem"); a caller-sent external ID that differs is refused without saying
//!   what the configured one is;
//! - sessions are named [`SESSION_NAME_PREFIX`]`…` so the trust policy can match them, and
//!   last [`ENDPOINT_MAX_SESSION_SECONDS`];
//! - regions must be known regions of the function's own partition, and queue URLs on
//!   loopback are accepted only when an emulator endpoint is configured.
//!
//! The CLI runs as the user, with the user's credentials: [`Trust::LocalUser`] lets the
//! user test those credentials directly and pass any external ID.

use std::collections::{BTreeMap, BTreeSet};

use subtle::ConstantTimeEq;

use super::request::{RequestedRole, ValidatedRequest, ValidationError};
use super::role_policy::RoleAllowList;
use crate::aws::RoleSpec;
use crate::names::{self, ExternalId, Region, MAX_DURATION_SECONDS};

/// Prefix of every role session the endpoint opens; trust policies match it with
/// `"StringLike": {"sts:RoleSessionName": "s3connector-test-*"}`.
pub const SESSION_NAME_PREFIX: &str = "s3connector-test-";
/// Session name used when the caller names none.
pub const DEFAULT_SESSION_NAME: &str = "s3connector-test-connection";
/// Longest role session the endpoint asks for: STS's minimum, enough for a 24 s test.
pub const ENDPOINT_MAX_SESSION_SECONDS: u32 = 900;
/// Session duration the CLI asks for when the user names none.
pub const LOCAL_DEFAULT_SESSION_SECONDS: u32 = 900;

/// Who a connection test acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust {
    /// The user's own credentials (the CLI): any role, the caller's external ID.
    LocalUser,
    /// The Lambda endpoint: other people's requests, the deployment's trust.
    Endpoint(EndpointTrust),
}

/// Accounts whose roles the endpoint may assume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountScope {
    /// Only these 12-digit account IDs (plus those written in the role patterns).
    Listed(BTreeSet<String>),
    /// Every account: the operator set `S3CONNECTOR_ALLOWED_ACCOUNTS=*`. Unsafe for a
    /// deployment that callers from several tenants can reach.
    Any,
}

/// The external IDs the deployment presents when it assumes a role.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ExternalIds {
    /// Sent for accounts without their own entry.
    pub default: Option<ExternalId>,
    /// Per account ID.
    pub per_account: BTreeMap<String, ExternalId>,
}

impl std::fmt::Debug for ExternalIds {
    // Values are secrets shared with the customer: show which accounts have one, only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExternalIds")
            .field("default", &self.default.as_ref().map(|_| "***"))
            .field("accounts", &self.per_account.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl ExternalIds {
    /// The external ID for roles in `account`: its own entry, else the default.
    pub fn for_account(&self, account: &str) -> Option<&ExternalId> {
        self.per_account.get(account).or(self.default.as_ref())
    }
}

/// The endpoint's limits, read from the deployment's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointTrust {
    /// Role ARN patterns (`S3CONNECTOR_ALLOWED_ROLE_PATTERNS`).
    pub roles: RoleAllowList,
    /// Accounts (`S3CONNECTOR_ALLOWED_ACCOUNTS`).
    pub accounts: AccountScope,
    /// The deployment's external IDs.
    pub external_ids: ExternalIds,
    /// Whether a request without `role_arn` may run as the function itself
    /// (`S3CONNECTOR_ALLOW_FUNCTION_IDENTITY`; unsafe for shared deployments).
    pub allow_function_identity: bool,
    /// Whether queue URLs on loopback are accepted (only with an emulator endpoint).
    pub local_endpoints: bool,
    /// The function's partition (`aws`, `aws-cn`...): regions of other partitions are refused.
    pub partition: String,
}

/// Why the endpoint will not assume a role for a caller: a Failed `assume_role` step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleRefusal {
    /// What is wrong, for the step's message.
    pub message: String,
    /// What the caller or operator can change.
    pub remediation: String,
}

impl Trust {
    /// Refuses, with HTTP 400's field and rule, what the endpoint will not do for anyone:
    /// run without a role, use a caller's external ID, exceed the session caps, or reach
    /// outside its partition. [`Trust::LocalUser`] admits every valid request.
    pub fn admit(&self, req: &ValidatedRequest) -> Result<(), ValidationError> {
        let Trust::Endpoint(t) = self else {
            return Ok(());
        };
        match &req.role {
            None if !t.allow_function_identity => {
                return Err(ValidationError::new(
                    "role_arn",
                    "is required: this endpoint tests access through a role you name and never lends its own identity",
                ))
            }
            None => {}
            Some(role) => t.admit_role(role)?,
        }
        if let Some(region) = &req.region {
            t.admit_region(region)
                .map_err(|rule| ValidationError::new("region", rule))?;
        }
        if let Some(queue) = &req.queue {
            if queue.local && !t.local_endpoints {
                return Err(ValidationError::new(
                    "queue_url",
                    "must be an SQS endpoint URL; local addresses are accepted only when the deployment points at an emulator (AWS_ENDPOINT_URL)",
                ));
            }
            if !queue.local {
                t.admit_region(&queue.region)
                    .map_err(|rule| ValidationError::new("queue_url", rule))?;
            }
        }
        Ok(())
    }

    /// The AssumeRole call for `role`, or why the endpoint will not make it.
    pub fn role_spec(&self, role: &RequestedRole) -> Result<RoleSpec, RoleRefusal> {
        match self {
            Trust::LocalUser => Ok(RoleSpec {
                role_arn: role.arn.as_str().to_string(),
                external_id: role.external_id.as_ref().map(|e| e.expose().to_string()),
                session_name: role
                    .session_name
                    .clone()
                    .unwrap_or_else(|| DEFAULT_SESSION_NAME.to_string()),
                source_identity: None,
                duration: seconds(
                    role.duration_seconds
                        .unwrap_or(LOCAL_DEFAULT_SESSION_SECONDS),
                ),
            }),
            Trust::Endpoint(t) => t.role_spec(role),
        }
    }
}

impl EndpointTrust {
    fn account_listed(&self, account: &str) -> bool {
        match &self.accounts {
            AccountScope::Any => true,
            AccountScope::Listed(ids) => {
                ids.contains(account) || self.roles.literal_accounts().any(|a| a == account)
            }
        }
    }

    fn admit_role(&self, role: &RequestedRole) -> Result<(), ValidationError> {
        if let Some(sent) = &role.external_id {
            let account = role.arn.account();
            let matches = self.external_ids.for_account(account).is_some_and(|own| {
                bool::from(own.expose().as_bytes().ct_eq(sent.expose().as_bytes()))
            });
            if !matches {
                return Err(ValidationError::new(
                    "external_id",
                    format!("does not match the external ID this deployment uses for account {account}; leave it out: the endpoint always sends the deployment's own"),
                ));
            }
        }
        if let Some(name) = &role.session_name {
            let room = 64 - SESSION_NAME_PREFIX.len();
            if name.chars().count() > room {
                return Err(ValidationError::new(
                    "session_name",
                    format!("must be at most {room} characters: the endpoint prefixes it with {SESSION_NAME_PREFIX}"),
                ));
            }
        }
        if role
            .duration_seconds
            .is_some_and(|s| s > ENDPOINT_MAX_SESSION_SECONDS)
        {
            return Err(ValidationError::new(
                "duration_seconds",
                format!(
                    "must be at most {ENDPOINT_MAX_SESSION_SECONDS} seconds for a connection test"
                ),
            ));
        }
        if role.arn.partition() != self.partition {
            return Err(ValidationError::new(
                "role_arn",
                format!(
                    "must be in partition {} where this endpoint runs",
                    self.partition
                ),
            ));
        }
        Ok(())
    }

    fn admit_region(&self, region: &Region) -> Result<(), String> {
        if !region.is_known() || region.partition() != self.partition {
            return Err(format!(
                "must be a region of partition {} where this endpoint runs, such as {}",
                self.partition,
                example_region(&self.partition)
            ));
        }
        Ok(())
    }

    fn role_spec(&self, role: &RequestedRole) -> Result<RoleSpec, RoleRefusal> {
        let arn = role.arn.as_str();
        let account = role.arn.account();
        if !self.roles.allows(arn) {
            return Err(RoleRefusal {
                message: format!("role {arn} does not match the role names this connector may assume"),
                remediation: format!(
                    "use a role whose ARN matches one of {}, or ask the operator to add a pattern to S3CONNECTOR_ALLOWED_ROLE_PATTERNS",
                    self.roles.patterns().join(", ")
                ),
            });
        }
        if !self.account_listed(account) {
            return Err(RoleRefusal {
                message: format!("account {account} is not one this connector may assume roles in"),
                remediation: format!(
                    "ask the operator to add {account} to S3CONNECTOR_ALLOWED_ACCOUNTS, with its external ID in S3CONNECTOR_ACCOUNT_EXTERNAL_IDS"
                ),
            });
        }
        let session_name = match &role.session_name {
            Some(name) => format!("{SESSION_NAME_PREFIX}{name}"),
            None => DEFAULT_SESSION_NAME.to_string(),
        };
        let duration = role
            .duration_seconds
            .unwrap_or(ENDPOINT_MAX_SESSION_SECONDS)
            .min(ENDPOINT_MAX_SESSION_SECONDS);
        Ok(RoleSpec {
            role_arn: arn.to_string(),
            external_id: self
                .external_ids
                .for_account(account)
                .map(|e| e.expose().to_string()),
            session_name,
            source_identity: None,
            duration: seconds(duration),
        })
    }
}

fn seconds(s: u32) -> std::time::Duration {
    std::time::Duration::from_secs(u64::from(
        s.clamp(names::MIN_DURATION_SECONDS, MAX_DURATION_SECONDS),
    ))
}

fn example_region(partition: &str) -> &'static str {
    names::KNOWN_REGIONS
        .iter()
        .copied()
        .find(|r| Region::parse(r).is_ok_and(|r| r.partition() == partition))
        .unwrap_or("us-east-1")
}

#[cfg(test)]
mod tests;
