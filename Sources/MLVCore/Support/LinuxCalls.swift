/// Linux calls that Glibc's Swift overlay does not expose (they need _GNU_SOURCE in C).
enum LinuxCalls {
    /// `syncfs(2)`: flushes every dirty page of the filesystem holding `fd`.
    @_silgen_name("syncfs")
    static func syncfs(_ fd: Int32) -> Int32
}
