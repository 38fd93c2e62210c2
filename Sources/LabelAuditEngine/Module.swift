// The LabelAuditEngine module; see ARCHITECTURE.md.
