// The LabelAuditTUI module; see ARCHITECTURE.md.
