/// What a reviewer decided about one training face's provided label.
public enum Verdict: String, Sendable, Codable, CaseIterable {
    /// The provided label matches the picture.
    case labelOK = "label_ok"
    /// The provided label is wrong for the picture.
    case labelWrong = "label_wrong"
    /// The reviewer could not decide (faint frames, occlusion, ...).
    case unsure
    /// The picture itself is broken or unreadable, so the label cannot be judged.
    case badImage = "bad_image"
}
