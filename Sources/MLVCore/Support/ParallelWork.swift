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
    private static func distribute<T>(_ count: Int, workers: Int, progress: ((Int64) -> Void)?,
                                      _ body: (Int, Int) throws -> T) throws -> [T] {
        guard count > 0 else { return [] }
        let results = UnsafeMutableBufferPointer<T?>.allocate(capacity: count)
        results.initialize(repeating: nil)
        defer { results.deinitialize(); results.deallocate() }
        let lock = NSLock()
        var next = 0
        var done: Int64 = 0
        var failure: Error?
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                while true {
                    let index: Int? = lock.withLock {
                        guard failure == nil, next < count else { return nil }
                        next += 1
                        return next - 1
                    }
                    guard let index else { return }
                    do {
                        results[index] = try body(index, worker)
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
        if let failure { throw failure }
        return results.map { $0! }
    }
}
