import ArgumentParser

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a sparse-coding dictionary pair, an SRCNN, the sparse-coding network (SCN), FSRCNN, FSRCNN-s, ESPCN, the Keras project's SRCNN variants, a Zeyde dictionary or A+'s regressors on T91 (seeded; the networks checkpointed and resumable).",
        subcommands: [TrainSCCommand.self, TrainSRCNNCommand.self, TrainSCNCommand.self]
            + publishedNetworkTrainingCommands + [TrainZeydeCommand.self, TrainAplusCommand.self])
}
