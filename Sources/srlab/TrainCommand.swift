import ArgumentParser

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a sparse-coding dictionary pair, an SRCNN or the sparse-coding network (SCN) on T91 (checkpointed, resumable, seeded).",
        subcommands: [TrainSCCommand.self, TrainSRCNNCommand.self, TrainSCNCommand.self, TrainZeydeCommand.self, TrainAplusCommand.self])
}
