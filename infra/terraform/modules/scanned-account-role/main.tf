# The scanned-account role (same as ../../../scanned-account-role.yaml): read-only access
# for the s3connector scan role of another account, with an external ID.

terraform {
  required_version = ">= 1.5.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40.0"
    }
  }
}

variable "scanner_role_arn" {
  description = "The scan function's role (scan_role_arn output of the s3connector module). Only it may assume this role."
  type        = string
  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", var.scanner_role_arn))
    error_message = "scanner_role_arn must be an IAM role ARN."
  }
}

variable "external_id" {
  description = "External ID the scanner must send (sts:ExternalId)."
  type        = string
  sensitive   = true
  validation {
    condition     = length(var.external_id) >= 2 && length(var.external_id) <= 1224
    error_message = "external_id must be 2-1224 characters."
  }
}

variable "role_name" {
  description = "Name of the role; must match the scanner's scan_role_patterns."
  type        = string
  default     = "s3connector-scan-reader"
  validation {
    condition     = startswith(var.role_name, "s3connector-scan-")
    error_message = "role_name must start with s3connector-scan-."
  }
}

variable "bucket_name" {
  description = "One bucket to scan; empty grants read on all buckets of the account."
  type        = string
  default     = ""
}

variable "kms_key_arns" {
  description = "KMS keys encrypting scanned objects; kms:Decrypt through S3 only."
  type        = list(string)
  default     = []
}

variable "allow_beacon_write" {
  description = "Let the connection test's write test put and delete its beacon objects."
  type        = bool
  default     = false
}

variable "beacon_prefix" {
  description = "Key prefix under which the write test puts its beacon."
  type        = string
  default     = ""
}

data "aws_caller_identity" "this" {}
data "aws_partition" "this" {}

locals {
  bucket  = var.bucket_name == "" ? "*" : var.bucket_name
  s3      = "arn:${data.aws_partition.this.partition}:s3:::"
  account = data.aws_caller_identity.this.account_id
}

data "aws_iam_policy_document" "trust" {
  statement {
    sid     = "ScannerOnlyWithExternalId"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = [var.scanner_role_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "sts:ExternalId"
      values   = [var.external_id]
    }
  }
}

data "aws_iam_policy_document" "read" {
  #checkov:skip=CKV_AWS_356:s3:ListAllMyBuckets has no resource type; bucket-wide reads use "*" only when the user chooses all buckets.
  #checkov:skip=CKV_AWS_111:The beacon write is limited to the beacon key and the account's own buckets (s3:ResourceAccount).
  #checkov:skip=CKV_AWS_108:Reading objects is the purpose of a data scan; the resource is the named bucket, or every bucket when the user chooses all.
  statement {
    sid       = "ListBuckets"
    actions   = ["s3:ListAllMyBuckets", "s3:GetAccountPublicAccessBlock", "cloudwatch:GetMetricStatistics"]
    resources = ["*"]
  }
  statement {
    sid = "BucketMetadata"
    actions = [
      "s3:ListBucket", "s3:GetBucketLocation", "s3:GetEncryptionConfiguration", "s3:GetBucketVersioning",
      "s3:GetBucketPolicyStatus", "s3:GetBucketPublicAccessBlock", "s3:GetBucketTagging", "s3:GetBucketOwnershipControls",
    ]
    resources = ["${local.s3}${local.bucket}"]
  }
  statement {
    sid       = "ReadObjects"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${local.s3}${local.bucket}/*"]
  }
  dynamic "statement" {
    for_each = length(var.kms_key_arns) > 0 ? [1] : []
    content {
      sid       = "DecryptThroughS3"
      actions   = ["kms:Decrypt"]
      resources = var.kms_key_arns
      condition {
        test     = "StringLike"
        variable = "kms:ViaService"
        values   = ["s3.*.amazonaws.com"]
      }
    }
  }
  dynamic "statement" {
    for_each = var.allow_beacon_write ? [1] : []
    content {
      sid       = "ConnectionTestBeaconOnly"
      actions   = ["s3:PutObject", "s3:DeleteObject"]
      resources = ["${local.s3}${local.bucket}/${var.beacon_prefix}s3connector-connection-test-*.txt"]
      condition {
        test     = "StringEquals"
        variable = "s3:ResourceAccount"
        values   = [local.account]
      }
    }
  }
}

resource "aws_iam_role" "scan_reader" {
  name                 = var.role_name
  max_session_duration = 3600
  assume_role_policy   = data.aws_iam_policy_document.trust.json
}

resource "aws_iam_role_policy" "scan_reader" {
  name   = "s3connector-scan-read"
  role   = aws_iam_role.scan_reader.id
  policy = data.aws_iam_policy_document.read.json
}

output "role_arn" {
  description = "Give this to the s3connector deployment (scan_role_arn)."
  value       = aws_iam_role.scan_reader.arn
}
