import Foundation

/// Runs the peers' timing scripts (`../shared/peers/`: PyTorch, scikit-learn) with a Python the
/// user names, in the same invocation as SRLab's own measurements, and reads their figures.
public enum PeerBenchmarks {
    public struct Figure: Codable, Sendable {
        public var name: String
        public var value: Double
        public var unit: String
    }

    /// Runs `script args…` with `python` in `peersFolder`, `environment` added to this process's;
    /// returns its stdout or nil on failure.
    public static func run(python: String, peersFolder: String, script: String, arguments: [String],
                           environment: [String: String] = [:]) -> String? {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("srlab-peer-\(getpid())-\(UUID().uuidString)").path
        guard FileManager.default.createFile(atPath: out, contents: nil), let handle = FileHandle(forWritingAtPath: out) else { return nil }
        defer { try? FileManager.default.removeItem(atPath: out) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [python, script] + arguments
        p.currentDirectoryURL = URL(fileURLWithPath: peersFolder)
        var env = ProcessInfo.processInfo.environment
        env["OMP_NUM_THREADS"] = "2"; env["OPENBLAS_NUM_THREADS"] = "2"; env["MKL_NUM_THREADS"] = "2"
        env.merge(environment) { _, given in given }
        p.environment = env
        p.standardOutput = handle
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return nil }
        p.waitUntilExit()
        try? handle.close()
        guard p.terminationStatus == 0 else { return nil }
        return try? String(contentsOfFile: out, encoding: .utf8)
    }

    static func firstNumber(after marker: String, in line: Substring) -> Double? {
        guard let r = line.range(of: marker) else { return nil }
        let rest = line[r.upperBound...].drop { $0 == " " }
        return Double(rest.prefix { "0123456789.".contains($0) })
    }

    /// Best patches/s per algorithm for 1024 atoms from `bench_sparse.py … encode`.
    public static func parseSparse(_ text: String) -> [Figure] {
        var best: [String: Double] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("sparse_encode K=1024") {
            let name = line.dropFirst("sparse_encode K=1024 ".count).prefix { $0 != "n" }.trimmingCharacters(in: .whitespaces)
            guard let rate = line.range(of: " patches/s").flatMap({ r -> Double? in
                let before = line[..<r.lowerBound]
                return Double(before.split(separator: " ").last ?? "")
            }) else { continue }
            best["scikit-learn sparse_encode \(name), 1024 atoms"] = max(best["scikit-learn sparse_encode \(name), 1024 atoms"] ?? 0, rate)
        }
        return best.sorted { $0.key < $1.key }.map { Figure(name: $0.key, value: $0.value, unit: "patches/s") }
    }

    /// Median ms per image from `bench_srcnn_infer.py`.
    public static func parseInference(_ text: String) -> [Figure] {
        text.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("SRCNN "), let ms = firstNumber(after: "median", in: line) else { return nil }
            let key = line.prefix { $0 != ":" }.split(separator: " ").joined(separator: " ")
            return Figure(name: "PyTorch \(key)", value: ms, unit: "ms/image")
        }
    }

    /// Samples/s from `bench_srcnn_train.py`.
    public static func parseTraining(_ text: String) -> [Figure] {
        text.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("SRCNN "), line.contains(" train "), let r = line.range(of: " samples/s") else { return nil }
            guard let rate = Double(line[..<r.lowerBound].split(separator: " ").last ?? "") else { return nil }
            // "SRCNN 9-1-5 train bs= 16 adam         out 21x21: …" → the words before "out".
            let key = line.prefix { $0 != ":" }.split(separator: " ").prefix { $0 != "out" }.joined(separator: " ")
            return Figure(name: "PyTorch \(key)", value: rate, unit: "samples/s")
        }
    }

    /// Frames/s per network, frame size and layout, and training samples/s, from `bench_fast_sr.py`.
    /// `experiments/peers/bench_keras_variants.py`: training samples/s and inference ms per variant.
    public static func parseKerasVariants(_ text: String) -> [Figure] {
        text.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("Keras-variant") else { return nil }
            let key = line.prefix { $0 != ":" }
            for (marker, unit) in [(" samples/s", "samples/s"), (" ms/image", "ms/image")] {
                guard let r = line.range(of: marker), let value = Double(line[..<r.lowerBound].split(separator: " ").last ?? "") else { continue }
                return Figure(name: "PyTorch \(key)", value: value, unit: unit)
            }
            return nil
        }
    }

    public static func parseFastSR(_ text: String) -> [Figure] {
        text.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("FSRCNN") || line.hasPrefix("ESPCN") else { return nil }
            let key = line.prefix { $0 != ":" }.split(separator: " ").joined(separator: " ")
            for unit in ["fps", "samples/s"] {
                guard let r = line.range(of: " \(unit)") else { continue }
                guard let value = Double(line[..<r.lowerBound].split(separator: " ").last ?? "") else { return nil }
                return Figure(name: "PyTorch \(key)", value: value, unit: unit == "fps" ? "frames/s" : unit)
            }
            return nil
        }
    }
}

/// The machine's measured FMA ceiling, from the peers' `fma_peak.c` (independent FMA chains in
/// registers, best of 5), compiled here with the system C compiler: the figure every GFLOP/s of the
/// table is read against. Nil when there is no compiler or the file is absent.
public enum FMAPeak {
    /// Which of fma_peak's lines count: every vector width the CPU has, or only 256-bit (ymm).
    public enum Width: Sendable { case any, ymm }

    /// The best fp32 GFLOP/s over the vector widths the CPU has (up to `widest`), on `threads` threads.
    public static func measure(peersFolder: String, threads: Int = 2, widest: Width = .any) -> Double? {
        let source = peersFolder + "/fma_peak.c"
        guard FileManager.default.fileExists(atPath: source) else { return nil }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("srlab-fma-\(getpid())-\(UUID().uuidString)")
        guard (try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)) != nil else { return nil }
        defer { try? FileManager.default.removeItem(at: folder) }
        let binary = folder.appendingPathComponent("fma_peak").path
        guard run(["cc", "-O3", "-fopenmp", "-o", binary, source]) != nil, let text = run([binary, String(threads)]) else { return nil }
        return parse(text, widest: widest)
    }

    /// The largest "= X GFLOP/s" of fma_peak's lines (with `.ymm`, of its "avx2 (ymm)" lines only).
    public static func parse(_ text: String, widest: Width = .any) -> Double? {
        text.split(separator: "\n")
            .filter { widest == .any || $0.hasPrefix("avx2 (ymm)") }
            .compactMap { PeerBenchmarks.firstNumber(after: "= ", in: $0) }.max()
    }

    private static func run(_ command: [String]) -> String? {
        let p = Process(), pipe = Pipe()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = command
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return p.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : nil
    }
}
