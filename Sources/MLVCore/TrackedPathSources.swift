/// The one place the layers are wired together: which sources of tracked paths a project
/// reads besides its pointer files.
extension Project {
    /// The pipeline's lock outputs.
    public static let standardSources: [TrackedPathSource] = [LockOutputs()]
}
