import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The model registry (`mlv model`) and reading another repository (`mlv get`, `ls`, `import`,
/// `update`) with the built binary, between real repositories: a bare Git remote, directory
/// and S3 data remotes.
final class RegistryEndToEndTests: XCTestCase {
    let credentials = ["AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"]
    /// Who tags, as git takes it: the committer identity of the environment.
    let tagger = ["GIT_COMMITTER_NAME": "Ada Tagger", "GIT_COMMITTER_EMAIL": "ada@example.com"]

    /// A repository with a model file declared under `models:`, a metrics file, a tracked
    /// directory, a directory remote (or S3 when `s3` is given), a tagger identity, and a bare
    /// Git remote `origin`.
    func producer(s3: (endpoint: String, bucket: String)? = nil) throws -> (repo: TestRepository, bare: String) {
        let repo = try TestRepository()
        try repo.git("config", "user.name", "Ada Tagger")
        try repo.git("config", "user.email", "ada@example.com")
        try repo.write("models/churn.pkl", TestRepository.bytes(300_000, seed: 1))
        for i in 0..<5 { try repo.write("data/f\(i).csv", "row,\(i)\n") }
        XCTAssertEqual(try repo.mlv("add", "models/churn.pkl", "data").code, 0)
        try repo.write("mlv.yaml", """
        stages:
          score:
            cmd: "true"
            metrics: [metrics.json]
        models:
          churn:
            path: models/churn.pkl
            description: churn classifier
            labels: [tabular, prod-candidate]

        """)
        try repo.write("metrics.json", "{\"auc\": 0.81}\n")
        if let s3 {
            XCTAssertEqual(try repo.mlv("remote", "add", "store", "s3://\(s3.bucket)/models", "--endpoint", s3.endpoint, "--default").code, 0)
        } else {
            XCTAssertEqual(try repo.mlv("remote", "add", "store", repo.root + "-store", "--default").code, 0)
        }
        try repo.git("add", "-A")
        try repo.git("commit", "-q", "-m", "v1")
        let bare = repo.root + "-origin.git"
        _ = try TestRepository.run("/usr/bin/env", ["git", "init", "-q", "--bare", "-b", "main", bare], in: "/")
        try repo.git("remote", "add", "origin", bare)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: bare); try? FileManager.default.removeItem(atPath: repo.root + "-store") }
        return (repo, bare)
    }

    /// A second model version on a new commit.
    func commitSecondModel(_ repo: TestRepository) throws {
        try repo.write("models/churn.pkl", TestRepository.bytes(200_000, seed: 2))
        // A different size from v1's: twice in about a dozen runs, `git commit -am` kept the
        // old content of a same-size metrics.json rewritten in the same second after `mlv add`
        // wrote the index (not reproduced in 80 scripted tries; noted in the issue). This test
        // is about the registry, so it does not ride on that.
        try repo.write("metrics.json", "{\"auc\": 0.865}\n")
        XCTAssertEqual(try repo.mlv("add", "models/churn.pkl").code, 0)
        try repo.git("commit", "-q", "-am", "v2")
        XCTAssertEqual(try repo.git("show", "HEAD:metrics.json").stdout, "{\"auc\": 0.865}\n", "git committed the file as written")
    }

    func ok(_ result: TestRepository.Result, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(result.code, 0, result.stderr + result.stdout, file: file, line: line)
    }

    func json(_ text: String) throws -> Any { try JSONSerialization.jsonObject(with: Data(text.utf8)) }

    /// ISO dates replaced (and the column gaps they set made two spaces), so output compares exactly.
    func normalized(_ text: String) -> String {
        text.replacingOccurrences(of: #"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"#, with: "DATE", options: .regularExpression)
            .replacingOccurrences(of: " {2,}", with: "  ", options: .regularExpression)
    }

    func testRegistryLivesInTagsWithItsAuditTrailAndTravelsWithGit() throws {
        let (repo, bare) = try producer()
        let first = try repo.git("rev-parse", "HEAD").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let registered = try repo.mlv("model", "register", "churn", "--version", "v1.0.0", environment: tagger)
        XCTAssertEqual(registered.stdout, "Registered churn@v1.0.0: models/churn.pkl at \(first.prefix(8)). Share it with `git push origin churn@v1.0.0`.\n")
        try commitSecondModel(repo)
        let second = try repo.git("rev-parse", "HEAD").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        ok(try repo.mlv("model", "register", "churn", "--version", "v1.1.0", "-m", "retrained on November data", environment: tagger))
        ok(try repo.mlv("model", "promote", "churn", "v1.0.0", "prod", environment: tagger))
        ok(try repo.mlv("model", "promote", "churn", "v1.1.0", "staging", environment: tagger))
        ok(try repo.mlv("model", "promote", "churn", "v1.1.0", "prod", environment: tagger))
        XCTAssertEqual(try repo.mlv("model", "demote", "churn", "staging", environment: tagger).stdout, "Demoted churn from staging: tag churn#staging!#2.\n")
        // Annotated tags, named as GTO names them.
        XCTAssertEqual(try repo.git("for-each-ref", "--format=%(objecttype) %(refname:short) %(taggername)", "refs/tags").stdout, """
        tag churn#prod#1 Ada Tagger
        tag churn#prod#2 Ada Tagger
        tag churn#staging!#2 Ada Tagger
        tag churn#staging#1 Ada Tagger
        tag churn@v1.0.0 Ada Tagger
        tag churn@v1.1.0 Ada Tagger

        """)

        XCTAssertEqual(try repo.mlv("model", "path", "churn#prod").stdout, "\(second) models/churn.pkl\n")
        XCTAssertEqual(try repo.mlv("model", "path", "churn@v1.0.0").stdout, "\(first) models/churn.pkl\n")
        XCTAssertEqual(try repo.mlv("model", "list").stdout, "Model  Latest  prod\nchurn  v1.1.0  v1.1.0\n")
        let listed = try XCTUnwrap(try json(try repo.mlv("model", "list", "--json").stdout) as? [[String: Any]])
        XCTAssertEqual(listed.count, 1)
        XCTAssertEqual(listed.first?["description"] as? String, "churn classifier")
        XCTAssertEqual(listed.first?["labels"] as? [String], ["tabular", "prod-candidate"])
        XCTAssertEqual(listed.first?["stages"] as? [String: String], ["prod": "v1.1.0"])

        // show: commit, tagger, the model file's id and size, metrics at that commit, stages.
        let shown = try XCTUnwrap(try json(try repo.mlv("model", "show", "churn", "--json").stdout) as? [[String: Any]])
        XCTAssertEqual(shown.map { $0["version"] as? String }, ["v1.0.0", "v1.1.0"])
        XCTAssertEqual(shown.map { $0["commit"] as? String }, [first, second])
        XCTAssertEqual(shown.map { $0["tagged_by"] as? String }, ["Ada Tagger <ada@example.com>", "Ada Tagger <ada@example.com>"])
        XCTAssertEqual(shown.map { ($0["metrics"] as? [String: Double])?["auc"] }, [0.81, 0.865])
        XCTAssertEqual(shown.map { $0["stages"] as? [String] }, [[], ["prod"]])
        let pointer = String(decoding: try repo.read("models/churn.pkl.mlv"), as: UTF8.self)
        let file = try XCTUnwrap(shown.last?["file"] as? [String: Any])
        XCTAssertTrue(pointer.contains("id: \(file["id"] as? String ?? "?")\n"), "show's file id is the pointer's")
        XCTAssertEqual(file["size"] as? Int, 200_000)

        // The audit trail, in time order (within a second: registrations, then stage events by number).
        XCTAssertEqual(normalized(try repo.mlv("model", "history", "churn").stdout), """
        Date  Event  Version  Stage  By  Tag
        DATE  registered  v1.0.0  -  Ada Tagger <ada@example.com>  churn@v1.0.0
        DATE  registered  v1.1.0  -  Ada Tagger <ada@example.com>  churn@v1.1.0
        DATE  promoted  v1.0.0  prod  Ada Tagger <ada@example.com>  churn#prod#1
        DATE  promoted  v1.1.0  staging  Ada Tagger <ada@example.com>  churn#staging#1
        DATE  promoted  v1.1.0  prod  Ada Tagger <ada@example.com>  churn#prod#2
        DATE  demoted  v1.1.0  staging  Ada Tagger <ada@example.com>  churn#staging!#2

        """)

        // Bad requests: clear errors, no tag written.
        let tagsBefore = try repo.git("tag").stdout
        let refusals: [([String], String)] = [
            (["model", "register", "churn", "--version", "v1.1.0"], "mlv: error: model `churn` already had version v1.1.0; versions are never reused, register a new one.\n"),
            (["model", "register", "churn", "--version", "1.2"], "mlv: error: `1.2` is not a version; write one as vMAJOR.MINOR.PATCH, such as v1.3.0.\n"),
            (["model", "register", "churn", "--version", "v01.2.0"], "mlv: error: `v01.2.0` is not a version; write one as vMAJOR.MINOR.PATCH, such as v1.3.0.\n"),
            (["model", "register", "churn", "--version", "v2.0.0", "--path", "models/none.pkl"], "mlv: error: commit \(second.prefix(8)) has no `models/none.pkl` (neither tracked by mlv nor in Git).\n"),
            (["model", "register", "other", "--version", "v1.0.0"], "mlv: error: model `other` has no path: give --path, or declare it under `models:` in mlv.yaml.\n"),
            (["model", "register", "churn", "--version", "v2.0.0", "--path", "../outside"], "mlv: error: `../outside` names no model version; write NAME, NAME@vX.Y.Z or NAME#STAGE.\n"),
            (["model", "promote", "churn", "v9.9.9", "prod"], "mlv: error: model `churn` has no version v9.9.9 (see mlv model show churn).\n"),
            (["model", "promote", "churn", "v1.1.0", "prod"], "mlv: error: version v1.1.0 of `churn` is already in `prod`.\n"),
            (["model", "promote", "nobody", "v1.0.0", "prod"], "mlv: error: no model `nobody` is registered here (see mlv model list).\n"),
            (["model", "demote", "churn", "staging"], "mlv: error: no version of `churn` is in stage `staging`.\n"),
            (["model", "path", "churn#staging"], "mlv: error: no version of `churn` is in stage `staging`.\n"),
            (["model", "promote", "churn", "v1.0.0", "bad stage"], "mlv: error: stage name `bad stage` may hold only ASCII letters, digits, `-` and `_`.\n"),
        ]
        for (arguments, message) in refusals {
            let result = try TestRepository.run(TestRepository.binary, arguments, in: repo.root)
            XCTAssertEqual(result.code, 2, arguments.joined(separator: " "))
            XCTAssertEqual(result.stderr, message, arguments.joined(separator: " "))
        }
        XCTAssertEqual(try repo.git("tag").stdout, tagsBefore, "a refused command wrote a tag")
        // A tag that is not semver, or a stage tag without a number, is not the registry's.
        try repo.git("tag", "churn@v1.2")
        try repo.git("tag", "churn#prod#x")
        XCTAssertEqual(try repo.mlv("model", "list").stdout, "Model  Latest  prod\nchurn  v1.1.0  v1.1.0\n")
        // A tag pointing at a commit without the model's path (registered by hand, GTO style).
        try repo.git("tag", "-a", "-m", "by hand", "ghost@v1.0.0", first)
        let ghost = try repo.mlv("model", "show", "ghost", "--json")
        ok(ghost)
        XCTAssertNil((try json(ghost.stdout) as? [[String: Any]])?.first?["file"] as? [String: Any], "ghost has no path anywhere")
        XCTAssertEqual(try repo.mlv("model", "path", "ghost@v1.0.0").stderr, "mlv: error: model `ghost` has no path: give --path, or declare it under `models:` in mlv.yaml.\n")
        try repo.git("tag", "-d", "churn@v1.2", "churn#prod#x", "ghost@v1.0.0")

        // Deprecation: the version leaves `latest`; the model can be deprecated whole.
        ok(try repo.mlv("model", "deprecate", "churn", "v1.1.0", environment: tagger))
        XCTAssertEqual(try repo.mlv("model", "list").stdout, "Model  Latest  prod\nchurn  v1.0.0  v1.1.0\n")
        XCTAssertEqual(try repo.mlv("model", "promote", "churn", "v1.1.0", "staging", environment: tagger).stderr, "mlv: error: version v1.1.0 of `churn` is deprecated.\n")

        // `git push --tags` carries the registry; a clone reads the same.
        try repo.git("push", "-q", "origin", "main", "--tags")
        let clone = try TestRepository(initMLV: false)
        _ = try TestRepository.run("/usr/bin/env", ["git", "clone", "-q", bare, clone.root + "/c"], in: clone.root)
        let cloned = try TestRepository.run(TestRepository.binary, ["model", "list", "--json"], in: clone.root + "/c")
        XCTAssertEqual(cloned.stdout, try repo.mlv("model", "list", "--json").stdout)
        let clonedHistory = try TestRepository.run(TestRepository.binary, ["model", "history", "churn"], in: clone.root + "/c")
        XCTAssertEqual(clonedHistory.stdout, try repo.mlv("model", "history", "churn").stdout)
        try repo.assertGitFsckClean()
    }

    func testGetListAndImportFromAnotherRepositoryWithoutCloningIt() throws {
        let (repo, bare) = try producer()
        ok(try repo.mlv("model", "register", "churn", "--version", "v1.0.0"))
        ok(try repo.mlv("model", "promote", "churn", "v1.0.0", "prod"))
        try commitSecondModel(repo)
        ok(try repo.mlv("model", "register", "churn", "--version", "v1.1.0"))
        // Every registered version's data: each commit's, not only HEAD's.
        ok(try repo.mlv("push", "--all-commits"))
        try repo.git("push", "-q", "origin", "main", "--tags")
        let v1 = TestRepository.bytes(300_000, seed: 1), v2 = TestRepository.bytes(200_000, seed: 2)

        // Somewhere that is not an mlv project.
        let elsewhere = try TestRepository(initMLV: false)
        func get(_ arguments: String...) throws -> TestRepository.Result {
            try TestRepository.run(TestRepository.binary, ["get", bare] + arguments, in: elsewhere.root)
        }
        ok(try get("models/churn.pkl", "--rev", "churn@v1.0.0", "-o", "v1.pkl"))
        XCTAssertEqual(try elsewhere.read("v1.pkl"), v1)
        ok(try get("models/churn.pkl", "--rev", "churn#prod", "-o", "prod.pkl"))
        XCTAssertEqual(try elsewhere.read("prod.pkl"), v1)
        let latest = try get("models/churn.pkl", "--json")
        ok(latest)
        XCTAssertEqual(try elsewhere.read("churn.pkl"), v2, "HEAD by default")
        let latestJSON = try XCTUnwrap(try json(latest.stdout) as? [String: Any])
        XCTAssertEqual(latestJSON["revision"] as? String, "main")
        ok(try get("data/f3.csv", "-o", "one.csv"))
        XCTAssertEqual(try elsewhere.read("one.csv"), Data("row,3\n".utf8))
        ok(try get("data", "-o", "data"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: elsewhere.path("data")).sorted(), (0..<5).map { "f\($0).csv" })
        ok(try get("metrics.json", "--rev", "churn@v1.0.0"))
        XCTAssertEqual(try elsewhere.read("metrics.json"), Data("{\"auc\": 0.81}\n".utf8), "a file kept in Git comes from Git")

        // Refusals leave the output as it was.
        let exists = try get("models/churn.pkl", "--rev", "churn@v1.1.0", "-o", "v1.pkl")
        XCTAssertEqual(exists.code, 2)
        XCTAssertEqual(exists.stderr, "mlv: error: \(elsewhere.root)/v1.pkl exists; pass --force to replace it.\n")
        XCTAssertEqual(try elsewhere.read("v1.pkl"), v1)
        ok(try get("models/churn.pkl", "--rev", "churn@v1.1.0", "-o", "v1.pkl", "--force"))
        XCTAssertEqual(try elsewhere.read("v1.pkl"), v2)
        let cases: [([String], String)] = [
            (["../../etc/passwd"], "mlv: error: `../../etc/passwd` is not a path inside a repository.\n"),
            (["nothing/here"], "is neither tracked by mlv nor kept in Git at "),
            (["models/churn.pkl", "--rev", "churn@v7.0.0"], "mlv: error: model `churn` has no version v7.0.0 (see mlv model show churn).\n"),
            (["models/churn.pkl", "--rev", "nobody#prod"], "mlv: error: no model `nobody` is registered here (see mlv model list).\n"),
            (["models/churn.pkl", "--rev", "no-such-branch"], "mlv: error: \(bare) has no branch, tag or commit `no-such-branch`.\n"),
        ]
        for (arguments, message) in cases {
            let result = try TestRepository.run(TestRepository.binary, ["get", bare] + arguments, in: elsewhere.root)
            XCTAssertEqual(result.code, 2, arguments.joined(separator: " "))
            XCTAssertTrue(result.stderr.hasPrefix("mlv: error: ") && result.stderr.contains(message), result.stderr)
        }
        let noRepository = try TestRepository.run(TestRepository.binary, ["get", elsewhere.root + "/missing", "x"], in: elsewhere.root)
        XCTAssertEqual(noRepository.stderr, "mlv: error: cannot read the Git repository \(elsewhere.root)/missing: there is no such folder.\n")
        // No scratch repository is left behind.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: elsewhere.root).filter { $0.hasPrefix(".mlv-get-") }, [])

        // ls: paths, kinds, sizes, file counts, ids, without downloading.
        let listed = try TestRepository.run(TestRepository.binary, ["ls", bare, "--rev", "churn@v1.0.0", "--json"], in: elsewhere.root)
        ok(listed)
        let paths = try XCTUnwrap(try json(listed.stdout) as? [[String: Any]])
        XCTAssertEqual(paths.map { $0["path"] as? String }, ["data", "models/churn.pkl"])
        XCTAssertEqual(paths.map { $0["files"] as? Int }, [5, 1])
        XCTAssertEqual(paths.map { $0["size"] as? Int }, [30, 300_000])
        let onlyData = try TestRepository.run(TestRepository.binary, ["ls", bare, "data"], in: elsewhere.root)
        XCTAssertEqual(onlyData.stdout.split(separator: "\n").count, 2, onlyData.stdout)

        // A data remote that lacks the object: a commit whose data was never pushed.
        try repo.write("models/churn.pkl", TestRepository.bytes(1000, seed: 3))
        ok(try repo.mlv("add", "models/churn.pkl"))
        try repo.git("commit", "-q", "-am", "unpushed")
        try repo.git("push", "-q", "origin", "main")
        let lacking = try get("models/churn.pkl", "-o", "unpushed.pkl")
        XCTAssertEqual(lacking.code, 2)
        XCTAssertEqual(lacking.stderr, "mlv: error: the data remote of \(bare) lacks 1 object(s) of `models/churn.pkl`; it was pushed incompletely.\n")
        XCTAssertFalse(elsewhere.exists("unpushed.pkl"))
        ok(try repo.mlv("push"))

        // import: tracked here, source in the pointer; update follows a promotion.
        let consumer = try TestRepository()
        let imported = try consumer.mlv("import", bare, "models/churn.pkl", "--rev", "churn#prod", "-o", "models/churn.pkl")
        ok(imported)
        XCTAssertEqual(try consumer.read("models/churn.pkl"), v1)
        let firstCommit = try repo.git("rev-parse", "churn@v1.0.0^{commit}").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let pointer = String(decoding: try consumer.read("models/churn.pkl.mlv"), as: UTF8.self)
        XCTAssertTrue(pointer.hasSuffix("source-url: \(bare)\nsource-rev: churn#prod\nsource-commit: \(firstCommit)\nsource-path: models/churn.pkl\n"), pointer)
        try consumer.git("commit", "-q", "-m", "import churn")
        XCTAssertEqual(try consumer.mlv("status").stdout, "models/churn.pkl  up to date\n")
        ok(try repo.mlv("model", "promote", "churn", "v1.1.0", "prod"))
        try repo.git("push", "-q", "origin", "--tags")
        let secondCommit = try repo.git("rev-parse", "churn@v1.1.0^{commit}").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(try consumer.mlv("status").stdout, """
        models/churn.pkl  up to date
        Import models/churn.pkl is behind: churn#prod is now \(secondCommit.prefix(8)), it has \(firstCommit.prefix(8)); run `mlv update models/churn.pkl`.

        """)
        // Local edits are not overwritten.
        let imported1 = try consumer.read("models/churn.pkl")
        try consumer.write("models/churn.pkl", "edited here\n")
        let refusedUpdate = try consumer.mlv("update")
        XCTAssertEqual(refusedUpdate.code, 2)
        XCTAssertEqual(refusedUpdate.stderr, "mlv: error: `models/churn.pkl` was changed here since it was imported; `mlv add` it to keep it (it stops following its source), or pass --force to replace it.\n")
        XCTAssertEqual(try consumer.read("models/churn.pkl"), Data("edited here\n".utf8))
        try consumer.write("models/churn.pkl", imported1)
        let updated = try consumer.mlv("update")
        ok(updated)
        XCTAssertTrue(updated.stdout.hasPrefix("models/churn.pkl: churn#prod moved from commit \(firstCommit.prefix(8)) to \(secondCommit.prefix(8)); data "), updated.stdout)
        XCTAssertEqual(try consumer.read("models/churn.pkl"), v2)
        XCTAssertEqual(try consumer.mlv("status").stdout, "models/churn.pkl  up to date\n")
        XCTAssertEqual(try consumer.mlv("update").stdout, "models/churn.pkl: up to date with churn#prod (commit \(secondCommit.prefix(8))).\n")
        let notImported = try consumer.mlv("update", "nothing")
        XCTAssertEqual(notImported.code, 2)
        try consumer.git("commit", "-q", "-am", "update churn")
        try consumer.assertGitFsckClean()
        XCTAssertEqual(try consumer.mlv("fsck").code, 0)
    }

    func testGetThroughS3AndAnInterruptedGetLeavesNoOutput() throws {
        let server = try MotoServer()
        let bucket = "mlv-get-\(UUID().uuidString.prefix(8).lowercased())"
        try server.createBucket(bucket)
        let (repo, bare) = try producer(s3: (server.endpoint, bucket))
        try repo.write("models/big.bin", TestRepository.bytes(96 << 20, seed: 9))
        ok(try repo.mlv("add", "models/big.bin"))
        try repo.git("commit", "-q", "-m", "big")
        ok(try repo.mlv("model", "register", "churn", "--version", "v1.0.0"))
        ok(try repo.mlv("push", "--all-commits", environment: credentials))
        try repo.git("push", "-q", "origin", "main", "--tags")
        let elsewhere = try TestRepository(initMLV: false)
        let got = try TestRepository.run(TestRepository.binary, ["get", bare, "models/churn.pkl", "--rev", "churn@v1.0.0"], in: elsewhere.root, environment: credentials)
        ok(got)
        XCTAssertEqual(try elsewhere.read("churn.pkl"), TestRepository.bytes(300_000, seed: 1))
        // Credentials from the uncommitted config of the repository get runs in, keyed by the
        // remote's URL; no environment, no ~/.aws.
        let noCredentials = ["AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "HOME": elsewhere.root]
        let refused = try TestRepository.run(TestRepository.binary, ["get", bare, "models/churn.pkl", "-o", "keyed.pkl"], in: elsewhere.root, environment: noCredentials)
        XCTAssertEqual(refused.code, 2)
        XCTAssertTrue(refused.stderr.contains("needs credentials and none were found"), refused.stderr)
        try elsewhere.git("config", "mlv.s3://\(bucket)/models.accessKeyId", "testing")
        try elsewhere.git("config", "mlv.s3://\(bucket)/models.secretAccessKey", "testing")
        let keyed = try TestRepository.run(TestRepository.binary, ["get", bare, "models/churn.pkl", "-o", "keyed.pkl"], in: elsewhere.root, environment: noCredentials)
        ok(keyed)
        XCTAssertFalse((keyed.stdout + keyed.stderr).contains("testing"), "credentials are never printed")
        XCTAssertEqual(try elsewhere.read("keyed.pkl"), TestRepository.bytes(300_000, seed: 1))

        // Killed mid-download: no output, a scratch folder the next get removes.
        let process = TestRepository.process(TestRepository.binary, ["get", bare, "models/big.bin"], in: elsewhere.root, environment: credentials)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        elsewhere.kill(process, when: { elsewhere.hasFile(under: "", containing: ".mlv-get-") && elsewhere.hasFile(under: "", containing: "indexes") })
        XCTAssertFalse(elsewhere.exists("big.bin"), "a killed get left a partial output")
        let rerun = try TestRepository.run(TestRepository.binary, ["get", bare, "models/big.bin"], in: elsewhere.root, environment: credentials)
        ok(rerun)
        XCTAssertEqual(TestRepository.sha256(try elsewhere.read("big.bin")), TestRepository.sha256(TestRepository.bytes(96 << 20, seed: 9)))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: elsewhere.root).filter { $0.hasPrefix(".mlv-get-") }, [])
    }

    func testRepositoriesWithoutMLVOrWithoutARemoteGiveClearErrors() throws {
        let plain = try TestRepository(initMLV: false)
        try plain.write("README.md", "hello\n")
        try plain.git("add", "-A")
        try plain.git("commit", "-q", "-m", "plain")
        let elsewhere = try TestRepository(initMLV: false)
        XCTAssertEqual(try TestRepository.run(TestRepository.binary, ["ls", plain.root], in: elsewhere.root).stdout.prefix(19), "Nothing tracked at ")
        ok(try TestRepository.run(TestRepository.binary, ["get", plain.root, "README.md"], in: elsewhere.root))
        XCTAssertEqual(try elsewhere.read("README.md"), Data("hello\n".utf8))
        let missing = try TestRepository.run(TestRepository.binary, ["get", plain.root, "data"], in: elsewhere.root)
        XCTAssertEqual(missing.code, 2)
        XCTAssertTrue(missing.stderr.hasPrefix("mlv: error: `data` is neither tracked by mlv nor kept in Git at "), missing.stderr)

        let noRemote = try TestRepository()
        try noRemote.write("data.bin", TestRepository.bytes(1000, seed: 4))
        ok(try noRemote.mlv("add", "data.bin"))
        try noRemote.git("commit", "-q", "-m", "data")
        let refused = try TestRepository.run(TestRepository.binary, ["get", noRemote.root, "data.bin"], in: elsewhere.root)
        XCTAssertEqual(refused.code, 2)
        XCTAssertEqual(refused.stderr, "mlv: error: \(noRemote.root) configures no mlv remote in its .mlvconfig, so its data cannot be fetched from here.\n")
        XCTAssertFalse(elsewhere.exists("data.bin"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: elsewhere.root).filter { $0.hasPrefix(".mlv-get-") }, [])
    }

    /// A stage output is recorded in mlv.lock, not a pointer: `get`, `ls` and the registry read it there.
    func testStageOutputsAreReadFromTheLock() throws {
        let repo = try PipelineFixture.make()
        ok(try repo.mlv("train", "--commit", "-q"))
        ok(try repo.mlv("remote", "add", "store", repo.root + "-store", "--default"))
        addTeardownBlock { try? FileManager.default.removeItem(atPath: repo.root + "-store") }
        try repo.git("commit", "-q", "-am", "remote")
        ok(try repo.mlv("push"))
        ok(try repo.mlv("model", "register", "fixture", "--path", "models/model.bin", "--version", "v0.1.0"))
        let elsewhere = try TestRepository(initMLV: false)
        let listed = try XCTUnwrap(try json(try TestRepository.run(TestRepository.binary, ["ls", repo.root, "--json"], in: elsewhere.root).stdout) as? [[String: Any]])
        XCTAssertTrue(listed.contains { $0["path"] as? String == "models/model.bin" }, "\(listed)")
        ok(try TestRepository.run(TestRepository.binary, ["get", repo.root, "models/model.bin", "--rev", "fixture@v0.1.0"], in: elsewhere.root))
        XCTAssertEqual(try elsewhere.read("model.bin"), try repo.read("models/model.bin"))
        // -r picks one of the source's remotes: an empty one lacks the data.
        ok(try repo.mlv("remote", "add", "empty", repo.root + "-empty"))
        addTeardownBlock { try? FileManager.default.removeItem(atPath: repo.root + "-empty") }
        try repo.git("commit", "-q", "-am", "second remote")
        let fromEmpty = try TestRepository.run(TestRepository.binary, ["get", repo.root, "models/model.bin", "-r", "empty", "-o", "none.bin"], in: elsewhere.root)
        XCTAssertEqual(fromEmpty.stderr, "mlv: error: the data remote of \(repo.root) lacks 1 object(s) of `models/model.bin`; it was pushed incompletely.\n")
        ok(try TestRepository.run(TestRepository.binary, ["get", repo.root, "models/model.bin", "-r", "store", "-o", "stored.bin"], in: elsewhere.root))
        XCTAssertEqual(try elsewhere.read("stored.bin"), try repo.read("models/model.bin"))
        ok(try TestRepository.run(TestRepository.binary, ["get", repo.root, "data/features", "-o", "features"], in: elsewhere.root))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: elsewhere.path("features")).sorted(),
                       try FileManager.default.contentsOfDirectory(atPath: repo.path("data/features")).sorted())
    }
}
