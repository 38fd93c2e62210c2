import ArgumentParser
import Foundation
import LabelAuditCLI

@main
struct LabelAudit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "labelaudit",
        abstract: "Find the wrong labels in an image dataset that has a latent vector per image.",
        discussion: HelpText.reflow(
            """
            With no subcommand, opens the review app on DATASET (default: the demo in Assets/).
            The test set is never labelled by a person: nothing labelaudit writes can become a submission.
            """),
        subcommands: [
            Summary.self,
            Demo.self,
            VerdictCommand.self,
            FlagCommand.self,
            NotesCommand.self,
            HistoryCommand.self,
            MergeCommand.self,
            SampleCommand.self,
            Rank.self,
            Models.self,
            Neighbours.self,
            RerunCommand.self,
            Render.self,
            Export.self,
            ReviewCommand.self,
        ],
        defaultSubcommand: ReviewCommand.self
    )

    func run() throws {
        throw CleanExit.helpRequest(self)
    }
}
