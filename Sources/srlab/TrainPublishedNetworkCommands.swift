import ArgumentParser
import ConvNet

// `srlab train fsrcnn|fsrcnn-s|espcn|expanded-srcnn|denoising-srcnn|resnet-sr|distilled-resnet-sr|deep-denoising-sr …`:
// every published sequential network trains through the same arguments (`LRSpaceTrainingArguments`:
// options, checkpoints, resume); a network is one entry below. The Keras project's variants
// (KerasVariants.swift): the first two and deep denoising SR on bicubic-upscaled sub-images, the
// ResNets on LR sub-images as FSRCNN. A Keras variant's run config should set
// `lastLayerLearningRate` (the command's default is FSRCNN's 1e-4; the Keras project trained every
// layer at Adam 1e-3).

/// A network `srlab train` has a subcommand for: its name there, model kind, label and help.
protocol PublishedNetworkTraining {
    static var commandName: String { get }
    static var kind: String { get }
    static var label: String { get }
    static var abstract: String { get }
}

struct TrainPublishedNetworkCommand<Network: PublishedNetworkTraining>: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: Network.commandName, abstract: Network.abstract)
    }
    @OptionGroup var arguments: LRSpaceTrainingArguments
    func run() throws { try arguments.run(kind: Network.kind, label: Network.label) }
}

/// The subcommands, in `srlab train --help`'s order.
let publishedNetworkTrainingCommands: [ParsableCommand.Type] = [
    TrainPublishedNetworkCommand<FSRCNNTraining>.self, TrainPublishedNetworkCommand<FSRCNNSmallTraining>.self,
    TrainPublishedNetworkCommand<ESPCNTraining>.self, TrainPublishedNetworkCommand<ExpandedSRCNNTraining>.self,
    TrainPublishedNetworkCommand<DenoisingSRCNNTraining>.self, TrainPublishedNetworkCommand<ResNetSRTraining>.self,
    TrainPublishedNetworkCommand<DistilledResNetSRTraining>.self, TrainPublishedNetworkCommand<DeepDenoisingSRTraining>.self,
]

enum FSRCNNTraining: PublishedNetworkTraining {
    static let commandName = "fsrcnn", kind = NetworkSpec.fsrcnnModelKind, label = "FSRCNN"
    static let abstract = "Train FSRCNN(56,12,4) on LR sub-images, with checkpoints, best-model keeping and bit-identical resume."
}

enum FSRCNNSmallTraining: PublishedNetworkTraining {
    static let commandName = "fsrcnn-s", kind = NetworkSpec.fsrcnnSmallModelKind, label = "FSRCNN-s"
    static let abstract = "Train FSRCNN-s(32,5,1), FSRCNN's real-time model, as fsrcnn is trained."
}

enum ESPCNTraining: PublishedNetworkTraining {
    static let commandName = "espcn", kind = NetworkSpec.espcnModelKind, label = "ESPCN"
    static let abstract = "Train ESPCN (sub-pixel convolution) on LR sub-images, as fsrcnn is trained."
}

enum ExpandedSRCNNTraining: PublishedNetworkTraining {
    static let commandName = "expanded-srcnn", kind = NetworkSpec.expandedSRCNNModelKind, label = "Expanded SRCNN"
    static let abstract = "Train the Keras project's Expanded SRCNN (three parallel middle layers, averaged) on bicubic-upscaled sub-images, as fsrcnn is trained."
}

enum DenoisingSRCNNTraining: PublishedNetworkTraining {
    static let commandName = "denoising-srcnn", kind = NetworkSpec.denoisingSRCNNModelKind, label = "Denoising AE SRCNN"
    static let abstract = "Train the Keras project's denoising auto-encoder SRCNN (two skips) on bicubic-upscaled sub-images, as fsrcnn is trained."
}

enum ResNetSRTraining: PublishedNetworkTraining {
    static let commandName = "resnet-sr", kind = NetworkSpec.resNetSRModelKind, label = "ResNet SR"
    static let abstract = "Train the Keras project's ResNet SR on LR sub-images, as fsrcnn is trained: without batch normalisation, or with it when a run's config gives the network with it (networkSpec; experiments/runs/resnet-sr_x3_bn)."
}

enum DistilledResNetSRTraining: PublishedNetworkTraining {
    static let commandName = "distilled-resnet-sr", kind = NetworkSpec.distilledResNetSRModelKind, label = "Distilled ResNet SR"
    static let abstract = "Train the Keras project's distilled ResNet SR student (32 maps, one block) on LR sub-images; a run's config names the teacher (teacherModel, teacherWeight)."
}

enum DeepDenoisingSRTraining: PublishedNetworkTraining {
    static let commandName = "deep-denoising-sr", kind = NetworkSpec.deepDenoisingSRModelKind, label = "Deep denoising SR"
    static let abstract = "Train the Keras project's deep denoising SR (encoder-decoder with skips) on 36x36 bicubic-upscaled sub-images; a run's config sets lossMargin (its receptive radius leaves no label)."
}
