import Foundation
import Hummingbird
import HTTPTypes
import MLVCore
import MLVGit
import NIOCore

/// How `mlv ui` serves.
public struct UIOptions: Sendable {
    public var host = "127.0.0.1"
    public var port = 8765
    /// Take experiment requests from the runs page (POST /queue with the token).
    public var allowQueue = false
    public init() {}
}

/// The web app over one repository: routes, the Host and Origin checks, security headers.
public struct UIServer: Sendable {
    public let root: String
    public let options: UIOptions
    /// A random token the queue form must send back (a page from elsewhere cannot know it).
    public let token: String
    /// Parsed params, metrics and pipelines by blob id, shared by every request: a blob's
    /// bytes never change, so a new commit still shows on reload while old ones cost nothing.
    let parsedBlobs = ParsedBlobCache()

    public init(root: String, options: UIOptions, token: String = UUID().uuidString) {
        self.root = root
        self.options = options
        self.token = token
    }

    /// The Host values a request may carry: the bound address and `localhost`, with the port.
    /// Anything else is refused (a DNS-rebinding page would send its own name).
    public func allowedHosts(port: Int) -> Set<String> {
        // Without a port only as browsers send it for port 80 (and test clients always).
        var hosts: Set<String> = ["localhost:\(port)", "127.0.0.1:\(port)", "localhost", "127.0.0.1"]
        hosts.insert((options.host.contains(":") ? "[\(options.host)]" : options.host).lowercased() + ":\(port)")
        return hosts
    }

    public func router(port: Int) -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: GuardMiddleware(allowedHosts: allowedHosts(port: port), origins: Set(allowedHosts(port: port).map { "http://" + $0 })))
        let root = self.root, token = options.allowQueue ? self.token : nil, parsedBlobs = self.parsedBlobs
        func page(_ render: @escaping @Sendable (UIPages, Request) throws -> String) -> @Sendable (Request, BasicRequestContext) async throws -> Response {
            { request, _ in
                do {
                    let project = try Project.open(from: root, parsedBlobs: parsedBlobs)
                    let page = try render(UIPages(project: project, links: .server, queueToken: token), request)
                    // What the page learned goes to `.mlv/state/history` after the response.
                    if parsedBlobs.hasLearned { Task.detached(priority: .background) { project.saveHistoryIndex() } }
                    return Self.html(page, status: .ok)
                } catch let error as UserFacingError {
                    return Self.html("<!doctype html><meta charset=\"utf-8\"><title>mlv</title><h1>Cannot show this</h1><p>\(PlotsPage.escape(error.description))</p>", status: .badRequest)
                }
            }
        }
        router.get("/", use: page { pages, request in
            try pages.runs(branch: request.uri.queryParameters["branch"].map(String.init), limit: Self.limit(request, default: 100))
        })
        router.get("/compare", use: page { pages, request in try pages.compare(request.uri.queryParameters.getAll("rev").map { String($0) }) })
        router.get("/history", use: page { pages, request in
            guard let metric = request.uri.queryParameters["metric"] else { throw UIError.missingParameter("metric") }
            return try pages.history(metric: String(metric), branch: request.uri.queryParameters["branch"].map(String.init),
                                     limit: Self.limit(request, default: 1000))
        })
        router.get("/lineage", use: page { pages, request in
            guard let path = request.uri.queryParameters["path"] else { throw UIError.missingParameter("path") }
            return try pages.lineage(path: String(path), revision: request.uri.queryParameters["rev"].map(String.init))
        })
        router.get("/data", use: page { pages, request in
            try pages.data(revision: request.uri.queryParameters["rev"].map(String.init), from: request.uri.queryParameters["from"].map(String.init),
                           page: request.uri.queryParameters["page"].flatMap { Int($0) } ?? 1)
        })
        router.get("/app.js") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/javascript; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: UIScript.source)))
        }
        if options.allowQueue {
            let expected = self.token
            router.post("/queue") { request, context in
                let form = try await URLEncodedFormDecoder().decode(QueueForm.self, from: request, context: context)
                guard form.token == expected else { return Self.html("<p>Bad token.</p>", status: .forbidden) }
                var experiment = ExperimentRequest()
                experiment.queue = true
                experiment.overrides = (form.overrides ?? "").split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                experiment.name = form.name.flatMap { $0.isEmpty ? nil : $0 }
                do {
                    _ = try createExperiments(experiment, project: try Project.open(from: root))
                } catch let error as UserFacingError {
                    return Self.html("<!doctype html><meta charset=\"utf-8\"><title>mlv</title><p>\(PlotsPage.escape(error.description))</p>", status: .badRequest)
                }
                return Response(status: .seeOther, headers: [.location: "/"])
            }
        }
        return router
    }

    /// `?limit=N` (how many commits a page walks), bounded: a URL cannot ask for unbounded work.
    static func limit(_ request: Request, default value: Int) -> Int {
        min(max(request.uri.queryParameters["limit"].flatMap { Int($0) } ?? value, 1), 100_000)
    }

    static func html(_ text: String, status: HTTPResponse.Status) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// Serves until the process is interrupted (Ctrl-C stops it cleanly).
    public func run(onStart: @escaping @Sendable (String) -> Void) async throws {
        // The server only reads and displays; see `GitSettings.verifyObjectHashes`.
        GitSettings.verifyObjectHashes(false)
        // Before listening, read `.mlv/state/history`, what it lacks of the current branch's
        // last 10,000 commits and the experiments of the first page's commits, and write the
        // index back, so that no first page waits for Git or competes with that write: with
        // the index this takes a few tens of milliseconds, without it (a first start) about as
        // long as those cold pages would have.
        let project = try Project.open(from: root, parsedBlobs: parsedBlobs)
        project.loadHistoryIndex()
        try? project.learnHistory(limit: 10_000)
        _ = try? UIPages(project: project, links: .server).runsTable(branch: nil)
        project.saveHistoryIndex()
        let app = Application(router: router(port: options.port), configuration: .init(address: .hostname(options.host, port: options.port)),
                              onServerRunning: { _ in onStart("http://\(options.host.contains(":") ? "[\(options.host)]" : options.host):\(options.port)/") })
        try await app.runService()
    }
}

/// The queue form's fields.
struct QueueForm: Decodable {
    let token: String
    let overrides: String?
    let name: String?
}

/// A request the web app cannot answer.
enum UIError: UserFacingError {
    case missingParameter(String)
    var description: String {
        switch self {
        case .missingParameter(let name): return "the page needs `\(name)` in its address."
        }
    }
}

/// Refuses requests for another host (DNS rebinding) and cross-site form posts, and sets the
/// headers every response carries: a Content-Security-Policy that allows nothing from other
/// origins and no inline script, no sniffing, no referrer, no framing.
struct GuardMiddleware<Context: RequestContext>: RouterMiddleware {
    static var hostField: HTTPField.Name { HTTPField.Name("Host")! }
    let allowedHosts: Set<String>
    let origins: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // The Host as the server saw it (HTTP/1's Host header becomes the authority), and any
        // Host field left among the headers: each must name this server.
        let hosts = [request.head.authority, request.headers[Self.hostField]].compactMap { $0?.lowercased() }
        guard !hosts.isEmpty, hosts.allSatisfy(allowedHosts.contains) else {
            return secured(UIServer.html("<p>Unknown host.</p>", status: .misdirectedRequest))
        }
        if request.method != .get && request.method != .head {
            guard let origin = request.headers[.origin]?.lowercased(), origins.contains(origin) else {
                return secured(UIServer.html("<p>Cross-site request refused.</p>", status: .forbidden))
            }
        }
        return secured(try await next(request, context))
    }

    func secured(_ response: Response) -> Response {
        var response = response
        response.headers[.contentSecurityPolicy] = "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        return response
    }
}
