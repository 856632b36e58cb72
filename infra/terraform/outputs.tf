output "ingest_function_arn" {
  description = "The ingest function."
  value       = aws_lambda_function.ingest.arn
}
output "scan_function_arn" {
  description = "The scan function."
  value       = aws_lambda_function.scan.arn
}
output "test_connection_function_arn" {
  description = "The connection-test function."
  value       = aws_lambda_function.test_connection.arn
}
output "ingest_role_arn" {
  description = "Ingest's role."
  value       = aws_iam_role.function["ingest"].arn
}
output "scan_role_arn" {
  description = "Scan's role: the principal scanned-account roles trust."
  value       = aws_iam_role.function["scan"].arn
}
output "test_connection_role_arn" {
  description = "The role customers name in aws:PrincipalArn of their connection-test trust policy."
  value       = aws_iam_role.function["test-connection"].arn
}
output "ingest_queue_arn" {
  description = "Queue the source bucket notifies."
  value       = aws_sqs_queue.ingest.arn
}
output "ingest_queue_url" {
  description = "URL of the ingest queue."
  value       = aws_sqs_queue.ingest.url
}
output "ingest_dead_letter_queue_url" {
  description = "Messages that failed five times."
  value       = aws_sqs_queue.ingest_dlq.url
}
output "scan_queue_url" {
  description = "URL of the scan task queue."
  value       = aws_sqs_queue.scan.url
}
output "scan_dead_letter_queue_url" {
  description = "Scan tasks that failed three times."
  value       = aws_sqs_queue.scan_dlq.url
}
output "output_bucket_name" {
  description = "Bucket receiving OCSF output, rejects and scan reports."
  value       = aws_s3_bucket.output.id
}
output "output_bucket_arn" {
  description = "ARN of the output bucket."
  value       = aws_s3_bucket.output.arn
}
output "source_bucket_name" {
  description = "The bucket whose logs are ingested."
  value       = local.source_bucket
}
output "connection_test_url" {
  description = "POST a SigV4-signed connection-test request here (service execute-api)."
  value       = "${aws_apigatewayv2_stage.default.invoke_url}connection-tests"
}
output "setup_notifications_command" {
  description = "For an existing source bucket, run once to add the ingest queue to its notifications."
  value       = "s3connector setup notifications --bucket ${local.source_bucket} --queue-arn ${aws_sqs_queue.ingest.arn}"
}
