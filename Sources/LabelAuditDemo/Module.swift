// The LabelAuditDemo module; see ARCHITECTURE.md.
