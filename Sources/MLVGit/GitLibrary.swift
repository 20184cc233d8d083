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
