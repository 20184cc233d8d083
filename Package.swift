// swift-tools-version:5.9
import PackageDescription

let package = Package(
    name: "mlv",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "mlv", targets: ["mlv"]),
        .library(name: "MLVCore", targets: ["MLVCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"4.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", exact: "0.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CGit2",
            pkgConfig: "libgit2",
            providers: [.apt(["libgit2-dev"])]
        ),
        .target(name: "MLVGit", dependencies: ["CGit2"]),
        .target(
            name: "MLVCore",
            dependencies: [
                "MLVGit",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]
        ),
        // The web app (`mlv ui`): HTTP stays out of MLVCore.
        .target(
            name: "MLVServer",
            dependencies: [
                "MLVCore",
                "MLVGit",
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        .target(
            name: "MLVCLI",
            dependencies: [
                "MLVCore",
                "MLVServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "mlv", dependencies: ["MLVCLI"], exclude: ["symbols.map"],
            linkerSettings: [.unsafeFlags(["-Xlinker", "--version-script=\(Context.packageDirectory)/Sources/mlv/symbols.map"])]
        ),
        .testTarget(name: "MLVGitTests", dependencies: ["MLVGit"]),
        .testTarget(name: "MLVCoreTests", dependencies: ["MLVCore", "MLVGit"]),
        .testTarget(name: "MLVServerTests", dependencies: [
            "MLVServer", "MLVCore",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ]),
        .testTarget(name: "EndToEndTests", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
    ]
)
