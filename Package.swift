// swift-tools-version:6.0
//
// Assignment Dispatch: end-to-end encrypted case dispatch for volunteer organisations.
//
// The targets follow the layers of DESIGN.md §3; each imports only the layers below it:
//
//   DispatchCLI (the `dispatch` executable, thin)
//   Benchmarks     `dispatch bench`: every figure of docs/performance.md, each against a baseline
//                  doing the same work in the same run (libsodium, psql, pgbench, the cheapest endpoint)
//   Server         Hummingbird application: the /v1 API, notification delivery, health, metrics
//   Jobs           the scheduler and its jobs (reminders, sweeps, notification delivery), over Storage
//   Exports        reports streamed from Storage: honorarium CSV, calendar feeds (libical), audit extracts
//   Demo           the deterministic demo data set and the example reports of Reports/
//   Templates      every human-facing text, nb and en (Templates/*.texts, compiled in)
//   DeviceClient   the device side: login, keys, pins, seal and open, offline cache, receipt queue
//                  (beside Server, not above it: it speaks to the server only over HTTP)
//   Storage        the schema and its migrations, the stores, the audit log and chain
//   Postgres       libpq connection, pool, values, errors, transaction scopes, the managed local
//                  cluster, the migrator: nothing in it knows about assignments
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
        .library(name: "Postgres", targets: ["Postgres"]),
        .library(name: "Storage", targets: ["Storage"]),
        .library(name: "Server", targets: ["Server"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.24.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-openapi-generator.git", from: "1.14.0"),
        .package(url: "https://github.com/apple/swift-openapi-runtime.git", from: "1.13.0"),
        .package(url: "https://github.com/hummingbird-project/swift-openapi-hummingbird.git", from: "2.1.0"),
        .package(url: "https://github.com/swift-server/swift-openapi-async-http-client.git", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.0.0"),
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
        // X-Wing encapsulation with the sealer's own entropy, from swift-crypto's BoringSSL.
        .systemLibrary(name: "CXWing"),
        .systemLibrary(
            name: "CLibical",
            pkgConfig: "libical",
            providers: [.apt(["libical-dev"]), .brew(["libical"])]
        ),

        // MARK: Layers
        .target(name: "AssignmentCore"),
        .target(
            name: "Envelope",
            dependencies: ["AssignmentCore", "CSodium", "CXWing", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "Postgres",
            dependencies: [
                "AssignmentCore",
                "Envelope",
                "CLibPQ",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .target(
            name: "Storage",
            dependencies: [
                "AssignmentCore",
                "Envelope",
                "Postgres",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Contract",
            dependencies: [
                "AssignmentCore",
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "Yams", package: "Yams"),
            ],
            resources: [.embedInCode("openapi.yaml")],
            plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")]
        ),
        .target(
            name: "Jobs",
            dependencies: [
                "AssignmentCore",
                "Envelope",
                "Postgres",
                "Storage",
                "Templates",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .target(
            name: "Templates",
            dependencies: ["AssignmentCore", .product(name: "Mustache", package: "swift-mustache")],
            path: "Templates",
            exclude: ["README.md"],
            sources: ["Swift"],
            // Compiled into the binary: an installed `dispatch` has no resource bundle beside it.
            resources: [
                .embedInCode("nb.texts"), .embedInCode("en.texts"),
                .embedInCode("Pages/layout.mustache"), .embedInCode("Pages/sign-in.mustache"), .embedInCode("Pages/sign-in-link.mustache"),
                .embedInCode("Pages/message.mustache"), .embedInCode("Pages/overview.mustache"), .embedInCode("Pages/assignment.mustache"),
                .embedInCode("Pages/admin.mustache"), .embedInCode("Pages/compliance.mustache"),
                .embedInCode("Pages/app.css"), .embedInCode("Pages/app.js"),
            ]
        ),
        .target(
            name: "Exports",
            dependencies: ["AssignmentCore", "Envelope", "Postgres", "Storage", "Templates", "CLibical"]
        ),
        .target(
            name: "Demo",
            dependencies: ["AssignmentCore", "Envelope", "Postgres", "Storage", "Exports", "Jobs", "Templates"]
        ),
        .target(
            name: "Server",
            dependencies: [
                "AssignmentCore",
                "Contract",
                "Envelope",
                "Postgres",
                "Storage",
                "Jobs",
                "Exports",
                "Templates",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIHummingbird", package: "swift-openapi-hummingbird"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .target(
            name: "Benchmarks",
            dependencies: [
                "AssignmentCore",
                "CSodium",
                .product(name: "Crypto", package: "swift-crypto"),
                "Envelope",
                "Postgres",
                "Storage",
                "Jobs",
                "Exports",
                "Server",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "DeviceClient",
            dependencies: [
                "AssignmentCore",
                "Contract",
                "Envelope",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIAsyncHTTPClient", package: "swift-openapi-async-http-client"),
            ]
        ),
        .executableTarget(
            name: "DispatchCLI",
            dependencies: [
                "AssignmentCore",
                "Contract",
                "Envelope",
                "Postgres",
                "Storage",
                "Server",
                "Jobs",
                "Exports",
                "Templates",
                "Demo",
                "Benchmarks",
                "DeviceClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: Tests
        .testTarget(
            name: "AssignmentCoreTests",
            dependencies: ["AssignmentCore"]
        ),
        .testTarget(
            name: "TemplatesTests",
            dependencies: ["Templates", "AssignmentCore"]
        ),
        .testTarget(
            name: "EnvelopeTests",
            dependencies: ["Envelope", "AssignmentCore", "CSodium", "DatabaseTestSupport", .product(name: "Crypto", package: "swift-crypto")],
            resources: [.copy("Vectors")]
        ),
        .target(
            name: "DatabaseTestSupport",
            dependencies: ["Postgres", "Storage", "Envelope", "AssignmentCore", .product(name: "Logging", package: "swift-log")],
            path: "Tests/DatabaseTestSupport"
        ),
        .testTarget(
            name: "StorageTests",
            dependencies: [
                "Postgres", "Storage", "AssignmentCore", "Envelope", "DatabaseTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "Server", "Contract", "Jobs", "Postgres", "Storage", "AssignmentCore", "Envelope", "DatabaseTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .testTarget(
            name: "ExportsTests",
            dependencies: ["Exports", "Postgres", "Storage", "AssignmentCore", "Envelope", "Templates", "CLibical", "DatabaseTestSupport"]
        ),
        .testTarget(
            name: "JobsTests",
            dependencies: [
                "Jobs", "Postgres", "Storage", "AssignmentCore", "Envelope", "DatabaseTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "DeviceClientTests",
            dependencies: [
                "DeviceClient", "Server", "Postgres", "Storage", "AssignmentCore", "Envelope", "DatabaseTestSupport", "Exports", "Jobs",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "NativeLibrariesTests",
            dependencies: ["CLibical", "CLibPQ", "CSodium"]
        ),
        .testTarget(
            name: "DispatchCLITests",
            dependencies: ["DispatchCLI", "Envelope", "Postgres", "Storage", "AssignmentCore", "DatabaseTestSupport"]
        ),
    ]
)
