import Foundation

/// What the trainer reports while it runs; printing and logging are the caller's business.
public enum TrainingEvent: Sendable, CustomStringConvertible {
    /// Every `progressInterval` batches: running mean training MSE of this epoch so far.
    case progress(epoch: Int, epochs: Int, batch: Int, batches: Int, meanSquaredError: Double,
                  samplesPerSecond: Double, etaSeconds: Double)
    /// After each epoch's validation and checkpoint.
    case epochEnd(EpochRecord)

    /// One progress line, as `srlab train` prints it.
    public var description: String {
        switch self {
        case let .progress(epoch, epochs, batch, batches, mse, rate, eta):
            return String(format: "epoch %d/%d batch %d/%d  mse %.3e  %.0f samples/s  ETA %@",
                          epoch, epochs, batch, batches, mse, rate, Self.duration(eta))
        case let .epochEnd(r):
            let psnr = r.validationPSNR.map { String(format: "  validation %.4f dB%@", $0, r.isBest ? " (best)" : "") } ?? ""
            return String(format: "epoch %d done: train mse %.4e%@  %.1f s, %.0f samples/s",
                          r.epoch, r.trainMSE, psnr, r.seconds, r.samplesPerSecond)
        }
    }

    /// "1h05m" or "4m09s"; "?" before there is a rate.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds)
        return s >= 3600 ? "\(s / 3600)h\(String(format: "%02d", s % 3600 / 60))m" : "\(s / 60)m\(String(format: "%02d", s % 60))s"
    }
}

/// One finished epoch; the checkpoint keeps them all (`history`) and `log.csv` lists them.
public struct EpochRecord: Codable, Sendable, Equatable {
    public var epoch: Int
    public var trainMSE: Double
    /// Mean PSNR (dB) on the validation images under the SR protocol; nil without validation.
    public var validationPSNR: Double?
    public var seconds: Double
    public var samplesPerSecond: Double
    public var isBest: Bool
}

/// Why training could not start or go on. (A model file that is not the network's is the
/// network's own error, e.g. `SRCNNError.invalidModel`.)
public enum TrainingError: Error, CustomStringConvertible {
    case invalidCheckpoint(path: String, reason: String)
    case invalidData(path: String, reason: String)
    case invalidOptions(String)

    public var description: String {
        switch self {
        case .invalidCheckpoint(let path, let reason): return "\(path): cannot resume from this checkpoint: \(reason)"
        case .invalidData(let path, let reason): return "\(path): \(reason)"
        case .invalidOptions(let reason): return "training: \(reason)"
        }
    }
}
