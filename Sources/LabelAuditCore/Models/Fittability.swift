/// Whether the built-in models can learn anything from a training set, asked before a fit so
/// that a tiny or one-class set is reported as missing evidence with its reason instead of
/// reaching a fit on an empty fold.
extension OutOfFold {
    /// Why no model can be fitted on `labels` (the training rows' labels), or nil when it can:
    /// the out-of-fold protocol needs at least two rows (every fold must leave rows to fit on),
    /// and a model that has only seen one class cannot tell the classes apart, so its
    /// probabilities would say nothing about which labels are wrong. `rows` names the rows in
    /// the plural ("training rows with a readable image"). O(rows).
    public static func unfittableReason(labels: [UInt8], rows: String = "training rows") -> String? {
        let positives = labels.reduce(0) { $0 + ($1 == 1 ? 1 : 0) }
        let negatives = labels.count - positives
        switch labels.count {
        case 0: return "there are no \(rows)"
        case 1: return "\(rows): only 1, and out-of-fold predictions need at least 2, with both labels"
        default: break
        }
        if positives == 0 || negatives == 0 {
            return
                "all \(labels.count) \(rows) have label \(positives == 0 ? 0 : 1); a model needs both labels to learn which faces are which"
        }
        return nil
    }
}
