// swift-tools-version: 6.1
// labelaudit: audit the noisy binary labels of an image dataset that has a latent vector per image.
import PackageDescription

/// `LABELAUDIT_NATIVE=1 swift build` opts into `-march=native` for the SIMD kernels.
/// The default build stays on the baseline x86-64 target so binaries run anywhere.
let nativeFlags: [SwiftSetting] =
    Context.environment["LABELAUDIT_NATIVE"] == "1"
    ? [.unsafeFlags(["-Xcc", "-march=native"]), .define("LABELAUDIT_NATIVE")] : []
/// The executable carries ~86k relative relocations (static Swift runtime and Foundation);
/// lld's packed RELR form (glibc >= 2.36, Debian 12) makes the loader's share of start-up small.
/// lld ships with the Swift toolchain. See DECISIONS.md (D-startup).
let compactRelocations: [LinkerSetting] = [
    .unsafeFlags(
        ["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs", "-Xlinker", "--no-export-dynamic"],
        .when(platforms: [.linux]))
]
let nativeCFlags: [CSetting] =
    Context.environment["LABELAUDIT_NATIVE"] == "1"
    ? [.unsafeFlags(["-march=native"])] : []

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "labelaudit",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "labelaudit", targets: ["labelaudit"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // C shims: small, isolated, nothing but what Swift cannot import directly.
        .systemLibrary(name: "CNcursesw", path: "Sources/CNcursesw"),
        .target(
            name: "CJPEG", path: "Sources/CJPEG",
            cSettings: [.unsafeFlags(["-O2"])] + nativeCFlags,
            linkerSettings: [.linkedLibrary("jpeg")]),

        // UI-free core: dataset, CSV, vectors, models, scores.
        .target(name: "LabelAuditCore", swiftSettings: strict + nativeFlags),
        // Decoding, resampling, block-glyph rendering, image features.
        .target(
            name: "LabelAuditImaging", dependencies: ["CJPEG", "LabelAuditCore"],
            swiftSettings: strict + nativeFlags),
        // Procedural demo faces with realistic label noise.
        .target(
            name: "LabelAuditDemo", dependencies: ["LabelAuditCore", "LabelAuditImaging"],
            swiftSettings: strict),
        // The audit store (verdicts, events) and the cache store (runs, features, neighbours).
        .target(
            name: "LabelAuditStore",
            dependencies: ["LabelAuditCore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict),
        // Evidence orchestration: models, neighbours and ranking for one dataset, cached.
        .target(
            name: "LabelAuditEngine",
            dependencies: ["LabelAuditCore", "LabelAuditImaging", "LabelAuditStore"],
            swiftSettings: strict),
        // Audit reports (md, html, json, csv).
        .target(
            name: "LabelAuditReport",
            dependencies: ["LabelAuditCore", "LabelAuditImaging", "LabelAuditStore", "LabelAuditEngine"],
            swiftSettings: strict),
        // The ncursesw review app.
        .target(
            name: "LabelAuditTUI",
            dependencies: ["CNcursesw", "LabelAuditCore", "LabelAuditImaging", "LabelAuditEngine"],
            swiftSettings: strict),
        // What both executables share: dataset, evidence and reviewer options, opening the
        // engine and the audit store for a command, stdout/stderr discipline, help text.
        .target(
            name: "LabelAuditCLI",
            dependencies: [
                "LabelAuditCore", "LabelAuditImaging", "LabelAuditStore", "LabelAuditEngine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict),
        // Thin executable: the user's commands, argument parsing and wiring.
        .executableTarget(
            name: "labelaudit",
            dependencies: [
                "LabelAuditCore", "LabelAuditImaging", "LabelAuditDemo",
                "LabelAuditStore", "LabelAuditEngine", "LabelAuditReport",
                "LabelAuditTUI", "LabelAuditCLI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict,
            linkerSettings: compactRelocations),

        // Benchmarks and fuzzers (`make bench`, `make reliability`, the CSV fuzz test); never
        // part of the product.
        .executableTarget(
            name: "labelaudit-bench",
            dependencies: [
                "LabelAuditCore", "LabelAuditStore", "LabelAuditEngine", "LabelAuditReport",
                "LabelAuditCLI", "TestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict),
        // What the tests share: the executable locators, processes, temporary folders, tmux
        // sessions, the report's JSON-Schema validator.
        .target(
            name: "TestSupport",
            dependencies: [
                "LabelAuditCore", "LabelAuditStore", "LabelAuditEngine", "LabelAuditReport",
                "LabelAuditTUI",
            ],
            path: "Tests/TestSupport",
            swiftSettings: strict),
        .testTarget(name: "CoreTests", dependencies: ["LabelAuditCore", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "ImagingTests", dependencies: ["LabelAuditImaging", "CJPEG", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "DemoTests", dependencies: ["LabelAuditDemo", "LabelAuditImaging", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "StoreTests", dependencies: ["LabelAuditStore", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict),
        .testTarget(name: "EngineTests", dependencies: ["LabelAuditEngine", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "ReportTests", dependencies: ["LabelAuditReport", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "TUITests",
            dependencies: ["LabelAuditTUI", "LabelAuditEngine", "LabelAuditStore", "LabelAuditReport", "TestSupport"],
            exclude: ["Snapshots"], swiftSettings: strict),
        .testTarget(
            name: "EndToEndTests", dependencies: ["TestSupport", "LabelAuditImaging", "LabelAuditTUI"], swiftSettings: strict),
        // The reliability suite's fast part: every bad input of issue 15, and the CSV fuzz.
        .testTarget(
            name: "ReliabilityTests",
            dependencies: [
                "LabelAuditCore", "LabelAuditStore", "TestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict),
    ]
)
