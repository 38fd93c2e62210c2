// The LabelAuditReport module; see ARCHITECTURE.md.
