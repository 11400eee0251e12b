import ArgumentParser

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a sparse-coding dictionary pair or an SRCNN on T91 (checkpointed, resumable, seeded).",
        subcommands: [TrainSCCommand.self, TrainSRCNNCommand.self])
}
