// Quick SRCNN speed check for development; `srlab bench` calls the same SRCNNBenchmark functions.
import SeededRandom
import ConvNet
import Training
import Foundation
import Imaging
import LinearAlgebra

BLASRuntime.ensureFastKernel()
let args = CommandLine.arguments.dropFirst()
let what = args.first ?? "all"
let archs = args.count > 1 && SRCNNArchitecture(args[args.startIndex + 1]) != nil ? [SRCNNArchitecture(args[args.startIndex + 1])!] : [SRCNNArchitecture.srcnn915, .srcnn955]
// SRLAB_THREADS: the layers' and OpenBLAS's thread counts for every mode (cpu and layer fix one).
let threads = ProcessInfo.processInfo.environment["SRLAB_THREADS"].flatMap(Int.init).map { max(1, $0) }
if let threads { ConvNetThreads.count = threads }
try BLASThreads.with(threads ?? BLASThreads.count) {
    print("BLAS \(BLASRuntime.kernel), \(BLASRuntime.threads) BLAS threads, \(ConvNetThreads.count) SRCNN threads")
    if what == "cpu" {
        // Single-thread CPU time per 256² image, robust to other processes on the machine.
        ConvNetThreads.count = 1
        BLASThreads.with(1) {
            var model = SRCNN(architecture: archs[0], seed: 1, standardDeviation: 0.05)
            model.tileSize = 1024
            let input = Imaging.Plane(width: 256, height: 256, repeating: 0.5)
            _ = model.apply(to: input)
            var times: [Double] = []
            for _ in 0..<20 {
                var t0 = timespec(), t1 = timespec()
                clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0)
                _ = model.apply(to: input)
                clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1)
                times.append(Double(t1.tv_sec - t0.tv_sec) * 1e3 + Double(t1.tv_nsec - t0.tv_nsec) / 1e6)
            }
            times.sort()
            print(String(format: "inference %@ 256², 1 thread, CPU time: median %.2f ms, min %.2f ms", archs[0].description, times[10], times[0]))
        }
    }
    if what == "eval" {
        // srcnn-bench eval MODEL DATASET_FOLDER [SCALE]: per-image PSNR/SSIM under the SR protocol.
        let a = Array(args)
        let model = try SRCNN(contentsOf: a[1])
        let folder = a[2], scale = a.count > 3 ? Int(a[3])! : 3
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".bmp") }.sorted()
        var psnr = 0.0, ssim = 0.0
        for name in files {
            let path = (folder as NSString).appendingPathComponent(name)
            let image = try PreparedImage(image: try ImageIO.read(path), name: name, scale: scale, path: path)
            let start = DispatchTime.now().uptimeNanoseconds
            let out = model.upscale(lowRes: image.lowRes, scale: scale)
            let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            let (score, _) = SRProtocol.score(out, against: image)
            print(String(format: "%-20@ %8.4f dB  SSIM %.4f  %7.1f ms", name, score.psnr, score.ssim, ms))
            psnr += score.psnr; ssim += score.ssim
        }
        print(String(format: "%-20@ %8.4f dB  SSIM %.4f", "mean", psnr / Double(files.count), ssim / Double(files.count)))
    }
    if what == "memory" {
        // srcnn-bench memory ARCH SIDE: upscale a SIDE/3 × SIDE/3 plane ×3, report peak resident memory.
        let a = Array(args)
        let side = a.count > 2 ? Int(a[2])! : 2048
        let model = SRCNN(architecture: archs[0], seed: 1, standardDeviation: 0.05)
        var rng = Xoshiro256(seed: 5)
        let low = Imaging.Plane(width: side / 3 + 1, height: side / 3 + 1, values: (0..<((side / 3 + 1) * (side / 3 + 1))).map { _ in rng.nextUniform() })
        let start = DispatchTime.now().uptimeNanoseconds
        let out = model.upscale(lowRes: low, scale: 3)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        var usage = rusage()
        getrusage(0, &usage)  // RUSAGE_SELF
        print(String(format: "%@ upscale to %dx%d: %.2f s, peak resident %.0f MiB", archs[0].description, out.width, out.height, seconds, Double(usage.ru_maxrss) / 1024))
    }
    if what == "trainloss" {
        // srcnn-bench trainloss MODEL T91_FOLDER: the model's MSE on the training sub-images
        // (valid convolutions, centre label), to compare trained models with the authors' filters.
        let a = Array(args)
        let model = try SRCNN(contentsOf: a[1])
        let set = try SubImageSet(imageFiles: try SubImageSet.imageFiles(in: a[2]), scale: 3)
        let batch = 128
        let net = SRCNNBackprop<Float>(architecture: model.architecture, batchCapacity: batch)
        let l = net.labelSize
        var x = [Float](repeating: 0, count: batch * 33 * 33), y = [Float](repeating: 0, count: batch * l * l)
        var total = 0.0, count = 0, bicubic = 0.0
        var start = 0
        while start + batch <= set.count {
            x.withUnsafeMutableBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
                for i in 0..<batch { set.copy(start + i, labelSize: l, input: xp.baseAddress! + i * 33 * 33, label: yp.baseAddress! + i * l * l) }
            } }
            let out = x.withUnsafeBufferPointer { net.forward(parameters: model.parameters, inputs: $0.baseAddress!, batch: batch) }
            for i in 0..<batch {
                for r in 0..<l { for c in 0..<l {
                    let t = Double(y[(i * l + r) * l + c])
                    let d = Double(out[(i * l + r) * l + c]) - t
                    let off = (33 - l) / 2
                    let b = Double(x[i * 33 * 33 + (r + off) * 33 + c + off]) - t
                    total += d * d; bicubic += b * b; count += 1
                } }
            }
            start += batch
        }
        print(String(format: "training-set MSE %.4e (bicubic %.4e) over %d sub-images", total / Double(count), bicubic / Double(count), start))
    }
    if what == "dead" {
        // srcnn-bench dead MODEL T91: how many layer-1 and layer-2 maps never fire on 1,024 sub-images.
        let a = Array(args)
        let model = try SRCNN(contentsOf: a[1])
        let set = try SubImageSet(imageFiles: try SubImageSet.imageFiles(in: a[2]), scale: 3)
        let n = 1024, arch = model.architecture
        var x = [Float](repeating: 0, count: n * 33 * 33), lab = [Float](repeating: 0, count: n)
        x.withUnsafeMutableBufferPointer { xp in lab.withUnsafeMutableBufferPointer { yp in
            for i in 0..<n { set.copy(i * (set.count / n), labelSize: 1, input: xp.baseAddress! + i * 33 * 33, label: yp.baseAddress! + i) }
        } }
        let s1 = 33 - arch.f1 + 1, s2 = s1 - arch.f2 + 1
        var a1 = [Float](repeating: 0, count: n * s1 * s1 * arch.n1), a2 = [Float](repeating: 0, count: n * s2 * s2 * arch.n2)
        let ws = Workspace<Float>()
        conv2dForward(output: &a1, input: x, weight: model.parameters[0], bias: model.parameters[1], batch: n, inChannels: 1, outChannels: arch.n1, height: 33, width: 33, kernel: arch.f1, relu: true, workspace: ws)
        conv2dForward(output: &a2, input: a1, weight: model.parameters[2], bias: model.parameters[3], batch: n, inChannels: arch.n1, outChannels: arch.n2, height: s1, width: s1, kernel: arch.f2, relu: true, workspace: ws)
        var live1 = [Bool](repeating: false, count: arch.n1), live2 = [Bool](repeating: false, count: arch.n2)
        for i in 0..<(a1.count) where a1[i] > 0 { live1[i % arch.n1] = true }
        for i in 0..<(a2.count) where a2[i] > 0 { live2[i % arch.n2] = true }
        print("dead maps: layer 1 \(live1.filter { !$0 }.count)/\(arch.n1), layer 2 \(live2.filter { !$0 }.count)/\(arch.n2)")
    }
    if what == "traincpu" {
        // CPU time per training step (batch 128, one shard after the other; THREADS=2 runs the two
        // shards at once, whose samples per CPU-second show what memory contention costs).
        let threads = ProcessInfo.processInfo.environment["THREADS"].flatMap(Int.init) ?? 1
        var t0 = timespec(), t1 = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0)
        let batch = ProcessInfo.processInfo.environment["BATCH"].flatMap(Int.init) ?? 128
        let shards = ProcessInfo.processInfo.environment["SHARDS"].flatMap(Int.init) ?? 2
        let wall = SRCNNBenchmark.trainingSamplesPerSecond(architecture: archs[0], batch: batch, steps: 10, threads: threads, shards: shards)
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1)
        let cpu = Double(t1.tv_sec - t0.tv_sec) + Double(t1.tv_nsec - t0.tv_nsec) / 1e9
        print(String(format: "training %@ batch %d, %d thread%@: %.0f samples/s wall; %.0f samples/s by CPU time (13 steps)",
                     archs[0].description, batch, threads, threads == 1 ? "" : "s", wall, Double(13 * batch) / cpu))
    }
    if what == "layer" {
        // srcnn-bench layer [9-5-5]: the middle layer's forward and backward on one training shard.
        ConvNetThreads.count = 1
        BLASThreads.with(1) {
            let algorithms: [(String, ConvAlgorithm)] = archs[0].f2 == 5 ? [("im2col", .im2col), ("winograd", .winograd)] : [("automatic", .automatic)]
            let times = SRCNNBenchmark.middleLayerCPUMilliseconds(architecture: archs[0], algorithms: algorithms.map(\.1))
            for ((name, _), (forward, backward)) in zip(algorithms, times) {
                print(String(format: "layer 2 of %@, 64 crops, 1 thread, CPU time: %@ forward %.2f ms, backward %.2f ms (%.0f µs per crop)",
                             archs[0].description, name, forward, backward, (forward + backward) * 1e3 / 64))
            }
        }
    }
    if what == "all" || what == "infer" {
        for arch in archs {
            for size in [256, 512] {
                let ms = SRCNNBenchmark.inferenceMilliseconds(architecture: arch, size: size)
                print(String(format: "inference %@ %d²: %.2f ms", arch.description, size, ms))
            }
        }
    }
    if what == "all" || what == "train" {
        for arch in archs {
            for (name, opt) in [("sgd", SGDMomentum() as any Optimizer), ("adam", Adam())] {
                let rate = SRCNNBenchmark.trainingSamplesPerSecond(architecture: arch, batch: 128, steps: 10, optimizer: opt)
                print(String(format: "training %@ batch 128 %@: %.0f samples/s", arch.description, name, rate))
            }
        }
    }
}
