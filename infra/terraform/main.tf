# s3connector: the same deployment as ../template.yaml, as a Terraform module.

data "aws_caller_identity" "this" {}
data "aws_partition" "this" {}
data "aws_region" "this" {}

locals {
  account         = data.aws_caller_identity.this.account_id
  partition       = data.aws_partition.this.partition
  region          = data.aws_region.this.name
  create_source   = var.source_bucket_name == ""
  source_bucket   = local.create_source ? "${var.name}-source-${local.account}" : var.source_bucket_name
  source_arn      = "arn:${local.partition}:s3:::${local.source_bucket}"
  source_account  = var.source_bucket_account == "" ? local.account : var.source_bucket_account
  output_bucket   = "${var.name}-output-${local.account}"
  has_source_role = var.source_role_arn != ""
  has_scan_role   = var.scan_role_arn != ""
  output_kms      = var.output_kms_key_arn != ""
  s3_via_service  = "s3.${local.region}.amazonaws.com"
}

# ------------------------------------------------------------------------- output bucket --

resource "aws_s3_bucket" "output" {
  #checkov:skip=CKV_AWS_18:Access logging of the output bucket needs a second log bucket the user chooses; CloudTrail data events cover reads.
  #checkov:skip=CKV_AWS_21:Output keys are deterministic and rewritten on retry by design; versioning would keep every duplicate.
  #checkov:skip=CKV_AWS_144:Cross-region replication is the user's choice; output can be re-derived from the source logs.
  #checkov:skip=CKV2_AWS_62:Nothing consumes events of the output bucket; readers query it (Athena, Security Lake).
  #checkov:skip=CKV_AWS_145:SSE-KMS is a variable (output_kms_key_arn); SSE-S3 is the default as in the SAM template.
  bucket = local.output_bucket
}

resource "aws_s3_bucket_server_side_encryption_configuration" "output" {
  bucket = aws_s3_bucket.output.id
  rule {
    bucket_key_enabled = true
    apply_server_side_encryption_by_default {
      sse_algorithm     = local.output_kms ? "aws:kms" : "AES256"
      kms_master_key_id = local.output_kms ? var.output_kms_key_arn : null
    }
  }
}

resource "aws_s3_bucket_public_access_block" "output" {
  bucket                  = aws_s3_bucket.output.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "output" {
  bucket = aws_s3_bucket.output.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "output" {
  bucket = aws_s3_bucket.output.id
  rule {
    id     = "expire-rejects"
    status = "Enabled"
    filter {
      prefix = "${var.output_prefix}rejects/"
    }
    expiration {
      days = var.rejects_expiration_days
    }
  }
  rule {
    id     = "expire-scan-parts"
    status = "Enabled"
    # Part files and reports share scans/<scan_id>/; only objects tagged as parts expire.
    filter {
      and {
        prefix = "${var.output_prefix}scans/"
        tags   = { "s3connector-object" = "scan-part" }
      }
    }
    expiration {
      days = var.scan_parts_expiration_days
    }
  }
  rule {
    id     = "abort-incomplete-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

data "aws_iam_policy_document" "output_bucket" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.output.arn, "${aws_s3_bucket.output.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "output" {
  bucket = aws_s3_bucket.output.id
  policy = data.aws_iam_policy_document.output_bucket.json
}

# ------------------------------------------------------------------------- source bucket --

resource "aws_s3_bucket" "source" {
  #checkov:skip=CKV_AWS_18:The source bucket holds logs delivered by AWS services; logging its access needs a second bucket the user chooses.
  #checkov:skip=CKV_AWS_21:Log deliveries never overwrite a key; versioning is the user's choice and ingest reads versioned objects too.
  #checkov:skip=CKV_AWS_144:Cross-region replication of source logs is the user's choice.
  #checkov:skip=CKV_AWS_145:Log delivery services write SSE-S3 by default; SSE-KMS needs key policies per delivering service.
  #checkov:skip=CKV2_AWS_61:Retention of source logs is the user's policy; ingest never deletes them.
  count  = local.create_source ? 1 : 0
  bucket = local.source_bucket
}

resource "aws_s3_bucket_server_side_encryption_configuration" "source" {
  count  = local.create_source ? 1 : 0
  bucket = aws_s3_bucket.source[0].id
  rule {
    bucket_key_enabled = true
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "source" {
  count                   = local.create_source ? 1 : 0
  bucket                  = aws_s3_bucket.source[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "source" {
  count  = local.create_source ? 1 : 0
  bucket = aws_s3_bucket.source[0].id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

data "aws_iam_policy_document" "source_bucket" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [local.source_arn, "${local.source_arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "source" {
  count  = local.create_source ? 1 : 0
  bucket = aws_s3_bucket.source[0].id
  policy = data.aws_iam_policy_document.source_bucket.json
}

resource "aws_s3_bucket_notification" "source" {
  count  = local.create_source ? 1 : 0
  bucket = aws_s3_bucket.source[0].id
  queue {
    id            = "s3connector-ingest"
    queue_arn     = aws_sqs_queue.ingest.arn
    events        = ["s3:ObjectCreated:*"]
    filter_prefix = var.source_prefix == "" ? null : var.source_prefix
    filter_suffix = var.source_suffix == "" ? null : var.source_suffix
  }
  depends_on = [aws_sqs_queue_policy.ingest]
}

# ---------------------------------------------------------------------------------- queues --

resource "aws_sqs_queue" "ingest_dlq" {
  name                      = "${var.name}-ingest-dlq"
  sqs_managed_sse_enabled   = true
  message_retention_seconds = 1209600
}

resource "aws_sqs_queue" "ingest" {
  name                       = "${var.name}-ingest"
  sqs_managed_sse_enabled    = true
  visibility_timeout_seconds = 6 * var.ingest_timeout
  message_retention_seconds  = 345600
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.ingest_dlq.arn
    maxReceiveCount     = 5
  })
}

data "aws_iam_policy_document" "ingest_queue" {
  statement {
    sid       = "AllowSourceBucketNotifications"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.ingest.arn]
    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [local.source_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.source_account]
    }
  }
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.ingest.arn]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sqs_queue_policy" "ingest" {
  queue_url = aws_sqs_queue.ingest.id
  policy    = data.aws_iam_policy_document.ingest_queue.json
}

resource "aws_sqs_queue" "scan_dlq" {
  name                      = "${var.name}-scan-dlq"
  sqs_managed_sse_enabled   = true
  message_retention_seconds = 1209600
}

resource "aws_sqs_queue" "scan" {
  name                       = "${var.name}-scan"
  sqs_managed_sse_enabled    = true
  visibility_timeout_seconds = 6 * 900
  message_retention_seconds  = 345600
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.scan_dlq.arn
    maxReceiveCount     = 3
  })
}

# ------------------------------------------------------------------------------ log groups --

resource "aws_cloudwatch_log_group" "function" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest by default; a KMS key is the user's choice and secrets are never logged.
  #checkov:skip=CKV_AWS_338:Retention is a variable (log_retention_days, 30 days by default); a year of debug logs is a cost the user chooses.
  for_each          = toset(["ingest", "scan", "test-connection"])
  name              = "/aws/lambda/${var.name}-${each.key}"
  retention_in_days = var.log_retention_days
}

resource "aws_cloudwatch_log_group" "api" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest by default; access logs hold no secrets.
  #checkov:skip=CKV_AWS_338:Retention is a variable (log_retention_days, 30 days by default).
  name              = "/aws/apigateway/${var.name}-connection-tests"
  retention_in_days = var.log_retention_days
}
