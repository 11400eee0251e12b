import Foundation
import Testing
import Imaging
import TensorFile
@testable import Training
@testable import ConvNet

/// Knowledge distillation (the Keras project's distilled ResNet SR): a teacher's outputs on the
/// training inputs, mixed into the labels the student trains on.
@Suite struct DistillationTests {
    static let teacherSpec = NetworkSpec.fsrcnn(d: 8, s: 4, m: 1, scale: 3)

    static func writeTeacher(_ spec: NetworkSpec = teacherSpec) throws -> String {
        let path = SequentialTrainableTests.temporaryFile()
        try SequentialModel(spec: spec, parameters: spec.initialParameters(seed: 5)).write(to: path)
        return path
    }

    /// Batched over two halves, the teacher's outputs are its outputs one sub-image at a time.
    @Test func theTeachersOutputsAreItsForwardPass() throws {
        let path = try Self.writeTeacher()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let set = LRSpaceTrainingTests.lowResolutionSet()
        let student = try LRSpaceTrainingTests.network(.distilledResNetSR(scale: 3))
        let outputs = try student.teacherOutputs(model: path, for: set)
        #expect(outputs.count == set.originals.count)
        let net = try SequentialNetwork<Float>(spec: Self.teacherSpec, batchCapacity: 1, inputHeight: 7, inputWidth: 7)
        let parameters = Self.teacherSpec.initialParameters(seed: 5)
        for k in [0, set.count / 2, set.count - 1] {
            let one = set.inputs.withUnsafeBufferPointer { net.forward(parameters: parameters, inputs: $0.baseAddress! + k * 49, batch: 1) }
            let batched = outputs[(k * 441)..<((k + 1) * 441)]
            #expect(zip(one, batched).allSatisfy { abs($0 - $1) <= 1e-5 }, "sub-image \(k)")
        }
    }

    /// The trainer's labels are (1 − w)·ground truth + w·teacher, for the weight the options give.
    @Test func theLabelsMixGroundTruthAndTeacher() throws {
        let path = try Self.writeTeacher()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let folder = try TrainerTests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let set = LRSpaceTrainingTests.lowResolutionSet()
        let student = try LRSpaceTrainingTests.network(.distilledResNetSR(scale: 3))
        let teacher = try student.teacherOutputs(model: path, for: set)
        var options = LRSpaceTrainingTests.options(folder, epochs: 1)
        options.teacherModel = path
        options.teacherWeight = 0.25
        let trainer = try NetworkTrainer(network: student, options: options, trainingSet: set, validation: [])
        let labels = trainer.trainingSet.originals
        #expect(labels.indices.allSatisfy { abs(labels[$0] - (0.75 * set.originals[$0] + 0.25 * teacher[$0])) <= 1e-6 })
        #expect(labels != set.originals)
        #expect(options.provenance(trainingSet: set, epochs: 1, learningRateGroups: ("a", "b"))["distillation"]?.contains("0.25") == true)
    }

    /// A teacher at another scale, a weight outside [0, 1], or a network without teacher support
    /// is refused with what is wrong.
    @Test func badTeachersAreRefused() throws {
        let path = try Self.writeTeacher(.fsrcnn(d: 8, s: 4, m: 1, scale: 2))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let folder = try TrainerTests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var options = LRSpaceTrainingTests.options(folder, epochs: 1)
        options.teacherModel = path
        let student = try LRSpaceTrainingTests.network(.distilledResNetSR(scale: 3))
        #expect { try NetworkTrainer(network: student, options: options, trainingSet: LRSpaceTrainingTests.lowResolutionSet(), validation: []) }
            throws: { "\($0)".contains(path) && "\($0)".contains("x3") }
        options.teacherWeight = 1.5
        #expect(throws: TrainingError.self) { try options.validate() }
    }
}
