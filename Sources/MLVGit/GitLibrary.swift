import CGit2

/// Process-wide libgit2 initialisation, done once before the first handle is opened.
enum GitLibrary {
    /// `git_libgit2_init`, run exactly once thanks to Swift's lazy static initialisation.
    static let initialized: Bool = {
        git_libgit2_init()
        return true
    }()

    static func ensure() { _ = initialized }
}

/// Process-wide libgit2 settings.
public enum GitSettings {
    /// Whether libgit2 hashes every object it reads again (on by default). A process that only
    /// displays history (`mlv ui`) turns it off, as git itself reads objects without rehashing;
    /// objects from a remote are still verified by the indexer when they are fetched.
    public static func verifyObjectHashes(_ enabled: Bool) {
        GitLibrary.ensure()
        _ = mlv_git_verify_object_hashes(enabled ? 1 : 0)
    }
}
