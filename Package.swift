// swift-tools-version: 6.0
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "dutyd",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "dutyd", targets: ["dutyd"]),
        .executable(name: "dutyctl", targets: ["dutyctl"]),
        .library(name: "DutyCore", targets: ["DutyCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.30.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
    ],
    targets: [
        // Pure core: calendar expressions, RRULE, workdays, duties, planning. No I/O, no clock reads.
        .target(name: "DutyCore", swiftSettings: swiftSettings),
        // A strict TOML 1.0 parser in Swift with no dependencies: rejects any input with a positioned error and never
        // traps (docs/reliability.md, section 2).
        .target(name: "DutyTOML", swiftSettings: swiftSettings),
        // Adapters around the core.
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        .target(
            name: "DutySchedules",
            dependencies: ["DutyCore", "DutyTOML"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "DutyStore",
            dependencies: ["DutyCore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        // The ledger in PostgreSQL for several instances (issue 17): the lease, fenced writes, LISTEN/NOTIFY.
        .target(
            name: "DutyStorePostgres",
            dependencies: [
                "DutyCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "DutyJournal", dependencies: ["DutyCore", "CSystemd"], swiftSettings: swiftSettings),
        .target(name: "DutyMail", dependencies: ["DutyCore"], swiftSettings: swiftSettings),
        // Wire types shared by the query server and its client.
        .target(name: "DutyAPI", dependencies: ["DutyCore"], swiftSettings: swiftSettings),
        // The pages of the command office (HTML from Mustache templates embedded as resources, view models from
        // DutyAPI types, inline SVG charts, the bulletin as PDF). Pure rendering: no HTTP, no store.
        .target(
            name: "DutyWeb",
            dependencies: ["DutyCore", "DutyAPI", .product(name: "Mustache", package: "swift-mustache")],
            resources: [
                .embedInCode("Templates/layout.mustache"),
                .embedInCode("Templates/overview.mustache"),
                .embedInCode("Templates/calendar.mustache"),
                .embedInCode("Templates/visits.mustache"),
                .embedInCode("Templates/interviews.mustache"),
                .embedInCode("Templates/problems.mustache"),
                .embedInCode("Templates/duty.mustache"),
                .embedInCode("Templates/occurrence.mustache"),
                .embedInCode("Templates/bulletin.mustache"),
                .embedInCode("Templates/error.mustache"),
                .embedInCode("Templates/daytable.mustache"),
                .embedInCode("Templates/style.css"),
            ],
            swiftSettings: swiftSettings
        ),
        // HTTP over the Unix socket: the one place errors become status codes.
        .target(
            name: "DutyServer",
            dependencies: [
                "DutyCore", "DutyAPI", "DutyWeb",
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "DutyDaemon",
            dependencies: [
                "DutyCore", "DutySchedules", "DutyStore", "DutyStorePostgres", "DutyJournal", "DutyMail", "CSystemd",
                "DutyAPI", "DutyServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "DutyCLI",
            dependencies: [
                "DutyCore", "DutySchedules", "DutyAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        // Thin executables.
        .executableTarget(name: "dutyd", dependencies: ["DutyDaemon"], swiftSettings: swiftSettings),
        .executableTarget(name: "dutyctl", dependencies: ["DutyCLI"], swiftSettings: swiftSettings),
        // Tests: one target per library target, plus helpers for tests that run the real binaries.
        .target(name: "DutyTestSupport", path: "Tests/DutyTestSupport", swiftSettings: swiftSettings),
        // The conformance suites of the Ledger and ReminderChannel seams, run by every implementation's tests.
        .target(name: "DutyConformance", dependencies: ["DutyCore"], path: "Tests/DutyConformance", swiftSettings: swiftSettings),
        .testTarget(name: "DutyCoreTests", dependencies: ["DutyCore", "DutyTestSupport"], resources: [.copy("Vectors")], swiftSettings: swiftSettings),
        .testTarget(name: "DutyTOMLTests", dependencies: ["DutyTOML", "DutyTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "DutySchedulesTests", dependencies: ["DutySchedules", "DutyTOML"], swiftSettings: swiftSettings),
        .testTarget(name: "DutyStoreTests", dependencies: ["DutyStore", "DutyConformance"], swiftSettings: swiftSettings),
        .testTarget(
            name: "DutyStorePostgresTests",
            dependencies: [
                "DutyStorePostgres", "DutyConformance", "DutyTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "DutyJournalTests", dependencies: ["DutyJournal", "DutyTestSupport", "DutyConformance"], swiftSettings: swiftSettings),
        .testTarget(name: "DutyMailTests", dependencies: ["DutyMail", "DutyTestSupport", "DutyConformance"], swiftSettings: swiftSettings),
        .testTarget(name: "DutyCLITests", dependencies: ["DutyCLI", "DutyAPI", "DutyCore", "DutyTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "DutyDaemonTests",
            dependencies: [
                "DutyDaemon", "DutyTestSupport", "DutyConformance",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "DutyAPITests", dependencies: ["DutyAPI", "DutyTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "DutyWebTests", dependencies: ["DutyWeb", "DutyAPI", "DutyCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "DutyServerTests",
            dependencies: [
                "DutyServer", "DutyAPI", "DutyCore", "DutyTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
