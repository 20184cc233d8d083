#if canImport(Glibc)
import Glibc
#endif

/// Linux calls that Glibc's Swift overlay does not expose (they need _GNU_SOURCE in C).
enum LinuxCalls {
    /// `syncfs(2)`: flushes every dirty page of the filesystem holding `fd`.
    @_silgen_name("syncfs")
    static func syncfs(_ fd: Int32) -> Int32

    /// `copy_file_range(2)`: copies between files inside the kernel.
    @_silgen_name("copy_file_range")
    static func copyFileRange(_ input: Int32, _ inputOffset: UnsafeMutablePointer<Int64>?, _ output: Int32,
                              _ outputOffset: UnsafeMutablePointer<Int64>?, _ length: Int, _ flags: UInt32) -> Int

    /// `sync_file_range(2)`: with `startWriteback`, starts writing a range's dirty pages to
    /// disk without waiting, so a later `fsync` has less left to wait for.
    @_silgen_name("sync_file_range")
    static func syncFileRange(_ fd: Int32, _ offset: Int64, _ length: Int64, _ flags: UInt32) -> Int32

    /// `SYNC_FILE_RANGE_WRITE` from <fcntl.h>.
    static let startWriteback: UInt32 = 2

    /// `renameat2(2)` (glibc 2.28).
    @_silgen_name("renameat2")
    static func renameat2(_ oldDirectory: Int32, _ oldPath: UnsafePointer<CChar>, _ newDirectory: Int32,
                          _ newPath: UnsafePointer<CChar>, _ flags: UInt32) -> Int32

    /// `RENAME_EXCHANGE` from <linux/fs.h>: both paths must exist; they trade places atomically.
    static let renameExchange: UInt32 = 2

    /// Swaps the files at two paths (relative to the working directory); -1 with `errno` when
    /// either is missing (ENOENT) or the filesystem cannot (EINVAL).
    static func exchange(_ first: String, _ second: String) -> Int32 {
        renameat2(AT_FDCWD, first, AT_FDCWD, second, renameExchange)
    }

    /// `prctl(2)`, declared with its five arguments (the C prototype is variadic).
    @_silgen_name("prctl")
    static func prctl(_ option: Int32, _ a: UInt, _ b: UInt, _ c: UInt, _ d: UInt) -> Int32

    /// `PR_SET_PDEATHSIG` from <linux/prctl.h>.
    static let setParentDeathSignal: Int32 = 1

    /// `posix_spawn_file_actions_addchdir_np(3)` (glibc 2.29): the child starts in `path`.
    @_silgen_name("posix_spawn_file_actions_addchdir_np")
    static func spawnAddChdir(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ path: UnsafePointer<CChar>) -> Int32
}
