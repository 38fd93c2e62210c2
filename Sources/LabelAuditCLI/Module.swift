// The LabelAuditCLI module: what the `labelaudit` and `labelaudit-bench` executables share
// (dataset, evidence and reviewer options, opening the engine and the audit store for a command,
// stdout/stderr discipline, help text); see ARCHITECTURE.md.
