import Foundation

/// Runs per-item work on every core.
enum ParallelWork {
    /// One worker per core; `MLV_JOBS` in the project's `Environment` overrides (set when a
    /// project is opened, before any work starts).
    nonisolated(unsafe) private(set) static var workerCount = max(1, ProcessInfo.processInfo.activeProcessorCount)

    static func configure(_ environment: Environment) {
        if let jobs = environment["MLV_JOBS"].flatMap(Int.init), jobs > 0 { workerCount = jobs }
    }

    /// Calls `body` for each index in `0..<count` across workers and returns the results in
    /// order. The first error stops handing out new items and is rethrown.
    static func map<T>(_ count: Int, workers requested: Int? = nil, progress: ((Int64) -> Void)? = nil,
                       _ body: (Int) throws -> T) throws -> [T] {
        try distribute(count, workers: min(requested ?? workerCount, count), progress: progress) { index, _ in try body(index) }
    }

    /// `map` for work that reads files whole: each worker gets its own `FileHasher` and its
    /// 4 MiB block buffer, which the other work does not need to pay for.
    static func mapHashing<T>(_ count: Int, workers requested: Int? = nil, progress: ((Int64) -> Void)? = nil,
                              _ body: (Int, FileHasher) throws -> T) throws -> [T] {
        let workers = min(requested ?? workerCount, count)
        let hashers = (0..<max(workers, 0)).map { _ in FileHasher() }
        defer { for hasher in hashers { hasher.release() } }
        return try distribute(count, workers: workers, progress: progress) { index, worker in try body(index, hashers[worker]) }
    }

    /// Hands out indexes to `workers` threads; `body` gets the index and its worker's number.
    /// Results are written straight into the returned array (a buffer of optionals beside it
    /// held twice the results at the end: 100 MB for a million-file add).
    private static func distribute<T>(_ count: Int, workers: Int, progress: ((Int64) -> Void)?,
                                      _ body: (Int, Int) throws -> T) throws -> [T] {
        guard count > 0 else { return [] }
        // Which slots hold a result: after a failure exactly those are deinitialized.
        let filled = UnsafeMutableBufferPointer<Bool>.allocate(capacity: count)
        filled.initialize(repeating: false)
        defer { filled.deallocate() }
        let lock = NSLock()
        var next = 0
        var done: Int64 = 0
        var failure: Error?
        return try [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            let slots = buffer.baseAddress!
            withoutActuallyEscaping(body) { body in
                DispatchQueue.concurrentPerform(iterations: max(workers, 1)) { worker in
                    while true {
                        let index: Int? = lock.withLock {
                            guard failure == nil, next < count else { return nil }
                            next += 1
                            return next - 1
                        }
                        guard let index else { return }
                        do {
                            (slots + index).initialize(to: try body(index, worker))
                            filled[index] = true
                            if let progress {
                                let finished = lock.withLock { done += 1; return done }
                                if finished % 64 == 0 || finished == Int64(count) { progress(finished) }
                            }
                        } catch {
                            lock.withLock { if failure == nil { failure = error } }
                            return
                        }
                    }
                }
            }
            if let failure {
                for index in 0..<count where filled[index] { (slots + index).deinitialize(count: 1) }
                initialized = 0
                throw failure
            }
            initialized = count
        }
    }
}
