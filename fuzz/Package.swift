// swift-tools-version:5.9
// libFuzzer targets for mlv's parsers of untrusted input. Built apart from the main package
// (`swift build --sanitize=fuzzer` here) because the fuzzer supplies `main`; run them with
// `scripts/fuzz.sh`.
import PackageDescription

let package = Package(
    name: "mlv-fuzz",
    dependencies: [.package(name: "mlv", path: "..")],
    targets: [
        .executableTarget(
            name: "mlv-fuzz",
            dependencies: [.product(name: "MLVCore", package: "mlv")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
    ]
)
