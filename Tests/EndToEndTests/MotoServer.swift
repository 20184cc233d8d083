import Foundation
import XCTest

/// A real S3-compatible server (moto) on 127.0.0.1 for the length of a test, stopped when
/// released. `MLV_TEST_S3_ENDPOINT` points at one started by `.ci/run` instead, unless the
/// test needs its own settings (signature checking).
final class MotoServer {
    let endpoint: String
    private var process: Process?

    /// Starts a server; `environment` adds settings such as `INITIAL_NO_AUTH_ACTION_COUNT`.
    init(environment: [String: String] = [:], shared: Bool = true) throws {
        if shared, environment.isEmpty, let given = ProcessInfo.processInfo.environment["MLV_TEST_S3_ENDPOINT"] {
            endpoint = given
            return
        }
        let port = MotoServer.freePort()
        endpoint = "http://127.0.0.1:\(port)"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)]
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if MotoServer.accepts(port: port) { return }
            usleep(100_000)
        }
        process.terminate()
        throw NSError(domain: "moto", code: 1, userInfo: [NSLocalizedDescriptionKey: "moto did not start on port \(port); is `moto[server]` installed?"])
    }

    deinit { stop() }

    func stop() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Runs a boto3 snippet against this server with dummy credentials; returns stdout.
    @discardableResult
    func python(_ code: String, credentials: (String, String) = ("testing", "testing")) throws -> String {
        let script = """
        import boto3, sys
        s3 = boto3.client("s3", endpoint_url="\(endpoint)", region_name="us-east-1",
                          aws_access_key_id="\(credentials.0)", aws_secret_access_key="\(credentials.1)")
        iam = boto3.client("iam", endpoint_url="\(endpoint)", region_name="us-east-1",
                           aws_access_key_id="\(credentials.0)", aws_secret_access_key="\(credentials.1)")
        \(code)
        """
        let result = try TestRepository.run("/usr/bin/env", ["python3", "-c", script], in: "/tmp")
        guard result.code == 0 else {
            throw NSError(domain: "moto", code: Int(result.code), userInfo: [NSLocalizedDescriptionKey: result.stderr])
        }
        return result.stdout
    }

    func createBucket(_ name: String) throws {
        try python("s3.create_bucket(Bucket=\"\(name)\")")
    }

    /// Starts a Python helper server (a proxy in front of moto) and waits until `port` accepts.
    static func startHelper(_ script: String, port: Int) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, !accepts(port: port) { usleep(50_000) }
        return process
    }

    static func stopHelper(_ process: Process) {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Every key in a bucket (path-style, through boto3).
    func listKeys(_ bucket: String) throws -> [String] {
        try python("""
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket="\(bucket)"):
            for item in page.get("Contents", []): print(item["Key"])
        """).split(separator: "\n").map(String.init)
    }

    /// A loopback port nothing uses now, chosen by the kernel. A random one could be in use as
    /// the local end of an open connection: the server then cannot bind, and every request
    /// is refused.
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
                guard bind(fd, pointer, length) == 0 else { return -1 }
                return getsockname(fd, pointer, &length)
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
