// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "SRLab",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "srlab", targets: ["srlab"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // C libraries from Debian, found through pkg-config.
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CLAPACKE", pkgConfig: "lapacke",
                       providers: [.apt(["liblapacke-dev"])]),
        .systemLibrary(name: "CSTBImage", pkgConfig: "stb",
                       providers: [.apt(["libstb-dev"])]),
        .systemLibrary(name: "CLibPNG", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev"])]),
        // libpng reports errors by longjmp, which Swift cannot catch: a small C wrapper does.
        .target(name: "PNGWriter", dependencies: ["CLibPNG"]),

        .target(name: "LinearAlgebra", dependencies: ["COpenBLAS", "CLAPACKE"],
                exclude: ["README.md"], swiftSettings: fast),
        .target(name: "Imaging", dependencies: ["CSTBImage", "PNGWriter", "AtomicIO"], swiftSettings: fastInDebugToo),
        .target(name: "AtomicIO"),
        .target(name: "SeededRandom"),
        .target(name: "TensorFile", dependencies: ["AtomicIO"]),
        // The method-neutral training stack: loop, options, sub-images, optimisers, checkpoints.
        .target(name: "Training", dependencies: ["LinearAlgebra", "Imaging", "TensorFile", "AtomicIO", "SeededRandom"],
                exclude: ["README.md"], swiftSettings: fastInDebugToo),
        // Direct convolution of the single-channel first layers where the CPU has AVX-512 (checked at run time).
        // Optimised in debug builds too, as ConvNet is.
        .target(name: "ConvKernels", cSettings: [.unsafeFlags(["-O3"])]),
        // Optimised in debug builds too: its tests run the network on whole images.
        .target(name: "ConvNet", dependencies: ["LinearAlgebra", "Imaging", "TensorFile", "SeededRandom", "Training", "ConvKernels"],
                exclude: ["README.md"], swiftSettings: fast + [.unsafeFlags(["-O"], .when(configuration: .debug))]),

        .target(name: "Harness", dependencies: ["LinearAlgebra", "Imaging", "AtomicIO", "Methods", "SparseCoding", "ConvNet", "TensorFile", "Training", "ExampleBased"],
                swiftSettings: fast),
        .target(name: "SparseCoding", dependencies: ["LinearAlgebra", "Imaging", "TensorFile", "AtomicIO", "SeededRandom"],
                exclude: ["README.md"], swiftSettings: fastInDebugToo),
        // SRCNN's claim that ScSR is a CNN, shown: the network built from a dictionary, and the check;
        // likewise ANR / A+ as a CNN with a hard gate.
        .target(name: "Equivalence", dependencies: ["SparseCoding", "ExampleBased", "ConvNet", "Imaging", "LinearAlgebra"],
                exclude: ["README.md"], swiftSettings: fastInDebugToo),
        // SCN: that network trained end to end (LISTA layers), by the training stack.
        .target(name: "SCN", dependencies: ["Equivalence", "SparseCoding", "ConvNet", "Training", "Imaging", "LinearAlgebra", "TensorFile"],
                exclude: ["README.md"], swiftSettings: fastInDebugToo),

        .target(name: "NearestNeighbour", dependencies: ["Imaging"], swiftSettings: fast),
        // The method registry: every method's name, model file kind and how it is built.
        .target(name: "Methods", dependencies: ["Imaging", "TensorFile", "NearestNeighbour", "SparseCoding", "ConvNet", "SCN", "ExampleBased"],
                exclude: ["README.md"]),
        // Zeyde, GR, ANR, NE+LLE and A+ on Zeyde et al.'s shared front end (the authors' data).
        .target(name: "ExampleBased", dependencies: ["LinearAlgebra", "Imaging", "TensorFile"],
                exclude: ["README.md"], swiftSettings: fastInDebugToo),

        // Their training from T91: K-SVD dictionaries and A+ regressors, written in the same files.
        .target(name: "ExampleBasedTraining", dependencies: ["ExampleBased", "LinearAlgebra", "Imaging", "TensorFile", "SeededRandom"],
                swiftSettings: fastInDebugToo),

        // `upscale` on people's files: shipped models, batches, progress.
        .target(name: "Upscaling", dependencies: ["Imaging", "AtomicIO", "Methods"]),

        .executableTarget(name: "srlab", dependencies: [
            "LinearAlgebra", "Imaging", "TensorFile", "AtomicIO", "Harness", "Training", "ConvNet", "SparseCoding", "Equivalence", "SCN", "Upscaling", "Methods", "ExampleBased", "ExampleBasedTraining",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: fast),
        // Holds an atomic write open until signalled: the subject of AtomicIOTests' interrupt test.
        .executableTarget(name: "atomic-write-probe", dependencies: ["AtomicIO"], path: "Tests/Probes/atomic-write-probe"),

        .testTarget(name: "LinearAlgebraTests", dependencies: ["LinearAlgebra"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "CSTBImage"]),
        .testTarget(name: "TensorFileTests", dependencies: ["TensorFile"]),
        // Runs the built srlab on hostile inputs (it needs the executable built beside the tests).
        .testTarget(name: "CLITests", dependencies: ["Imaging", "SeededRandom", "TensorFile"]),
        .testTarget(name: "AtomicIOTests", dependencies: ["AtomicIO"]),
        .testTarget(name: "UpscalingTests", dependencies: ["Upscaling", "Imaging", "Methods"]),
        .testTarget(name: "MethodsTests", dependencies: ["Methods", "Imaging", "TensorFile", "SparseCoding", "ConvNet", "SCN", "ExampleBased", "SeededRandom"]),
        .testTarget(name: "NearestNeighbourTests", dependencies: ["NearestNeighbour", "Imaging", "SeededRandom"]),
        .testTarget(name: "HarnessTests", dependencies: ["Harness", "AtomicIO", "Imaging", "ConvNet", "Methods", "TensorFile", "LinearAlgebra"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Imaging", "TensorFile", "SeededRandom"]),
        .testTarget(name: "ConvNetTests", dependencies: ["SeededRandom", "Training", "ConvNet", "ConvKernels", "Imaging", "TensorFile", "LinearAlgebra"]),
        .testTarget(name: "ExampleBasedTests", dependencies: ["ExampleBased", "Harness", "LinearAlgebra", "Imaging", "TensorFile", "SeededRandom"]),
        .testTarget(name: "ExampleBasedTrainingTests", dependencies: ["ExampleBasedTraining", "ExampleBased", "Harness", "LinearAlgebra", "Imaging", "TensorFile", "SeededRandom"]),
        .testTarget(name: "SparseCodingTests", dependencies: ["SeededRandom", "SparseCoding", "LinearAlgebra", "Imaging", "TensorFile"]),
        // Fixtures shared by test targets (test-only, hence the underscore).
        .target(name: "_TestSupport", dependencies: ["SeededRandom", "SparseCoding", "LinearAlgebra", "Imaging"],
                path: "Tests/_TestSupport"),
        .testTarget(name: "EquivalenceTests", dependencies: ["_TestSupport", "SeededRandom", "Equivalence", "ExampleBased", "Harness", "SCN", "SparseCoding", "ConvNet", "Imaging", "LinearAlgebra", "TensorFile"]),
        .testTarget(name: "SCNTests", dependencies: ["_TestSupport", "SeededRandom", "SCN", "Equivalence", "SparseCoding", "Training", "ConvNet", "Imaging", "LinearAlgebra", "TensorFile"]),
    ]
)

/// Hot loops are written with bounds-checked arrays; release builds drop the checks where the
/// loop bounds are proven, and `-Ounchecked` is not used so that shape bugs still trap.
var fast: [SwiftSetting] { [.unsafeFlags(["-enforce-exclusivity=unchecked"])] }

/// Modules whose tests and notebook checks run on whole images are optimised in debug builds too.
var fastInDebugToo: [SwiftSetting] { fast + [.unsafeFlags(["-O"], .when(configuration: .debug))] }
