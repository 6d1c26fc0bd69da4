// swift-tools-version:6.0
import PackageDescription

// A repository of your own infrastructure: Cairn is a dependency, the stacks are this package's.
let package = Package(
    name: "my-infra",
    platforms: [.macOS(.v13)],
    dependencies: [
        // Your repository names Cairn by its Git URL and a version instead of this relative path.
        .package(name: "Cairn", path: "../..")
    ],
    targets: [
        .executableTarget(name: "my-infra", dependencies: [.product(name: "Cairn", package: "Cairn")])
    ]
)
