/// An error mlv reports to a user: a message that says what went wrong and what to do next.
public protocol UserFacingError: Error, CustomStringConvertible {}

/// A file operation the system refused, with errno's own reason (no permission, read-only
/// filesystem, no space): the project-wide I/O error, used by every layer.
public struct FileError: UserFacingError, Equatable {
    public let path: String
    public let operation: String
    public let errno: Int32

    public init(path: String, operation: String, errno: Int32) {
        self.path = path
        self.operation = operation
        self.errno = errno
    }

    public var description: String { "\(operation) \(path) failed: \(String(cString: strerror(errno)))." }
}

/// Problems with the repository itself or with paths a user named.
public enum WorkspaceError: UserFacingError, Equatable {
    case notInGitWorkTree(String)
    case notInitialized(String)
    case outsideRepository(String)
    case insideGitOrMLV(String)
    case trackedByGit(String)
    case insideTrackedDirectory(path: String, pointer: String)
    case containsPointers(path: String, pointers: [String])
    case symlinkRefused(String)
    case symlinkedParentEscapes(path: String, resolved: String)
    case unsupportedFileType(String)
    case unsafePathName(String)
    case noSuchPath(String)
    case notTracked(String)
    case privateFolderNotDirectory(String)
    case symlinkInPath(path: String, target: String)

    public var description: String {
        switch self {
        case .notInGitWorkTree(let dir):
            return "\(dir) is not inside a Git work tree; run `git init` first, then `mlv init`."
        case .notInitialized(let root):
            return "mlv is not initialized in \(root); run `mlv init`."
        case .outsideRepository(let path):
            return "\(path) is outside the repository; mlv tracks only paths inside the work tree."
        case .insideGitOrMLV(let path):
            return "\(path) is inside .git or .mlv, which mlv never tracks."
        case .trackedByGit(let path):
            return "\(path) is already tracked by Git; run `git rm -r --cached \(path)` first, then `mlv add \(path)`."
        case .insideTrackedDirectory(let path, let pointer):
            return "\(path) is inside a directory mlv already tracks (\(pointer)); add or change the whole directory instead."
        case .containsPointers(let path, let pointers):
            return "\(path) contains paths mlv already tracks (\(pointers.joined(separator: ", "))); remove those pointers first or add them separately."
        case .symlinkRefused(let path):
            return "\(path) is a symbolic link; mlv stores file contents, not links. Add the link's target instead, or replace the link with a copy."
        case .symlinkedParentEscapes(let path, let resolved):
            return "\(path) goes through a symbolic link that leads out of the repository (to \(resolved)); refusing to read or write there."
        case .unsupportedFileType(let path):
            return "\(path) is not a regular file or directory (a socket, FIFO or device); mlv cannot track it."
        case .unsafePathName(let path):
            return "\(path) has a name mlv cannot store safely (a newline, tab, NUL or non-UTF-8 byte); rename it."
        case .noSuchPath(let path):
            return "\(path) does not exist."
        case .notTracked(let path):
            return "\(path) is not tracked by mlv (no \(path).mlv pointer); see `mlv status` for what is."
        case .symlinkInPath(let path, let target):
            return "\(path) is a symbolic link (to \(target)); mlv never writes or deletes tracked data through a link. Replace the link with a real folder, then run the command again."
        case .privateFolderNotDirectory(let folder):
            return "\(folder) is a symbolic link or a file, not a folder; mlv keeps its lock, cache and state only in a real \(folder) folder. Remove it (`git rm --cached \(folder)` if it is committed), then run `mlv init`."
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
