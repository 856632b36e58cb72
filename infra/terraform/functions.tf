# The three functions (zips from `make package`), their triggers and the connection-test API.

locals {
  log_env = {
    S3CONNECTOR_LOG_FORMAT = var.log_format
    S3CONNECTOR_LOG_LEVEL  = var.log_level
  }
}

resource "aws_lambda_function" "ingest" {
  #checkov:skip=CKV_AWS_116:Failed messages go to the ingest queue's DLQ through its redrive policy; a function DLQ only applies to async invokes.
  #checkov:skip=CKV_AWS_117:Ingest reads S3 and SQS over public endpoints; a VPC is the user's choice.
  #checkov:skip=CKV_AWS_173:Environment variables are encrypted at rest with the Lambda service key; secrets are sensitive variables.
  #checkov:skip=CKV_AWS_115:Concurrency is bounded by the event source mapping's maximum_concurrency, which does not throttle into the DLQ.
  #checkov:skip=CKV_AWS_272:Code signing needs a signing profile the user owns; zips are built locally by make package.
  #checkov:skip=CKV_AWS_50:X-Ray tracing is off by default as in the SAM template (PassThrough); enable it per account.
  function_name    = "${var.name}-ingest"
  role             = aws_iam_role.function["ingest"].arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = [var.architecture]
  filename         = "${var.package_dir}/ingest/bootstrap.zip"
  source_code_hash = filebase64sha256("${var.package_dir}/ingest/bootstrap.zip")
  memory_size      = var.ingest_memory_size
  timeout          = var.ingest_timeout
  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.function["ingest"].name
  }
  environment {
    variables = merge(local.log_env, {
      S3CONNECTOR_OUTPUT_BUCKET            = aws_s3_bucket.output.id
      S3CONNECTOR_OUTPUT_PREFIX            = var.output_prefix
      S3CONNECTOR_INGEST_QUEUE_URL         = aws_sqs_queue.ingest.url
      S3CONNECTOR_ROLE_ARN                 = var.source_role_arn
      S3CONNECTOR_EXTERNAL_ID              = var.source_external_id
      S3CONNECTOR_ROLE_SESSION_NAME        = local.has_source_role ? var.role_session_name : ""
      S3CONNECTOR_SOURCE_IDENTITY          = local.has_source_role ? var.source_identity : ""
      S3CONNECTOR_ROLE_DURATION_SECONDS    = local.has_source_role ? tostring(var.role_duration_seconds) : ""
      S3CONNECTOR_SINK                     = var.sink
      S3CONNECTOR_RAW_MODE                 = var.raw_mode
      S3CONNECTOR_OUTPUT_COMPRESSION       = var.output_compression
      S3CONNECTOR_OUTPUT_FORMAT            = var.output_format
      S3CONNECTOR_OUTPUT_LAYOUT            = var.output_layout
      S3CONNECTOR_SECURITY_LAKE_SOURCES    = var.security_lake_sources
      S3CONNECTOR_SECURITY_LAKE_ACCOUNT_ID = var.security_lake_account_id == "" ? local.account : var.security_lake_account_id
      S3CONNECTOR_SECURITY_LAKE_REGION     = var.security_lake_region
      S3CONNECTOR_CHUNK_RECORDS            = tostring(var.chunk_records)
      S3CONNECTOR_CHUNK_MAX_BYTES          = tostring(var.chunk_max_bytes)
      S3CONNECTOR_LOG_TYPE_OVERRIDES       = var.log_type_overrides
      S3CONNECTOR_MAX_DECOMPRESSED_BYTES   = tostring(var.max_decompressed_bytes)
      S3CONNECTOR_MAX_COMPRESSION_RATIO    = tostring(var.max_compression_ratio)
      S3CONNECTOR_ZSTD_MAX_WINDOW_LOG      = tostring(var.zstd_max_window_log)
      S3CONNECTOR_MAX_SPOOL_BYTES          = tostring(var.max_spool_bytes)
      S3CONNECTOR_TIME_RESERVE_SECONDS     = tostring(var.time_reserve_seconds)
      S3CONNECTOR_HTTP_URL                 = var.http_url
      S3CONNECTOR_HTTP_PRESET              = var.http_preset
      S3CONNECTOR_HTTP_TOKEN               = var.http_token
      S3CONNECTOR_HTTP_INDEX               = var.http_index
      S3CONNECTOR_HTTP_MAX_BATCH_BYTES     = tostring(var.http_max_batch_bytes)
      S3CONNECTOR_HTTP_MAX_BATCH_RECORDS   = tostring(var.http_max_batch_records)
      S3CONNECTOR_HTTP_MAX_ATTEMPTS        = tostring(var.http_max_attempts)
      S3CONNECTOR_HTTP_TIMEOUT_SECONDS     = tostring(var.http_timeout_seconds)
      S3CONNECTOR_HTTP_GZIP                = tostring(var.http_gzip)
    })
  }
  lifecycle {
    precondition {
      condition     = var.ingest_memory_size >= 4 * var.chunk_max_bytes / 1048576 + 128
      error_message = "ingest_memory_size must hold about 4 chunks of chunk_max_bytes plus 128 MiB."
    }
    precondition {
      condition     = var.sink != "http" || var.http_url != ""
      error_message = "http_url is required when sink is http."
    }
  }
}

resource "aws_lambda_event_source_mapping" "ingest" {
  event_source_arn        = aws_sqs_queue.ingest.arn
  function_name           = aws_lambda_function.ingest.arn
  batch_size              = var.ingest_batch_size
  function_response_types = ["ReportBatchItemFailures"]
  scaling_config {
    maximum_concurrency = var.ingest_max_concurrency
  }
}

resource "aws_lambda_function" "scan" {
  #checkov:skip=CKV_AWS_116:Scan tasks that keep failing go to the scan queue's DLQ through its redrive policy.
  #checkov:skip=CKV_AWS_117:Scan calls S3 and STS over public endpoints; a VPC is the user's choice.
  #checkov:skip=CKV_AWS_173:Environment variables are encrypted at rest with the Lambda service key; the external ID is a sensitive variable.
  #checkov:skip=CKV_AWS_115:Reserved concurrency is a variable (scan_reserved_concurrency); unreserved by default for small accounts.
  #checkov:skip=CKV_AWS_272:Code signing needs a signing profile the user owns; zips are built locally by make package.
  #checkov:skip=CKV_AWS_50:X-Ray tracing is off by default as in the SAM template (PassThrough); enable it per account.
  function_name                  = "${var.name}-scan"
  role                           = aws_iam_role.function["scan"].arn
  runtime                        = "provided.al2023"
  handler                        = "bootstrap"
  architectures                  = [var.architecture]
  filename                       = "${var.package_dir}/scan/bootstrap.zip"
  source_code_hash               = filebase64sha256("${var.package_dir}/scan/bootstrap.zip")
  memory_size                    = 512
  timeout                        = 900
  reserved_concurrent_executions = var.scan_reserved_concurrency
  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.function["scan"].name
  }
  environment {
    variables = merge(local.log_env, {
      S3CONNECTOR_OUTPUT_BUCKET          = aws_s3_bucket.output.id
      S3CONNECTOR_OUTPUT_PREFIX          = var.output_prefix
      S3CONNECTOR_ROLE_ARN               = var.scan_role_arn
      S3CONNECTOR_EXTERNAL_ID            = var.scan_external_id
      S3CONNECTOR_ROLE_SESSION_NAME      = local.has_scan_role ? var.role_session_name : ""
      S3CONNECTOR_SCAN_QUEUE_URL         = aws_sqs_queue.scan.url
      S3CONNECTOR_SCAN_CONFIG            = var.scan_config
      S3CONNECTOR_SCAN_CONFIG_URI        = var.scan_config_uri
      S3CONNECTOR_CLASSIFY_HMAC_KEY      = var.classify_hmac_key
      S3CONNECTOR_MAX_DECOMPRESSED_BYTES = tostring(var.max_decompressed_bytes)
      S3CONNECTOR_MAX_COMPRESSION_RATIO  = tostring(var.max_compression_ratio)
      S3CONNECTOR_ZSTD_MAX_WINDOW_LOG    = tostring(var.zstd_max_window_log)
    })
  }
}

resource "aws_lambda_event_source_mapping" "scan" {
  event_source_arn = aws_sqs_queue.scan.arn
  function_name    = aws_lambda_function.scan.arn
  batch_size       = 1
}

resource "aws_scheduler_schedule" "scan" {
  #checkov:skip=CKV_AWS_297:The schedule's input is the scan scope (bucket patterns, no secrets); the AWS-owned key encrypts it at rest.
  name                = "${var.name}-scan"
  description         = "Starts a scan with the configured scope."
  schedule_expression = var.scan_schedule
  flexible_time_window {
    mode = "OFF"
  }
  target {
    arn      = aws_lambda_function.scan.arn
    role_arn = aws_iam_role.schedule.arn
    input    = var.scan_scope
    retry_policy {
      maximum_retry_attempts       = 2
      maximum_event_age_in_seconds = 3600
    }
  }
}

resource "aws_lambda_function" "test_connection" {
  #checkov:skip=CKV_AWS_116:Invoked synchronously by API Gateway; a DLQ only applies to asynchronous invokes.
  #checkov:skip=CKV_AWS_117:The connection test must reach the customer's S3 endpoints; a VPC is the user's choice.
  #checkov:skip=CKV_AWS_173:Environment variables are encrypted at rest with the Lambda service key; external IDs are a sensitive variable.
  #checkov:skip=CKV_AWS_115:The API stage's throttle bounds concurrency; reserving it would take from small accounts' pool.
  #checkov:skip=CKV_AWS_272:Code signing needs a signing profile the user owns; zips are built locally by make package.
  #checkov:skip=CKV_AWS_50:X-Ray tracing is off by default as in the SAM template (PassThrough); enable it per account.
  function_name    = "${var.name}-test-connection"
  role             = aws_iam_role.function["test-connection"].arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = [var.architecture]
  filename         = "${var.package_dir}/test-connection/bootstrap.zip"
  source_code_hash = filebase64sha256("${var.package_dir}/test-connection/bootstrap.zip")
  memory_size      = 256
  # API Gateway gives up after 29 s; the test's own budget is 24 s.
  timeout = 30
  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.function["test-connection"].name
  }
  environment {
    variables = merge(local.log_env, {
      S3CONNECTOR_ALLOWED_ROLE_PATTERNS   = join(",", var.allowed_role_patterns)
      S3CONNECTOR_ALLOWED_ACCOUNTS        = join(",", var.allowed_accounts)
      S3CONNECTOR_ACCOUNT_EXTERNAL_IDS    = length(var.account_external_ids) == 0 ? "" : jsonencode(var.account_external_ids)
      S3CONNECTOR_ALLOW_FUNCTION_IDENTITY = tostring(var.allow_function_identity)
    })
  }
}

resource "aws_apigatewayv2_api" "connection_tests" {
  name          = "${var.name}-connection-tests"
  protocol_type = "HTTP"
}

resource "aws_apigatewayv2_integration" "connection_tests" {
  api_id                 = aws_apigatewayv2_api.connection_tests.id
  integration_type       = "AWS_PROXY"
  integration_uri        = aws_lambda_function.test_connection.invoke_arn
  payload_format_version = "2.0"
  timeout_milliseconds   = 29000
}

resource "aws_apigatewayv2_route" "connection_tests" {
  api_id             = aws_apigatewayv2_api.connection_tests.id
  route_key          = "POST /connection-tests"
  authorization_type = "AWS_IAM"
  target             = "integrations/${aws_apigatewayv2_integration.connection_tests.id}"
}

resource "aws_apigatewayv2_stage" "default" {
  api_id      = aws_apigatewayv2_api.connection_tests.id
  name        = "$default"
  auto_deploy = true
  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.api.arn
    format = jsonencode({
      requestId = "$context.requestId", ip = "$context.identity.sourceIp", caller = "$context.identity.caller",
      user      = "$context.identity.userArn", time = "$context.requestTime", route = "$context.routeKey",
      status    = "$context.status", latency = "$context.responseLatency", integrationError = "$context.integrationErrorMessage"
    })
  }
  default_route_settings {
    throttling_rate_limit  = var.api_throttle_rate
    throttling_burst_limit = var.api_throttle_burst
  }
}

resource "aws_lambda_permission" "connection_tests" {
  statement_id  = "AllowApiGateway"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.test_connection.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.connection_tests.execution_arn}/*/*/connection-tests"
}
