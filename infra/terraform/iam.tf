# One role per function, each listing only the actions its code calls
# (infra/permissions.toml; checked by infra/tests/test_least_privilege.py).

data "aws_iam_policy_document" "lambda_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "ingest" {
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function["ingest"].arn}:*"]
  }
  statement {
    sid       = "ConsumeIngestQueue"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
    resources = [aws_sqs_queue.ingest.arn]
  }
  statement {
    sid       = "SendContinuations"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.ingest.arn]
  }
  statement {
    sid       = "WriteOutputAndRejects"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.output.arn}/${var.output_prefix}*"]
  }
  dynamic "statement" {
    for_each = local.has_source_role ? [1] : []
    content {
      sid       = "AssumeSourceRole"
      actions   = ["sts:AssumeRole"]
      resources = [var.source_role_arn]
    }
  }
  dynamic "statement" {
    for_each = local.has_source_role ? [] : [1]
    content {
      sid       = "ReadSourceObjects"
      actions   = ["s3:GetObject", "s3:GetObjectVersion"]
      resources = ["${local.source_arn}/${var.source_prefix}*"]
    }
  }
  dynamic "statement" {
    for_each = length(var.source_kms_key_arns) > 0 ? [1] : []
    content {
      sid       = "DecryptSourceObjects"
      actions   = ["kms:Decrypt"]
      resources = var.source_kms_key_arns
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = [local.s3_via_service]
      }
    }
  }
  dynamic "statement" {
    for_each = local.output_kms ? [1] : []
    content {
      sid       = "EncryptOutput"
      actions   = ["kms:GenerateDataKey"]
      resources = [var.output_kms_key_arn]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = [local.s3_via_service]
      }
    }
  }
}

data "aws_iam_policy_document" "scan" {
  #checkov:skip=CKV_AWS_356:s3:ListAllMyBuckets has no resource type; IAM accepts only "*" for it.
  #checkov:skip=CKV_AWS_111:s3:ListAllMyBuckets has no resource type; IAM accepts only "*" for it.
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function["scan"].arn}:*"]
  }
  statement {
    sid       = "ConsumeScanQueue"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
    resources = [aws_sqs_queue.scan.arn]
  }
  # Account-level reads of the plan: buckets, the account's Block Public Access, bucket
  # size and object count (CloudWatch storage metrics). None has a resource type.
  statement {
    sid       = "ListBuckets"
    actions   = ["s3:ListAllMyBuckets", "s3:GetAccountPublicAccessBlock", "cloudwatch:GetMetricStatistics"]
    resources = ["*"]
  }
  statement {
    sid       = "AssumeScannedAccountRoles"
    actions   = ["sts:AssumeRole"]
    resources = var.scan_role_patterns
  }
  statement {
    sid       = "SendScanTasks"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.scan.arn]
  }
  statement {
    sid       = "ReadWriteScanOutput"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:PutObjectTagging", "s3:AbortMultipartUpload"]
    resources = ["${aws_s3_bucket.output.arn}/${var.output_prefix}*"]
  }
  statement {
    sid       = "ListScanOutput"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.output.arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.output_prefix}scans/*"]
    }
  }
  statement {
    sid = "ReadScannedBuckets"
    actions = [
      "s3:ListBucket",
      "s3:GetBucketLocation",
      "s3:GetEncryptionConfiguration",
      "s3:GetBucketPublicAccessBlock",
      "s3:GetBucketPolicyStatus",
      "s3:GetBucketVersioning",
      "s3:GetBucketOwnershipControls",
      "s3:GetBucketTagging",
    ]
    resources = ["arn:${data.aws_partition.this.partition}:s3:::${var.scan_bucket_pattern}"]
  }
  statement {
    sid       = "ReadScannedObjects"
    actions   = ["s3:GetObject"]
    resources = ["arn:${data.aws_partition.this.partition}:s3:::${var.scan_bucket_pattern}/*"]
  }
  dynamic "statement" {
    for_each = local.output_kms ? [1] : []
    content {
      sid       = "OutputKey"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [var.output_kms_key_arn]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = [local.s3_via_service]
      }
    }
  }
}

data "aws_iam_policy_document" "test_connection" {
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function["test-connection"].arn}:*"]
  }
  statement {
    sid       = "AssumeAllowedRoles"
    actions   = ["sts:AssumeRole"]
    resources = var.allowed_role_patterns
    condition {
      test     = "StringLike"
      variable = "sts:RoleSessionName"
      values   = ["s3connector-test-*"]
    }
  }
  # Only with allow_function_identity: the steps run as the function itself.
  dynamic "statement" {
    for_each = var.allow_function_identity ? [1] : []
    content {
      sid       = "OwnIdentityBucket"
      actions   = ["s3:ListBucket", "s3:GetEncryptionConfiguration", "s3:GetBucketVersioning", "s3:GetBucketPublicAccessBlock", "s3:GetBucketNotification"]
      resources = [local.source_arn]
    }
  }
  dynamic "statement" {
    for_each = var.allow_function_identity ? [1] : []
    content {
      sid       = "OwnIdentityObjects"
      actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
      resources = ["${local.source_arn}/${var.source_prefix}*"]
    }
  }
  dynamic "statement" {
    for_each = var.allow_function_identity ? [1] : []
    content {
      sid       = "OwnIdentityQueue"
      actions   = ["sqs:GetQueueAttributes"]
      resources = [aws_sqs_queue.ingest.arn]
    }
  }
}

locals {
  function_policies = {
    "ingest"          = data.aws_iam_policy_document.ingest.json
    "scan"            = data.aws_iam_policy_document.scan.json
    "test-connection" = data.aws_iam_policy_document.test_connection.json
  }
}

resource "aws_iam_role" "function" {
  for_each           = local.function_policies
  name               = "${var.name}-${each.key}"
  assume_role_policy = data.aws_iam_policy_document.lambda_trust.json
}

resource "aws_iam_role_policy" "function" {
  for_each = local.function_policies
  name     = each.key
  role     = aws_iam_role.function[each.key].id
  policy   = each.value
}

data "aws_iam_policy_document" "scheduler_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
  }
}

data "aws_iam_policy_document" "schedule" {
  statement {
    actions   = ["lambda:InvokeFunction"]
    resources = [aws_lambda_function.scan.arn]
  }
}

resource "aws_iam_role" "schedule" {
  name               = "${var.name}-schedule"
  assume_role_policy = data.aws_iam_policy_document.scheduler_trust.json
}

resource "aws_iam_role_policy" "schedule" {
  name   = "invoke-scan"
  role   = aws_iam_role.schedule.id
  policy = data.aws_iam_policy_document.schedule.json
}
