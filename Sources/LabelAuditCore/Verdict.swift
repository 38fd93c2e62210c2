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

/// What the team's verdicts on one face decide, under the one consensus rule (`ItemConsensus`).
public enum ConsensusDecision: String, Sendable, Codable, CaseIterable {
    /// Every decisive verdict says the label is right.
    case labelOK = "label_ok"
    /// Every decisive verdict says the label is wrong: the label is flipped in the corrected
    /// labels, counted as a confirmed error, and trained on flipped by `rerun`.
    case labelWrong = "label_wrong"
    /// Decisive verdicts disagree: the label is kept and the face is listed as a conflict.
    case conflict
    /// Only `unsure` verdicts: nothing is decided about the label.
    case unsure
    /// No decisive verdict and at least one `bad_image`: the picture cannot be judged (a rerun
    /// leaves the face out of training).
    case badImage = "bad_image"
}

extension ConsensusDecision {
    /// The one consensus rule (Docs/report.md, "Consensus"): `label_ok` and `label_wrong` are
    /// decisive; `unsure` and `bad_image` abstain on the label. Decisive verdicts that all agree
    /// decide; decisive verdicts that disagree are a conflict. With no decisive verdict, any
    /// `bad_image` makes the face a broken picture, else `unsure`. nil without any verdict.
    /// Everything that asks "what did the team decide" (report, corrected labels, rerun, the
    /// review app's marks and filters) comes here.
    public init?<Verdicts: Sequence>(_ verdicts: Verdicts) where Verdicts.Element == Verdict {
        var any = false
        var wrong = false
        var ok = false
        var bad = false
        for verdict in verdicts {
            any = true
            switch verdict {
            case .labelWrong: wrong = true
            case .labelOK: ok = true
            case .badImage: bad = true
            case .unsure: break
            }
        }
        guard any else { return nil }
        switch (wrong, ok) {
        case (true, true): self = .conflict
        case (true, false): self = .labelWrong
        case (false, true): self = .labelOK
        case (false, false): self = bad ? .badImage : .unsure
        }
    }
}
