import ArgumentParser
import MLVCore

struct AddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Store files or directories in the cache and write their .mlv pointers.",
        discussion: "Symbolic links are refused: mlv stores contents, and a link could lead outside the repository.")

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Do not stage the pointer and .gitignore in Git.")
    var noStage = false

    @Argument(help: "Files or directories to track.")
    var paths: [String]

    func run() throws {
        let progress = ProgressBar(quiet: global.quiet)
        try runReportingErrors(progress) {
            let project = try openProject(progress)
            let added = try add(paths, cwd: currentDirectory, options: AddOptions(stage: !noStage), project: project)
            progress.finish()
            guard !global.quiet else { return }
            for item in added {
                let what = item.pointer.kind == .directory ? "\(item.pointer.fileCount ?? 0) files, " : ""
                let verb = item.changed ? "added" : "unchanged"
                print("\(verb) \(item.dataPath) (\(what)\(Terminal.size(item.pointer.size))) -> \(item.dataPath).mlv")
                if global.verbose {
                    print("  id \(item.pointer.id.hex)")
                    print("  hashed \(item.hashedFiles) file(s); \(item.newObjects) new object(s), \(Terminal.size(item.newBytes)) stored")
                }
            }
            if !noStage && added.contains(where: \.changed) { print("Staged the pointers and .gitignore; run `git commit` to record them.") }
        }
    }
}
