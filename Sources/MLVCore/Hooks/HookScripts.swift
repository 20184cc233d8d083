/// The hook scripts `mlv hooks install` writes. The same texts are in the repository's
/// `hooks/` folder (a test keeps them equal); each only hands over to `mlv hook NAME`.
public enum HookScripts {
    public static let marker = "# mlv-hook 1"
    public static let standard = ["pre-push", "post-checkout", "post-merge"]
    public static let evaluating = ["post-commit"]
    public static let all = standard + evaluating

    /// A pre-push hook must stop the push when mlv is missing (data would not be uploaded);
    /// the others only warn.
    public static func script(for name: String) -> String {
        let missing: String
        switch name {
        case "pre-push":
            missing = "  echo \"mlv: the \(name) hook needs mlv on PATH to upload data and check gates; install mlv or push with --no-verify\" >&2\n  exit 1\n"
        case "post-commit":
            missing = "  echo \"mlv: the \(name) hook needs mlv on PATH; the commit was not evaluated\" >&2\n  exit 0\n"
        default:
            missing = "  echo \"mlv: the \(name) hook needs mlv on PATH; data was not updated (run \\`mlv checkout\\` later)\" >&2\n  exit 0\n"
        }
        return """
        #!/bin/sh
        \(marker)
        # Installed by `mlv hooks install`; the logic lives in `mlv hook \(name)`.
        if ! command -v mlv >/dev/null 2>&1; then
        \(missing)fi
        exec mlv hook \(name) "$@"

        """
    }
}
