// swift-tools-version:6.0
//
// Assignment Dispatch: end-to-end encrypted case dispatch for volunteer organisations.
//
// The targets follow the layers of DESIGN.md §3; each imports only the layers below it:
//
//   DispatchCLI (the `dispatch` executable, thin)
//   Storage        libpq, pool, migrations, the managed local cluster, the audit chain
//   Envelope       libsodium: keys, fingerprints, seal/open, signatures, keystore
//   AssignmentCore pure domain: types, lifecycle, rules, policies (no IO, no C)
//   CSodium CLibPQ CLibical   system libraries found through pkg-config
import PackageDescription

let package = Package(
    name: "AssignmentDispatch",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "dispatch", targets: ["DispatchCLI"]),
        .library(name: "AssignmentCore", targets: ["AssignmentCore"]),
        .library(name: "Envelope", targets: ["Envelope"]),
        .library(name: "Storage", targets: ["Storage"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
    ],
    targets: [
        // MARK: System libraries (Debian: libsodium-dev, libpq-dev, libical-dev)
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"]), .brew(["libsodium"])]
        ),
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"]), .brew(["libpq"])]
        ),
        .systemLibrary(
            name: "CLibical",
            pkgConfig: "libical",
            providers: [.apt(["libical-dev"]), .brew(["libical"])]
        ),

        // MARK: Layers
        .target(name: "AssignmentCore"),
        .target(
            name: "Envelope",
            dependencies: ["AssignmentCore", "CSodium"]
        ),
        .target(
            name: "Storage",
            dependencies: [
                "AssignmentCore",
                "Envelope",
                "CLibPQ",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "DispatchCLI",
            dependencies: [
                "AssignmentCore",
                "Envelope",
                "Storage",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: Tests
        .testTarget(
            name: "AssignmentCoreTests",
            dependencies: ["AssignmentCore"]
        ),
        .testTarget(
            name: "EnvelopeTests",
            dependencies: ["Envelope", "AssignmentCore", "CSodium"],
            resources: [.copy("Vectors")]
        ),
        .testTarget(
            name: "StorageTests",
            dependencies: [
                "Storage", "AssignmentCore", "Envelope",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "NativeLibrariesTests",
            dependencies: ["CLibical", "CLibPQ", "CSodium"]
        ),
        .testTarget(
            name: "DispatchCLITests",
            dependencies: ["DispatchCLI", "Envelope"]
        ),
    ]
)
