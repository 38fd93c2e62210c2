// The LabelAuditImaging module; see ARCHITECTURE.md.
