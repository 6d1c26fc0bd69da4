// swift-tools-version:6.0
import PackageDescription

// One target per layer; lower layers never import higher ones:
//   CCrypto → CairnCrypto → CairnSigner → CairnAWS ─────────────┐
//   CairnJSON ──────────────────────────────┘                   ├→ CairnResources → CairnCLI → Cairn
//   CSQLite → CairnState ─┐                                     │
//   CairnGraph ───────────┴→ CairnEngine ───────────────────────┘
// `Cairn` is the library a package declaring stacks depends on (examples/my-infra). The seed stacks in
// stacks/ use it the same way: target Stacks declares them, and the `cairn` executable (stacks/cairn)
// hands them to `CairnMain.main`.
let package = Package(
    name: "Cairn",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "cairn", targets: ["cairn"]),
        .library(name: "Cairn", targets: ["Cairn"]),
        .library(name: "CairnSigner", targets: ["CairnSigner"]),
        .library(name: "CairnAWS", targets: ["CairnAWS"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.100.0"),  // its error and buffer types, which CairnAWS names
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.0"),  // TLS trust roots (AWS_CA_BUNDLE), via async-http-client
    ],
    targets: [
        .systemLibrary(name: "CCrypto", path: "Sources/CCrypto", providers: [.apt(["libssl-dev"])]),
        .target(name: "CairnJSON"),
        .target(name: "CairnConcurrency"),
        .target(name: "CairnCrypto", dependencies: ["CCrypto"]),
        .target(name: "CairnSigner", dependencies: ["CairnCrypto"]),
        .target(
            name: "CairnAWS",
            dependencies: [
                "CairnSigner", "CairnCrypto", "CairnJSON", "CairnConcurrency", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]),
        .target(name: "CairnGraph"),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "CairnState", dependencies: ["CSQLite", "CairnConcurrency"]),
        .target(name: "CairnEngine", dependencies: ["CairnGraph", "CairnState", "CairnJSON", "CairnCrypto", "CairnConcurrency"]),
        .target(name: "CairnResources", dependencies: ["CairnEngine", "CairnAWS", "CairnJSON", "CairnConcurrency"]),
        .target(
            name: "CairnCLI",
            dependencies: [
                "CairnAWS", "CairnJSON", "CairnEngine", "CairnResources", "CairnState",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .target(name: "Cairn", dependencies: ["CairnCLI", "CairnEngine", "CairnResources", "CairnJSON"]),
        .target(
            name: "Stacks", dependencies: ["Cairn"], path: "stacks",
            exclude: [
                "cairn", "b2b-ecommerce-platform.md", "production-experience-showcase.md", "ecommerce-ai-platform.md",
                "cloud-health-dashboard.md",
            ]),
        .executableTarget(name: "cairn", dependencies: ["Cairn", "Stacks"], path: "stacks/cairn"),
        // bench/run: writes a state of N resources directly, for `cairn plan --refresh=false` at 10,000 resources.
        .executableTarget(
            name: "cairn-bench-seed-state", dependencies: ["Stacks", "CairnEngine", "CairnGraph", "CairnState", "CairnJSON"], path: "bench/seed-state"
        ),
        .testTarget(name: "CairnJSONTests", dependencies: ["CairnJSON"]),
        .testTarget(name: "CairnConcurrencyTests", dependencies: ["CairnConcurrency"]),
        .testTarget(name: "CairnCryptoTests", dependencies: ["CairnCrypto"]),
        .testTarget(name: "CairnSignerTests", dependencies: ["CairnSigner"]),
        .testTarget(
            name: "CairnAWSTests",
            dependencies: ["CairnAWS", "CairnSigner", "CairnJSON", "TestSupport", .product(name: "NIOCore", package: "swift-nio")]),
        .testTarget(name: "CairnGraphTests", dependencies: ["CairnGraph"]),
        .testTarget(name: "CairnStateTests", dependencies: ["CairnState", "CSQLite", "TestSupport"]),
        .testTarget(name: "CairnEngineTests", dependencies: ["CairnEngine", "CairnState", "CairnJSON", "CairnConcurrency"]),
        .testTarget(name: "CairnCLITests", dependencies: ["CairnCLI", "CairnEngine", "CairnState", "TestSupport", "CairnJSON"]),
        .testTarget(
            name: "CairnResourcesTests", dependencies: ["CairnResources", "CairnEngine", "CairnAWS", "CairnSigner", "CairnJSON", "TestSupport"]),
        // The CLI tests' own stacks (Tests/Fixtures), run the way `cairn` runs the seed stacks, so that the tests of
        // generic CLI behaviour never depend on the seed stacks' names or resource counts.
        .executableTarget(name: "cairn-fixtures", dependencies: ["Cairn"], path: "Tests/Fixtures"),
        // Shared by the integration tests: a moto server per test process (signature checking on), the aws CLI,
        // a scriptable HTTP stub server and a process runner. Its Python helpers run from the source tree.
        .target(name: "TestSupport", path: "Tests/TestSupport", exclude: ["scripts"]),
        .testTarget(name: "TestSupportTests", dependencies: ["TestSupport"]),
    ]
)
