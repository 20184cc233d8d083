import ArgumentParser
import Foundation
import MLVCore
import MLVServer

struct UICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ui",
        abstract: "A local web app over the repository: runs and experiments, compare, history, lineage, data.",
        discussion: """
        Serves on 127.0.0.1 (nothing from the network, no account, no database) and reads the \
        repository on every request, so new commits, notes and experiments show on reload. \
        Requests for another Host are refused; only GET, unless --allow-queue enables the form \
        that queues an experiment (checked by a per-process token and the Origin). Ctrl-C stops it. \
        --export DIR writes the pages as static files instead.
        """)

    @Option(help: "The port.") var port = 8765
    @Option(help: "The address to bind (default 127.0.0.1).") var host = "127.0.0.1"
    @Flag(help: "Open the page in a browser (xdg-open).") var open = false
    @Flag(help: "Let the runs page queue experiments with param overrides.") var allowQueue = false
    @Option(help: "Write the pages as static files into this folder and exit.") var export: String?
    @Option(help: "The branch whose commits the runs table shows (default: the current one).") var branch: String?

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be between 1 and 65535") }
    }

    func run() throws {
        try runReportingErrors {
            let project = try Project.open(from: currentDirectory)
            if let export {
                let directory = export.hasPrefix("/") ? export : currentDirectory + "/" + export
                let files = try exportUI(to: directory, project: project, branch: branch)
                print("Wrote \(files.count) file(s) to \(export); open \(export)/index.html.")
                return
            }
            var options = UIOptions()
            options.host = host
            options.port = port
            options.allowQueue = allowQueue
            let server = UIServer(root: project.root, options: options)
            let done = DispatchSemaphore(value: 0)
            let failure = LockedError()
            let shouldOpen = open
            Task {
                do {
                    try await server.run { url in
                        print("mlv ui: serving \(project.root) at \(url) (Ctrl-C stops it)")
                        fflush(stdout)
                        if shouldOpen { _ = try? Process.run(URL(fileURLWithPath: "/usr/bin/env"), arguments: ["xdg-open", url]) }
                    }
                } catch {
                    failure.set(error)
                }
                done.signal()
            }
            done.wait()
            if let error = failure.get() { throw error }
        }
    }
}

/// An error handed from the server's task to the waiting thread.
final class LockedError: @unchecked Sendable {
    private var error: Error?
    private let lock = NSLock()
    func set(_ value: Error) { lock.lock(); error = value; lock.unlock() }
    func get() -> Error? { lock.lock(); defer { lock.unlock() }; return error }
}
