# Example root module: the connector for an existing log bucket, plus the scanned-account
# role in the same account. Build the zips first: make package ARCH=arm64 (or x86_64 with
# architecture = "x86_64").

terraform {
  required_version = ">= 1.5.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40.0"
    }
  }
}

provider "aws" {
  region = "us-east-1"
}

module "s3connector" {
  source             = "../.."
  name               = "s3connector"
  architecture       = "x86_64"
  package_dir        = "${path.root}/../../../../target/lambda"
  source_bucket_name = "my-cloudtrail-logs"
  source_prefix      = "AWSLogs/"
  allowed_accounts   = ["111122223333"]
  scan_role_arn      = "arn:aws:iam::111122223333:role/s3connector-scan-reader"
}

module "scanned_account_role" {
  source           = "../../modules/scanned-account-role"
  scanner_role_arn = module.s3connector.scan_role_arn
  external_id      = "replace-with-a-random-id"
}

output "setup_notifications_command" {
  description = "Run once to wire the existing bucket."
  value       = module.s3connector.setup_notifications_command
}

output "connection_test_url" {
  description = "SigV4-signed POST target."
  value       = module.s3connector.connection_test_url
}
