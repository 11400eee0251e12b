import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Temporary files that must not outlive an interrupted process: when SIGINT, SIGTERM or SIGHUP
/// arrives, every file created through `create` and not yet `forget`-ten is removed, then the
/// process dies of that signal (a shell sees status 128 + signal, and a script loop around srlab
/// stops as it would without the handler).
///
/// The signal handler itself only writes the signal number to a pipe, which is async-signal-safe;
/// a watcher thread reads it and does the removal outside signal context, under the same lock
/// that `create` holds while it registers and creates a file, so no file is created after the
/// sweep. Handlers are installed on the first `create`; a signal the process ignores (SIGHUP
/// under `nohup`) stays ignored.
public enum TemporaryFiles {
    static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    private static let registry = Registry()

    private final class Registry: @unchecked Sendable {
        let lock = NSLock()
        var paths: Set<String> = []
        var installed = false
    }

    /// Registers `path`, then creates it exclusively (never through an existing file or symlink)
    /// for writing. Returns the descriptor, or -1 with `errno` set. A file already at `path` that
    /// this process did not register is a leftover of an earlier process with the same PID (the
    /// name carries it), so it is replaced.
    public static func create(_ path: String) -> Int32 {
        let r = registry
        r.lock.lock(); defer { r.lock.unlock() }
        installHandlersOnce()
        guard !r.paths.contains(path) else {
            errno = EBUSY // this process is already writing it
            return -1
        }
        let flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW
        var fd = open(path, flags, 0o666)
        if fd < 0 && errno == EEXIST && unlink(path) == 0 { fd = open(path, flags, 0o666) }
        if fd >= 0 { r.paths.insert(path) }
        return fd
    }

    /// Installs the handlers now rather than at the first `create`, so that a signal during the
    /// work before it also gets them (they end the process the same way, having nothing to remove).
    public static func handleInterrupts() {
        let r = registry
        r.lock.lock(); defer { r.lock.unlock() }
        installHandlersOnce()
    }

    /// Call with the lock held.
    private static func installHandlersOnce() {
        guard !registry.installed else { return }
        installHandlers()
        registry.installed = true
    }

    /// Stops tracking `path` (renamed into place or removed by the caller).
    public static func forget(_ path: String) {
        let r = registry
        r.lock.lock(); defer { r.lock.unlock() }
        r.paths.remove(path)
    }

    /// The files currently tracked.
    public static var live: Set<String> {
        let r = registry
        r.lock.lock(); defer { r.lock.unlock() }
        return r.paths
    }

    /// Removes every tracked file and keeps the lock, so nothing new is created before the exit.
    private static func sweepForExit() {
        registry.lock.lock()
        for path in registry.paths { unlink(path) }
    }

    private static func installHandlers() {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { return }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        signalPipeWriteEnd = ends[1]
        let readEnd = ends[0]
        let handled = signals.filter { s in
            var current = sigaction()
            return sigaction(s, nil, &current) == 0 && !isIgnored(current)
        }
        let watcher = Thread {
            // A parent may have started this process with these signals blocked (a thread of a
            // dispatch-based program does): the watcher takes them, so they are always handled.
            var set = sigset_t()
            sigemptyset(&set)
            for s in handled { sigaddset(&set, s) }
            pthread_sigmask(SIG_UNBLOCK, &set, nil)
            var signo: UInt8 = 0
            while true {
                let n = read(readEnd, &signo, 1)
                if n == 1 { break }
                if n < 0 && errno == EINTR { continue }
                return // the pipe is gone: nothing more can arrive
            }
            sweepForExit()
            let s = Int32(signo)
            signal(s, SIG_DFL)
            raise(s)
            _exit(128 + s) // only if the signal did not end the process
        }
        watcher.name = "srlab temporary-file cleanup"
        watcher.start()
        for s in handled {
            var action = sigaction()
            setHandler(&action, forwardSignalToPipe)
            sigemptyset(&action.sa_mask)
            // Restart interrupted system calls so a write in progress does not fail with EINTR
            // before the watcher ends the process.
            action.sa_flags = SA_RESTART
            sigaction(s, &action, nil)
        }
    }

    private static func isIgnored(_ action: sigaction) -> Bool {
        #if os(Linux)
        return unsafeBitCast(action.__sigaction_handler.sa_handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self)
        #else
        return unsafeBitCast(action.__sigaction_u.__sa_handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self)
        #endif
    }

    private static func setHandler(_ action: inout sigaction, _ handler: @convention(c) (Int32) -> Void) {
        #if os(Linux)
        action.__sigaction_handler.sa_handler = handler
        #else
        action.__sigaction_u.__sa_handler = handler
        #endif
    }
}

/// Written once, before any handler is installed, and only read by the handler.
nonisolated(unsafe) private var signalPipeWriteEnd: Int32 = -1

/// The signal handler: async-signal-safe calls only (write, errno).
private func forwardSignalToPipe(_ signo: Int32) {
    let savedErrno = errno
    var byte = UInt8(truncatingIfNeeded: signo)
    _ = write(signalPipeWriteEnd, &byte, 1)
    errno = savedErrno
}
