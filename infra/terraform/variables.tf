# Every variable mirrors a parameter of ../template.yaml (same meaning, same limits);
# infra/tests/test_terraform.py checks the two stay equivalent.

variable "name" {
  description = "Prefix of every resource name (the SAM stack name). Lowercase, so bucket names derived from it are valid."
  type        = string
  default     = "s3connector"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,38}$", var.name))
    error_message = "name must be 2-39 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "architecture" {
  description = "Lambda architecture of the three functions."
  type        = string
  default     = "arm64"
  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be arm64 or x86_64."
  }
}

variable "package_dir" {
  description = "Directory holding <function>/bootstrap.zip for ingest, scan and test-connection (make package ARCH=...)."
  type        = string
  default     = "../../target/lambda"
}

variable "source_bucket_name" {
  description = "Existing bucket whose logs are ingested; empty creates one with its notification. For an existing bucket run the setup_notifications_command output."
  type        = string
  default     = ""
  validation {
    condition     = var.source_bucket_name == "" || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.source_bucket_name))
    error_message = "source_bucket_name must be a valid S3 bucket name or empty."
  }
}

variable "source_bucket_account" {
  description = "Account owning the source bucket (aws:SourceAccount of the queue policy); empty means this account."
  type        = string
  default     = ""
  validation {
    condition     = var.source_bucket_account == "" || can(regex("^[0-9]{12}$", var.source_bucket_account))
    error_message = "source_bucket_account must be 12 digits or empty."
  }
}

variable "source_prefix" {
  description = "Key prefix the notification filters on, and the prefix ingest may read."
  type        = string
  default     = ""
}

variable "source_suffix" {
  description = "Key suffix the notification filters on."
  type        = string
  default     = ""
}

variable "source_kms_key_arns" {
  description = "KMS keys encrypting source objects; ingest gets kms:Decrypt on them through S3 only."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for k in var.source_kms_key_arns : can(regex("^arn:aws[a-z-]*:kms:", k))])
    error_message = "source_kms_key_arns must be KMS key ARNs."
  }
}

variable "source_role_arn" {
  description = "S3CONNECTOR_ROLE_ARN for ingest: a role ingest assumes to read source objects. Empty reads with its own role."
  type        = string
  default     = ""
  validation {
    condition     = var.source_role_arn == "" || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", var.source_role_arn))
    error_message = "source_role_arn must be an IAM role ARN or empty."
  }
}

variable "source_external_id" {
  description = "S3CONNECTOR_EXTERNAL_ID for ingest: the external ID source_role_arn's trust policy requires."
  type        = string
  default     = ""
  sensitive   = true
  validation {
    condition     = var.source_external_id == "" || can(regex("^[\\w+=,.@:/-]{2,1224}$", var.source_external_id))
    error_message = "source_external_id must be 2-1224 characters of [A-Za-z0-9_+=,.@:/-], or empty."
  }
}

variable "role_session_name" {
  description = "S3CONNECTOR_ROLE_SESSION_NAME: session name shown in the source account's CloudTrail."
  type        = string
  default     = "s3connector"
  validation {
    condition     = can(regex("^[\\w+=,.@-]{2,64}$", var.role_session_name))
    error_message = "role_session_name must be 2-64 characters of [A-Za-z0-9_+=,.@-]."
  }
}

variable "source_identity" {
  description = "S3CONNECTOR_SOURCE_IDENTITY: source identity recorded for assumed-role sessions."
  type        = string
  default     = ""
  validation {
    condition     = var.source_identity == "" || can(regex("^[\\w+=,.@-]{2,64}$", var.source_identity))
    error_message = "source_identity must be 2-64 characters of [A-Za-z0-9_+=,.@-], or empty."
  }
}

variable "role_duration_seconds" {
  description = "S3CONNECTOR_ROLE_DURATION_SECONDS: assumed-role session duration."
  type        = number
  default     = 3600
  validation {
    condition     = var.role_duration_seconds >= 900 && var.role_duration_seconds <= 43200
    error_message = "role_duration_seconds must be 900-43200."
  }
}

variable "output_prefix" {
  description = "S3CONNECTOR_OUTPUT_PREFIX: key prefix under the output bucket."
  type        = string
  default     = ""
  validation {
    condition     = !startswith(var.output_prefix, "/") && length(var.output_prefix) <= 512
    error_message = "output_prefix must not start with / and be at most 512 bytes."
  }
}

variable "output_kms_key_arn" {
  description = "Customer managed KMS key for SSE-KMS on the output bucket; empty uses SSE-S3."
  type        = string
  default     = ""
  validation {
    condition     = var.output_kms_key_arn == "" || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-f0-9-]+$", var.output_kms_key_arn))
    error_message = "output_kms_key_arn must be a KMS key ARN or empty."
  }
}

variable "output_compression" {
  description = "S3CONNECTOR_OUTPUT_COMPRESSION: gzip, gzip:1-9, zstd or zstd:1-19."
  type        = string
  default     = "gzip"
  validation {
    condition     = can(regex("^(gzip|gzip:[1-9]|zstd|zstd:([1-9]|1[0-9]))$", var.output_compression))
    error_message = "output_compression must be gzip, gzip:1-9, zstd or zstd:1-19."
  }
}

variable "output_format" {
  description = "S3CONNECTOR_OUTPUT_FORMAT: ndjson, or parquet (OCSF Parquet, S3 sink only)."
  type        = string
  default     = "ndjson"
  validation {
    condition     = contains(["ndjson", "parquet"], var.output_format)
    error_message = "output_format must be ndjson or parquet."
  }
}

variable "output_layout" {
  description = "S3CONNECTOR_OUTPUT_LAYOUT: partitioned, or security-lake (ext/<source>/region=/accountId=/eventDay=; needs parquet)."
  type        = string
  default     = "partitioned"
  validation {
    condition     = contains(["partitioned", "security-lake"], var.output_layout)
    error_message = "output_layout must be partitioned or security-lake."
  }
}

variable "security_lake_sources" {
  description = "S3CONNECTOR_SECURITY_LAKE_SOURCES: custom source names, <log type>=<name> or <log type>:<class_uid>=<name>, comma separated."
  type        = string
  default     = ""
  validation {
    condition     = can(regex("^[A-Za-z0-9_:=,-]*$", var.security_lake_sources))
    error_message = "security_lake_sources must be <log type>[:<class_uid>]=<name> entries separated by commas."
  }
}

variable "security_lake_account_id" {
  description = "S3CONNECTOR_SECURITY_LAKE_ACCOUNT_ID: accountId= partition of events whose key and records name no account (empty: this deployment's account)."
  type        = string
  default     = ""
  validation {
    condition     = can(regex("^([0-9]{12})?$", var.security_lake_account_id))
    error_message = "security_lake_account_id must be empty or a 12-digit account ID."
  }
}

variable "security_lake_region" {
  description = "S3CONNECTOR_SECURITY_LAKE_REGION: region= partition of events whose key and records name no region (empty: the function's region)."
  type        = string
  default     = ""
  validation {
    condition     = can(regex("^([a-z][a-z0-9-]{3,31})?$", var.security_lake_region))
    error_message = "security_lake_region must be empty or an AWS Region name."
  }
}

variable "raw_mode" {
  description = "S3CONNECTOR_RAW_MODE: where the original record goes."
  type        = string
  default     = "auto"
  validation {
    condition     = contains(["auto", "unmapped", "raw_data", "drop"], var.raw_mode)
    error_message = "raw_mode must be auto, unmapped, raw_data or drop."
  }
}

variable "chunk_records" {
  description = "S3CONNECTOR_CHUNK_RECORDS: records per output object or HTTP batch."
  type        = number
  default     = 20000
  validation {
    condition     = var.chunk_records >= 100 && var.chunk_records <= 1000000
    error_message = "chunk_records must be 100-1000000."
  }
}

variable "chunk_max_bytes" {
  description = "S3CONNECTOR_CHUNK_MAX_BYTES: NDJSON bytes after which a chunk ends early."
  type        = number
  default     = 33554432
  validation {
    condition     = var.chunk_max_bytes >= 1048576 && var.chunk_max_bytes <= 1073741824
    error_message = "chunk_max_bytes must be 1 MiB to 1 GiB."
  }
}

variable "rejects_expiration_days" {
  description = "Days after which reject records expire."
  type        = number
  default     = 90
}

variable "scan_parts_expiration_days" {
  description = "Days after which scan part files (objects under scans/ tagged s3connector-object=scan-part) expire."
  type        = number
  default     = 30
}

variable "ingest_memory_size" {
  description = "Ingest memory (MB); must hold about 4 chunks of chunk_max_bytes plus 128 MiB."
  type        = number
  default     = 1024
  validation {
    condition     = var.ingest_memory_size >= 256 && var.ingest_memory_size <= 10240
    error_message = "ingest_memory_size must be 256-10240."
  }
}

variable "ingest_timeout" {
  description = "Ingest timeout in seconds; the ingest queue's visibility timeout is six times this."
  type        = number
  default     = 300
  validation {
    condition     = contains([60, 120, 300, 600, 900], var.ingest_timeout)
    error_message = "ingest_timeout must be 60, 120, 300, 600 or 900."
  }
}

variable "ingest_batch_size" {
  description = "SQS messages per ingest invocation."
  type        = number
  default     = 10
}

variable "ingest_max_concurrency" {
  description = "Maximum concurrent ingest invocations (event source mapping), protecting the sink."
  type        = number
  default     = 20
  validation {
    condition     = var.ingest_max_concurrency >= 2 && var.ingest_max_concurrency <= 1000
    error_message = "ingest_max_concurrency must be 2-1000."
  }
}

variable "log_type_overrides" {
  description = "S3CONNECTOR_LOG_TYPE_OVERRIDES: bucket[/prefix]=type,..."
  type        = string
  default     = ""
}

variable "max_decompressed_bytes" {
  description = "S3CONNECTOR_MAX_DECOMPRESSED_BYTES: decompressed size at which an object is rejected."
  type        = number
  default     = 21474836480
  validation {
    condition     = var.max_decompressed_bytes >= 1048576
    error_message = "max_decompressed_bytes must be at least 1048576 (the function refuses less at cold start)."
  }
}

variable "max_spool_bytes" {
  description = "S3CONNECTOR_MAX_SPOOL_BYTES: largest VPC flow log Parquet object copied to /tmp to be read; keep it within the function's ephemeral storage."
  type        = number
  default     = 419430400
}

variable "max_compression_ratio" {
  description = "S3CONNECTOR_MAX_COMPRESSION_RATIO: ratio at which an object is rejected as a bomb."
  type        = number
  default     = 1000
  validation {
    condition     = var.max_compression_ratio >= 10 && var.max_compression_ratio <= 1000000
    error_message = "max_compression_ratio must be 10 to 1000000 (the function refuses anything else at cold start)."
  }
}

variable "zstd_max_window_log" {
  description = "S3CONNECTOR_ZSTD_MAX_WINDOW_LOG: largest zstd window accepted, as a power of two (25 = 32 MiB)."
  type        = number
  default     = 25
  validation {
    condition     = var.zstd_max_window_log >= 10 && var.zstd_max_window_log <= 31
    error_message = "zstd_max_window_log must be 10 to 31."
  }
}

variable "time_reserve_seconds" {
  description = "S3CONNECTOR_TIME_RESERVE_SECONDS: time kept before the timeout."
  type        = number
  default     = 60
}

variable "sink" {
  description = "S3CONNECTOR_SINK: s3 or http."
  type        = string
  default     = "s3"
  validation {
    condition     = contains(["s3", "http"], var.sink)
    error_message = "sink must be s3 or http."
  }
}

variable "http_url" {
  description = "S3CONNECTOR_HTTP_URL: HTTP sink endpoint (required when sink is http)."
  type        = string
  default     = ""
  validation {
    condition     = var.http_url == "" || can(regex("^https?://.+$", var.http_url))
    error_message = "http_url must be an http(s) URL or empty."
  }
}

variable "http_preset" {
  description = "S3CONNECTOR_HTTP_PRESET: ndjson, splunk_hec or elasticsearch."
  type        = string
  default     = "ndjson"
  validation {
    condition     = contains(["ndjson", "splunk_hec", "elasticsearch"], var.http_preset)
    error_message = "http_preset must be ndjson, splunk_hec or elasticsearch."
  }
}

variable "http_token" {
  description = "S3CONNECTOR_HTTP_TOKEN: secret for the Authorization header."
  type        = string
  default     = ""
  sensitive   = true
}

variable "http_index" {
  description = "S3CONNECTOR_HTTP_INDEX: Splunk or Elasticsearch index."
  type        = string
  default     = ""
}

variable "http_max_batch_bytes" {
  description = "S3CONNECTOR_HTTP_MAX_BATCH_BYTES."
  type        = number
  default     = 4194304
}

variable "http_max_batch_records" {
  description = "S3CONNECTOR_HTTP_MAX_BATCH_RECORDS."
  type        = number
  default     = 5000
}

variable "http_max_attempts" {
  description = "S3CONNECTOR_HTTP_MAX_ATTEMPTS."
  type        = number
  default     = 5
}

variable "http_timeout_seconds" {
  description = "S3CONNECTOR_HTTP_TIMEOUT_SECONDS."
  type        = number
  default     = 10
}

variable "http_gzip" {
  description = "S3CONNECTOR_HTTP_GZIP: gzip request bodies."
  type        = bool
  default     = true
}

variable "scan_schedule" {
  description = "EventBridge Scheduler expression for scans."
  type        = string
  default     = "rate(1 day)"
  validation {
    condition     = can(regex("^(rate|cron)\\(.+\\)$", var.scan_schedule))
    error_message = "scan_schedule must be rate(...) or cron(...)."
  }
}

variable "scan_scope" {
  description = "Scan scope (a JSON object) the schedule passes to scan."
  type        = string
  default     = "{}"
  validation {
    condition     = can(jsondecode(var.scan_scope))
    error_message = "scan_scope must be JSON."
  }
}

variable "scan_config" {
  description = "S3CONNECTOR_SCAN_CONFIG: the scan config (JSON); empty uses scan_config_uri or the defaults."
  type        = string
  default     = ""
  validation {
    condition     = var.scan_config == "" || can(jsondecode(var.scan_config))
    error_message = "scan_config must be JSON or empty."
  }
}

variable "scan_config_uri" {
  description = "S3CONNECTOR_SCAN_CONFIG_URI: s3://bucket/key of the scan config, read at cold start."
  type        = string
  default     = ""
  validation {
    condition     = var.scan_config_uri == "" || can(regex("^s3://[a-z0-9.-]{3,63}/.+$", var.scan_config_uri))
    error_message = "scan_config_uri must be s3://bucket/key or empty."
  }
}

variable "scan_bucket_pattern" {
  description = "Bucket names (a pattern, * for every bucket) in this account scan may read with its own role."
  type        = string
  default     = "*"
  validation {
    condition     = can(regex("^[a-z0-9.*?-]{1,63}$", var.scan_bucket_pattern))
    error_message = "scan_bucket_pattern must be a bucket name pattern."
  }
}

variable "classify_hmac_key" {
  description = "S3CONNECTOR_CLASSIFY_HMAC_KEY: key of the HMAC digests of findings; empty uses a random key per cold start."
  type        = string
  default     = ""
  sensitive   = true
}

variable "scan_role_arn" {
  description = "S3CONNECTOR_ROLE_ARN for scan: the scanned-account role. Empty scans with the function's own role."
  type        = string
  default     = ""
  validation {
    condition     = var.scan_role_arn == "" || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", var.scan_role_arn))
    error_message = "scan_role_arn must be an IAM role ARN or empty."
  }
}

variable "scan_external_id" {
  description = "S3CONNECTOR_EXTERNAL_ID for scan."
  type        = string
  default     = ""
  sensitive   = true
  validation {
    condition     = var.scan_external_id == "" || can(regex("^[\\w+=,.@:/-]{2,1224}$", var.scan_external_id))
    error_message = "scan_external_id must be 2-1224 characters of [A-Za-z0-9_+=,.@:/-], or empty."
  }
}

variable "scan_role_patterns" {
  description = "Role ARN patterns scan may call sts:AssumeRole on."
  type        = list(string)
  default     = ["arn:aws:iam::*:role/s3connector-scan-*"]
}

variable "scan_reserved_concurrency" {
  description = "Reserved concurrency of scan; -1 leaves it unreserved."
  type        = number
  default     = -1
}

variable "allowed_role_patterns" {
  description = "S3CONNECTOR_ALLOWED_ROLE_PATTERNS: role ARN patterns test-connection may assume (also its IAM resources)."
  type        = list(string)
  default     = ["arn:aws:iam::*:role/s3connector-*"]
  validation {
    condition     = length(var.allowed_role_patterns) > 0 && alltrue([for p in var.allowed_role_patterns : startswith(p, "arn:") && !strcontains(p, ",")])
    error_message = "allowed_role_patterns must be role ARN patterns (arn:...), without commas."
  }
}

variable "allowed_accounts" {
  description = "S3CONNECTOR_ALLOWED_ACCOUNTS: accounts whose roles test-connection may assume."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for a in var.allowed_accounts : a == "*" || can(regex("^[0-9]{12}$", a))])
    error_message = "allowed_accounts must be 12-digit account IDs (or *)."
  }
}

variable "account_external_ids" {
  description = "S3CONNECTOR_ACCOUNT_EXTERNAL_IDS: account (or *) to the external ID test-connection sends."
  type        = map(string)
  default     = {}
  sensitive   = true
  validation {
    condition     = alltrue([for k, v in var.account_external_ids : (k == "*" || can(regex("^[0-9]{12}$", k))) && length(v) >= 2 && length(v) <= 1224])
    error_message = "account_external_ids keys must be 12-digit accounts or *, values 2-1224 characters."
  }
}

variable "allow_function_identity" {
  description = "S3CONNECTOR_ALLOW_FUNCTION_IDENTITY: run requests without role_arn as the function, which then gets read/posture/beacon permissions on the source bucket and queue."
  type        = bool
  default     = false
}

variable "api_throttle_rate" {
  description = "Steady-state requests per second on the connection-test API."
  type        = number
  default     = 5
}

variable "api_throttle_burst" {
  description = "Burst of requests on the connection-test API."
  type        = number
  default     = 10
}

variable "log_retention_days" {
  description = "Retention of the log groups."
  type        = number
  default     = 30
  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch Logs retention value (1, 3, 5, 7, 14, 30, ... 3653)."
  }
}

variable "log_format" {
  description = "S3CONNECTOR_LOG_FORMAT: json or text."
  type        = string
  default     = "json"
  validation {
    condition     = contains(["json", "text"], var.log_format)
    error_message = "log_format must be json or text."
  }
}

variable "log_level" {
  description = "S3CONNECTOR_LOG_LEVEL: level or filter."
  type        = string
  default     = "info"
  validation {
    condition     = can(regex("^[a-z0-9_=,:]+$", var.log_level))
    error_message = "log_level must be a level or filter such as debug or s3connector=debug,info."
  }
}
