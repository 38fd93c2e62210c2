import Foundation
import LabelAuditCore
import LabelAuditStore

/// Which faces a rerun reports on (the model is always retrained on every train row).
public enum RerunSelection: Sendable, Equatable {
    /// The faces at least one reviewer flagged.
    case flagged
    /// Exactly these ids (train rows).
    case ids([String])
}

/// A model a rerun retrains.
public enum RerunModel: Sendable, Equatable {
    /// The built-in logistic regression on the latents. It learns the labelling rule itself
    /// (the rule that made the noisy labels), so it is retrained only on request.
    case latent
    /// The built-in eye-band image model.
    case image
    /// An external command line (split by `ShellWords`, never run through a shell).
    case command(String)

    /// The models of the picture that carry the ranking's weight, what a rerun retrains by
    /// default: the image model when the engine has one, and the team's command when one is
    /// configured. Empty when there is neither.
    public static func pictureModels(imageModel: Bool, command: String?) -> [RerunModel] {
        (imageModel ? [.image] : []) + (command.map { [.command($0)] } ?? [])
    }

    /// The run name of the model before corrections (the parent).
    package var baseName: String {
        switch self {
        case .latent: return EvidenceEngine.latentRunName
        case .image: return EvidenceEngine.imageRunName
        case .command: return Rerun.commandBaselineName
        }
    }

    /// The run name of the retrained model.
    package var rerunName: String {
        switch self {
        case .latent: return Rerun.latentRerunName
        case .image: return Rerun.imageRerunName
        case .command: return Rerun.commandRerunName
        }
    }
}

/// What an `unsure` verdict (or reviewers who disagree) does to a row's label.
public enum UnsurePolicy: String, Sendable, Codable, CaseIterable {
    /// Train on the provided label.
    case keep
    /// Leave the row out of training (it still gets a held-out prediction).
    case drop
}

public struct RerunOptions: Sendable {
    public var selection: RerunSelection
    /// The models to retrain, in this order (default: the image model; see
    /// `RerunModel.pictureModels` for what the CLI and the app retrain).
    public var models: [RerunModel]
    public var unsure: UnsurePolicy
    /// Size of "the top of the queue" for the rows that rose into it.
    public var top: Int
    public var external: ExternalModelOptions
    /// Where an external command's stderr goes (default: `<cache name>-models.log` beside the cache).
    public var logURL: URL?
    /// false (default): a built-in model keeps the regularisation its parent chose (the full
    /// fit's C), so a rerun costs folds + 1 fits; true: choose C again by inner cross-validation
    /// ((folds + 1) · (inner folds · grid + 1) fits, about 20 times the work).
    public var searchRegularisation: Bool

    public init(
        selection: RerunSelection = .flagged, models: [RerunModel] = [.image], unsure: UnsurePolicy = .keep,
        top: Int = 50, external: ExternalModelOptions = ExternalModelOptions(), logURL: URL? = nil,
        searchRegularisation: Bool = false
    ) {
        self.selection = selection
        self.models = models
        self.unsure = unsure
        self.top = top
        self.external = external
        self.logURL = logURL
        self.searchRegularisation = searchRegularisation
    }
}

/// Progress of a rerun: one line for a status bar.
public struct RerunProgress: Sendable, Equatable {
    public let fraction: Double
    public let message: String

    public init(fraction: Double, message: String) {
        self.fraction = fraction
        self.message = message
    }
}

public enum RerunError: Error, Equatable, CustomStringConvertible, Sendable {
    case nothingFlagged(database: String)
    case nothingSelected
    case unknownID(String)
    case testID(String)
    case audit(String)
    case evidence(EvidenceError)
    case command(ShellWordsError)
    case noImageModel(String)
    /// The corrected training set cannot be fitted (too few rows, or one label left): the
    /// reason, and nothing was stored.
    case cannotFit(model: String, reason: String, dropped: Int, flipped: Int)
    /// No model to retrain: the image model is off and no command is configured.
    case noPictureModel
    case cancelled

    public var description: String {
        switch self {
        case .nothingFlagged(let database):
            return
                "no face is flagged for a rerun in \(database); flag faces with `labelaudit flag DATASET ID...` (or f in the review app), or pass --ids FILE"
        case .nothingSelected: return "no ids selected: the --ids file lists no id"
        case .unknownID(let id):
            return "\(TerminalSafeText.sanitized(id)): no such id in the dataset; ids are matched exactly as written in train.csv"
        case .testID(let id):
            return "\(TerminalSafeText.sanitized(id)): a test row; test rows have no label to audit and are never hand-labelled"
        case .audit(let message): return message
        case .evidence(let error): return error.description
        case .command(let error): return error.description
        case .noImageModel(let reason): return "the image model cannot run: \(reason)"
        case .cannotFit(let model, let reason, let dropped, let flipped):
            return
                "the \(model) model cannot be retrained on the corrected labels (\(flipped) flipped by label_wrong, \(dropped) left out by bad_image or unsure): \(reason). Nothing was stored and the audit data is unchanged; check those verdicts (labelaudit notes DATASET)"
        case .noPictureModel:
            return "no picture model to retrain: the image model is off (--no-image) and no model command is configured "
                + "(--model-cmd, or \"modelCommand\" in <dataset>/\(RerunSettings.fileName)); "
                + "`labelaudit rerun --model latent` retrains the latent model instead (it learns the noisy labelling rule, so it measures that rule, not the pictures)"
        case .cancelled: return "cancelled"
        }
    }
}
