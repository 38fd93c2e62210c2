// The LabelAuditStore module; see ARCHITECTURE.md.
