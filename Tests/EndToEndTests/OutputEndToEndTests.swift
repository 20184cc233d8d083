import Foundation
import XCTest

/// The human output of the main commands, compared as whole text: a change in wording,
/// alignment or order fails here. Commit ids, object ids, times, durations and temporary
/// paths are normalized first.
final class OutputEndToEndTests: XCTestCase {
    /// `text` with the run's variable parts replaced by stable placeholders.
    static func normalized(_ text: String, _ repo: TestRepository) -> String {
        var out = text.replacingOccurrences(of: repo.root, with: "ROOT")
        let rules: [(String, String)] = [
            (#"\b[0-9a-f]{64}\b"#, "<ID>"),
            (#"\b[0-9a-f]{40}\b"#, "<COMMIT>"),
            (#"(?<=[ (])[0-9a-f]{7,12}\b"#, "<SHORT>"),
            (#"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"#, "<TIME>"),
            (#"in \d+\.\d\d s"#, "in <SECONDS> s"),
            (#"for \d+\.\d\d s"#, "for <SECONDS> s"),
            (#"\(\d+\.\d\d s\)"#, "(<SECONDS> s)"),
            (#"mlv \d+\.\d+\.\d+\S*"#, "mlv <VERSION>"),
        ]
        for (pattern, replacement) in rules {
            out = out.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression)
        }
        return out
    }

    func assertOutput(_ result: TestRepository.Result, _ repo: TestRepository, _ expected: String, code: Int32 = 0,
                      file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(result.code, code, result.stderr, file: file, line: line)
        let actual = Self.normalized(result.stdout, repo)
        // A multi-line literal has no final newline; every output ends with one.
        XCTAssertEqual(actual, expected.isEmpty ? "" : expected + "\n", "\n--- actual ---\n\(actual)--- end ---", file: file, line: line)
    }

    func testMainCommandsPrintExactly() throws {
        let repo = try PipelineFixture.make()
        let store = repo.root + "-store"
        addTeardownBlock { _ = try? TestRepository.run("/bin/chmod", ["-R", "u+w", store], in: "/"); try? FileManager.default.removeItem(atPath: store) }

        assertOutput(try repo.mlv("train", "--commit", "-m", "baseline"), repo, """
            Stage prepare: running because it has not run before
            > python3 prepare.py
            Stage prepare: done in <SECONDS> s
            Stage train: running because it has not run before
            > python3 train.py
            Stage train: done in <SECONDS> s
            Stage evaluate: running because it has not run before
            > python3 evaluate.py
            Stage evaluate: done in <SECONDS> s
            Committed <SHORT>: baseline
            Files: data/.gitignore, metrics.json, mlv.lock, models/.gitignore
            """)
        try repo.write("data/raw/part4.csv", "7,14\n")
        try repo.write("data/raw/part1.csv", "1,2\n")
        assertOutput(try repo.mlv("status", "-v"), repo, """
            data/features     up to date
            data/raw          modified (1 added, 1 modified, 0 deleted)
            data/test.csv     up to date
            models/model.bin  up to date
              added:    data/raw/part4.csv
              modified: data/raw/part1.csv
            """)
        XCTAssertEqual(try repo.mlv("add", "data/raw").code, 0)
        assertOutput(try repo.mlv("diff"), repo, """
            Tracked data, HEAD -> workspace:
              modified data/raw (1 added, 1 modified, 0 deleted)  26 B -> 27 B
                  + part4.csv  5 B
                  M part1.csv  8 B -> 4 B
            """)
        XCTAssertEqual(try repo.mlv("remote", "add", "store", store).code, 0)
        assertOutput(try repo.mlv("push"), repo, """
            Pushed 12 object(s), 857 B; 0 already there (0 B); 7 request(s) in <SECONDS> s (store)
            """)
        try repo.write("params.yaml", "train:\n  lr: 0.5\n  epochs: 3\n")
        assertOutput(try repo.mlv("train"), repo, """
            Stage prepare: running because dep `data/raw` changed
            > python3 prepare.py
            Stage prepare: done in <SECONDS> s
            Stage train: running because dep `data/features` changed; param `train.lr` changed: 0.1 -> 0.5
            > python3 train.py
            Stage train: done in <SECONDS> s
            Stage evaluate: running because dep `models/model.bin` changed
            > python3 evaluate.py
            Stage evaluate: done in <SECONDS> s
            mlv.lock updated; commit it with `git commit`, or run with --commit.
            """)
        assertOutput(try repo.mlv("metrics", "diff"), repo, """
            Path          Metric    HEAD     workspace  Change    Change %
            metrics.json  loss      0.08     0.4        +0.32     +400%     regressed
            metrics.json  accuracy  0.92593  0.71429    -0.21164  -22.86%   regressed
            """)
        assertOutput(try repo.mlv("params", "diff"), repo, """
            Path         Param     HEAD  workspace  Change  Change %
            params.yaml  train.lr  0.1   0.5        +0.4    +400%
            """)
        try repo.write("mlv.yaml", PipelineFixture.pipeline + "gates:\n  - accuracy >= 0.5\n  - loss <= baseline - 1\n")
        assertOutput(try repo.mlv("gate"), repo, """
            Gates for workspace against HEAD:
            Metric    Value    Baseline  Rule                  Result  Why
            accuracy  0.71429  -         accuracy >= 0.5       pass
            loss      0.4      0.08      loss <= baseline - 1  FAIL    0.4 is not <= -0.92
            """, code: 1)
        assertOutput(try repo.mlv("lineage", "models/model.bin"), repo, """
            models/model.bin  (file, <SHORT>, 23 B)
                made by stage train: python3 train.py
                ran <TIME> for <SECONDS> s on code <SHORT> (clean), mlv <VERSION>
                not committed yet
                params: train.epochs=3, train.lr=0.5
                from:
                  data/features  (directory, <SHORT>, 29 B)
                      made by stage prepare: python3 prepare.py
                      ran <TIME> for <SECONDS> s on code <SHORT> (clean), mlv <VERSION>
                      not committed yet
                      from:
                        data/raw  (directory, <SHORT>, 27 B)
                            added with mlv add (data/raw.mlv)
                        prepare.py  (file, <SHORT>)
                            kept in Git
                  train.py  (file, <SHORT>)
                      kept in Git
            """)
        try repo.git("add", "-A")
        try repo.git("commit", "-q", "-m", "faster")
        assertOutput(try repo.mlv("push"), repo, """
            Pushed 3 object(s), 223 B; 3 already there (37 B); 6 request(s) in <SECONDS> s (store)
            """)
        let clone = try TestRepository(initMLV: false)
        try clone.git("remote", "add", "origin", repo.root)
        try clone.git("pull", "-q", "origin", "main")
        assertOutput(try clone.mlv("pull"), clone, """
            Fetched 10 object(s), 653 B; 0 already there (0 B); 9 request(s) in <SECONDS> s (store)
            data/features: 2 file(s) written (29 B), 0 deleted
            data/raw: 4 file(s) written (27 B), 0 deleted
            data/test.csv: 1 file(s) written (8 B), 0 deleted
            models/model.bin: 1 file(s) written (23 B), 0 deleted
            """)
    }
}
