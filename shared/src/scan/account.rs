//! Account-level posture: the account's S3 Block Public Access settings (S3 Control
//! `GetPublicAccessBlock`, IAM action `s3:GetAccountPublicAccessBlock`), which S3 applies
//! to every bucket of the account together with the bucket's own settings.

use aws_sdk_s3control::error::ProvideErrorMetadata;

use super::access::AccessIssue;
use super::report::PublicAccessBlock;

/// Reads the account's Block Public Access settings. An account with none configured
/// has every setting off (`NoSuchPublicAccessBlockConfiguration` is that fact, not an
/// error); any other failure is an issue naming the action to grant.
pub async fn public_access_block(
    s3control: &aws_sdk_s3control::Client,
    account_id: &str,
) -> Result<PublicAccessBlock, AccessIssue> {
    match s3control
        .get_public_access_block()
        .account_id(account_id)
        .send()
        .await
    {
        Ok(out) => Ok(out
            .public_access_block_configuration()
            .map(|c| PublicAccessBlock {
                block_public_acls: c.block_public_acls().unwrap_or(false),
                ignore_public_acls: c.ignore_public_acls().unwrap_or(false),
                block_public_policy: c.block_public_policy().unwrap_or(false),
                restrict_public_buckets: c.restrict_public_buckets().unwrap_or(false),
            })
            .unwrap_or_default()),
        Err(e) if e.code() == Some("NoSuchPublicAccessBlockConfiguration") => {
            Ok(PublicAccessBlock::default())
        }
        Err(e) => Err(AccessIssue::from_sdk(
            "GetPublicAccessBlock (account)",
            "s3:GetAccountPublicAccessBlock",
            &format!("account {account_id}"),
            &e,
        )),
    }
}
