// Starts an atomic write of the file named by its argument, prints the temporary's path when
// some bytes are in it, and waits there for a signal. AtomicIOTests signals it and checks that
// neither the temporary nor the file is left.
import AtomicIO
import Foundation

guard CommandLine.arguments.count == 2 else {
    FileHandle.standardError.write(Data("usage: atomic-write-probe FILE\n".utf8))
    exit(2)
}
let target = CommandLine.arguments[1]
try AtomicFile.write(to: target) { file in
    fputs("partial contents\n", file)
    fflush(file)
    FileHandle.standardOutput.write(Data((AtomicFile.temporaryPath(for: target, pid: getpid()) + "\n").utf8))
    while true { pause() }
}
