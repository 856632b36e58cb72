//! Validation of AWS names and identifiers, written from the AWS documentation's
//! rules, shared by configuration parsing and request validation.
//!
//! Each function returns `Err(rule)` with the rule the value broke, phrased so it
//! can follow "must ..." in a message that names the field or variable.

/// Checks a general purpose bucket name against the S3 naming rules.
pub fn bucket_name(name: &str) -> Result<(), &'static str> {
    if name.len() < 3 || name.len() > 63 {
        return Err("be 3 to 63 characters long");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
    {
        return Err("contain only lowercase letters, digits, dots and hyphens");
    }
    let first = name.as_bytes()[0];
    let last = name.as_bytes()[name.len() - 1];
    if !first.is_ascii_alphanumeric() || !last.is_ascii_alphanumeric() {
        return Err("begin and end with a letter or digit");
    }
    if name.contains("..") {
        return Err("not contain two adjacent periods");
    }
    if name.split('.').count() == 4 && name.split('.').all(|p| p.parse::<u8>().is_ok()) {
        return Err("not be formatted as an IP address");
    }
    for prefix in ["xn--", "sthree-", "amzn-s3-demo-"] {
        if name.starts_with(prefix) {
            return Err("not start with a reserved prefix (xn--, sthree-, amzn-s3-demo-)");
        }
    }
    for suffix in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] {
        if name.ends_with(suffix) {
            return Err(
                "not end with a reserved suffix (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3)",
            );
        }
    }
    Ok(())
}

/// Checks an IAM role ARN: `arn:<partition>:iam::<12-digit account>:role/[path/]<name>`.
pub fn role_arn(arn: &str) -> Result<(), &'static str> {
    const RULE: &str = "be arn:<partition>:iam::<12-digit account>:role/[path/]<name>";
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some("iam"), Some(""), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(RULE);
    };
    if !matches!(partition, "aws" | "aws-cn" | "aws-us-gov") && !partition.starts_with("aws-iso") {
        return Err("use a known partition (aws, aws-cn, aws-us-gov, aws-iso*)");
    }
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err("name a 12-digit account ID");
    }
    let Some(path_and_name) = resource.strip_prefix("role/") else {
        return Err(RULE);
    };
    let name = path_and_name.rsplit('/').next().unwrap_or_default();
    if name.is_empty() || name.len() > 64 || !name.bytes().all(is_iam_name_byte) {
        return Err("end in a role name of 1 to 64 characters from [A-Za-z0-9+=,.@_-]");
    }
    Ok(())
}

/// Checks an STS external ID: 2 to 1224 characters from `[\w+=,.@:/-]`.
pub fn external_id(id: &str) -> Result<(), &'static str> {
    if id.len() < 2 || id.len() > 1224 {
        return Err("be 2 to 1224 characters long");
    }
    if !id
        .bytes()
        .all(|b| is_iam_name_byte(b) || b == b':' || b == b'/')
    {
        return Err("contain only characters from [A-Za-z0-9+=,.@:/_-]");
    }
    Ok(())
}

/// Checks a role session name or source identity: 2 to 64 characters from `[\w+=,.@-]`.
pub fn session_name(name: &str) -> Result<(), &'static str> {
    if name.len() < 2 || name.len() > 64 {
        return Err("be 2 to 64 characters long");
    }
    if !name.bytes().all(is_iam_name_byte) {
        return Err("contain only characters from [A-Za-z0-9+=,.@_-]");
    }
    Ok(())
}

/// Checks an AssumeRole session duration in seconds (900 to 43200).
pub fn session_duration(seconds: u32) -> Result<(), &'static str> {
    if (900..=43200).contains(&seconds) {
        Ok(())
    } else {
        Err("be between 900 and 43200 seconds")
    }
}

/// Checks the shape of a region name such as `us-east-1`, `us-gov-west-1` or `cn-north-1`.
pub fn region(name: &str) -> Result<(), &'static str> {
    const RULE: &str = "be a region name such as us-east-1, eu-central-2 or us-gov-west-1";
    let parts: Vec<&str> = name.split('-').collect();
    if parts.len() < 3 || parts.len() > 4 {
        return Err(RULE);
    }
    let area = parts[0];
    let number = parts[parts.len() - 1];
    let middle = &parts[1..parts.len() - 1];
    let area_ok = area.len() == 2 && area.bytes().all(|b| b.is_ascii_lowercase());
    let number_ok = (1..=2).contains(&number.len()) && number.bytes().all(|b| b.is_ascii_digit());
    let middle_ok = match middle {
        [direction] => is_lower_word(direction),
        [qualifier, direction] => {
            (*qualifier == "gov" || qualifier.starts_with("iso"))
                && is_lower_word(qualifier)
                && is_lower_word(direction)
        }
        _ => false,
    };
    if area_ok && number_ok && middle_ok {
        Ok(())
    } else {
        Err(RULE)
    }
}

fn is_lower_word(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase())
}

fn is_iam_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'=' | b',' | b'.' | b'@' | b'_' | b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_follow_s3_rules() {
        for ok in [
            "my-bucket",
            "my.bucket.logs",
            "abc",
            "a1b2c3",
            "logs-123456789012",
        ] {
            assert_eq!(bucket_name(ok), Ok(()), "{ok}");
        }
        for bad in [
            "ab",
            "My-Bucket",
            "a..b",
            "-bucket",
            "bucket-",
            "192.168.5.4",
            "xn--bucket",
            "bucket-s3alias",
            "under_score",
            &"a".repeat(64),
        ] {
            assert!(bucket_name(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn role_arns_need_partition_account_and_role_resource() {
        for ok in [
            "arn:aws:iam::123456789012:role/s3connector-reader",
            "arn:aws-cn:iam::123456789012:role/path/to/Role_1",
            "arn:aws-us-gov:iam::123456789012:role/x",
        ] {
            assert_eq!(role_arn(ok), Ok(()), "{ok}");
        }
        for bad in [
            "arn:aws:iam::12345678901:role/short-account",
            "arn:aws:iam::123456789012:user/alice",
            "arn:aws:s3:::bucket",
            "arn:other:iam::123456789012:role/x",
            "arn:aws:iam:us-east-1:123456789012:role/x",
            "arn:aws:iam::123456789012:role/",
            "arn:aws:iam::123456789012:role/bad name",
            "not-an-arn",
        ] {
            assert!(role_arn(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn external_ids_and_session_names_follow_sts_rules() {
        assert!(external_id("x").is_err());
        assert!(external_id("ok").is_ok());
        assert!(external_id("urn:tenant/42:abc").is_ok());
        assert!(external_id("has space").is_err());
        assert!(external_id(&"a".repeat(1225)).is_err());
        assert!(session_name("s3connector").is_ok());
        assert!(session_name("a:b").is_err());
        assert!(session_duration(899).is_err());
        assert!(session_duration(900).is_ok());
        assert!(session_duration(43200).is_ok());
        assert!(session_duration(43201).is_err());
    }

    #[test]
    fn region_names_are_checked_by_shape() {
        for ok in [
            "us-east-1",
            "eu-central-2",
            "us-gov-west-1",
            "cn-north-1",
            "ap-southeast-7",
        ] {
            assert_eq!(region(ok), Ok(()), "{ok}");
        }
        for bad in [
            "useast1",
            "US-EAST-1",
            "us-east",
            "us-east-123",
            "u-east-1",
            "",
        ] {
            assert!(region(bad).is_err(), "{bad} should be rejected");
        }
    }
}
