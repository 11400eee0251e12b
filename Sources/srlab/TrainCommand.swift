import ArgumentParser

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a sparse-coding dictionary pair, an SRCNN, the sparse-coding network (SCN), FSRCNN, FSRCNN-s or ESPCN on T91 (checkpointed, resumable, seeded).",
        subcommands: [TrainSCCommand.self, TrainSRCNNCommand.self, TrainSCNCommand.self,
                      TrainFSRCNNCommand.self, TrainFSRCNNSmallCommand.self, TrainESPCNCommand.self])
}
