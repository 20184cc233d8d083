import Foundation
import MLVCore

/// Writes the web app's pages as static files with relative links (`mlv ui --export DIR`): the
/// runs table, each experiment against its baseline and each commit against its parent, the
/// history of every metric, the lineage of every tracked path, and the data at HEAD.
public func exportUI(to directory: String, project: Project, branch: String?, limit: Int = 100) throws -> [String] {
    let pages = UIPages(project: project, links: .export)
    let links = UILinks.export
    var files: [(String, String)] = []
    files.append(("index.html", try pages.runs(branch: branch, limit: limit)))
    files.append(("app.js", UIScript.source))
    let head = branch ?? project.git.currentBranch() ?? "HEAD"
    let commits = try project.firstParentHistory(from: head, limit: limit)
    var pairs: [[String]] = []
    for (index, commit) in commits.enumerated() where index + 1 < commits.count { pairs.append([commits[index + 1].hex, commit.hex]) }
    for experiment in try ExperimentRefs.list(project: project) where commits.contains(experiment.baseline) {
        pairs.append([experiment.baseline.hex, experiment.commit.hex])
    }
    for pair in pairs { files.append((links.compare(pair), try pages.compare(pair))) }
    var options = ExperimentShowOptions()
    options.revisions = commits.prefix(1).map(\.hex)
    let metrics = commits.isEmpty ? [] : try experimentTable(options, project: project).metricColumns
    for metric in metrics { files.append((links.history(metric), try pages.history(metric: metric, branch: head))) }
    for item in try project.trackedPaths(at: commits.first?.hex) {
        files.append((links.lineage(item.dataPath), try pages.lineage(path: item.dataPath, revision: commits.first?.hex)))
    }
    files.append((links.data(nil), try pages.data(revision: commits.first?.hex, from: nil, page: 1)))
    project.saveHistoryIndex()
    try FileSystem.createDirectory(directory)
    for (name, text) in files {
        try FileSystem.writeAtomically(Array(text.utf8), to: directory + "/" + name)
    }
    return files.map(\.0)
}
