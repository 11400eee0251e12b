import ArgumentParser
import ConvNet

// `srlab train expanded-srcnn|denoising-srcnn|deep-denoising-sr|resnet-sr|distilled-resnet-sr …`: the Keras project's SRCNN variants
// (KerasVariants.swift), trained as fsrcnn is (same options, checkpoints and resume): the first
// two on SRCNN's 33×33 bicubic-upscaled sub-images, ResNet SR on LR sub-images as FSRCNN. A run's config should set `lastLayerLearningRate` (the
// command's default is FSRCNN's 1e-4; the Keras project trained every layer at Adam 1e-3).

struct TrainExpandedSRCNNCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "expanded-srcnn",
        abstract: "Train the Keras project's Expanded SRCNN (three parallel middle layers, averaged) on bicubic-upscaled sub-images, as fsrcnn is trained.")
    @OptionGroup var arguments: LRSpaceTrainingArguments
    func run() throws {
        try arguments.run(kind: NetworkSpec.expandedSRCNNModelKind, label: "Expanded SRCNN")
    }
}

struct TrainDenoisingSRCNNCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "denoising-srcnn",
        abstract: "Train the Keras project's denoising auto-encoder SRCNN (two skips) on bicubic-upscaled sub-images, as fsrcnn is trained.")
    @OptionGroup var arguments: LRSpaceTrainingArguments
    func run() throws {
        try arguments.run(kind: NetworkSpec.denoisingSRCNNModelKind, label: "Denoising AE SRCNN")
    }
}

struct TrainResNetSRCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resnet-sr",
        abstract: "Train the Keras project's ResNet SR on LR sub-images, as fsrcnn is trained: without batch normalisation, or with it when a run's config gives the network with it (networkSpec; experiments/runs/resnet-sr_x3_bn).")
    @OptionGroup var arguments: LRSpaceTrainingArguments
    func run() throws {
        try arguments.run(kind: NetworkSpec.resNetSRModelKind, label: "ResNet SR")
    }
}

struct TrainDistilledResNetSRCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distilled-resnet-sr",
        abstract: "Train the Keras project's distilled ResNet SR student (32 maps, one block) on LR sub-images; a run's config names the teacher (teacherModel, teacherWeight).")
    @OptionGroup var arguments: LRSpaceTrainingArguments
    func run() throws {
        try arguments.run(kind: NetworkSpec.distilledResNetSRModelKind, label: "Distilled ResNet SR")
    }
}

struct TrainDeepDenoisingSRCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deep-denoising-sr",
        abstract: "Train the Keras project's deep denoising SR (encoder-decoder with skips) on 36x36 bicubic-upscaled sub-images; a run's config sets lossMargin (its receptive radius leaves no label).")
    @OptionGroup var arguments: LRSpaceTrainingArguments
    func run() throws {
        try arguments.run(kind: NetworkSpec.deepDenoisingSRModelKind, label: "Deep denoising SR")
    }
}
