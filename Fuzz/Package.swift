// swift-tools-version: 6.0
// libFuzzer targets for dutyd's parsers (issue 9), a package of its own so that the root Package.swift stays
// untouched. It compiles DutyCore, DutyTOML, DutySchedules, DutyMail, DutyAPI and DutyServer from the root sources
// through the symbolic links in Sources/. Each Fuzz* target defines only `LLVMFuzzerTestOneInput` (hence
// -parse-as-library); libFuzzer provides `main`. Build and run with scripts/fuzz.sh (make fuzz / make fuzz-smoke):
//   swift build -c release --sanitize fuzzer --sanitize address --scratch-path .build-fuzz
import PackageDescription

let fuzzSettings: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

let package = Package(
    name: "DutyFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        // FuzzHTTPRequest: the query server's stack, with the requirements of the root Package.swift.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.30.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
    ],
    targets: [
        .target(name: "DutyCore", path: "Sources/DutyCore"),
        .target(name: "DutyTOML", path: "Sources/DutyTOML"),
        .target(name: "DutySchedules", dependencies: ["DutyCore", "DutyTOML"], path: "Sources/DutySchedules"),
        .target(name: "DutyMail", dependencies: ["DutyCore"], path: "Sources/DutyMail"),
        .executableTarget(name: "FuzzCalendarSpec", dependencies: ["DutyCore"], swiftSettings: fuzzSettings),
        .executableTarget(name: "FuzzRecurrenceRule", dependencies: ["DutyCore"], swiftSettings: fuzzSettings),
        .executableTarget(name: "FuzzScheduleLoader", dependencies: ["DutySchedules"], swiftSettings: fuzzSettings),
        .executableTarget(name: "FuzzRanking", dependencies: ["DutyCore"], swiftSettings: fuzzSettings),
        .executableTarget(name: "FuzzMailComposer", dependencies: ["DutyCore", "DutyMail"], swiftSettings: fuzzSettings),
        .target(name: "DutyAPI", dependencies: ["DutyCore"], path: "Sources/DutyAPI"),
        // The pages (the router adds their routes), with the root Package.swift's embedded templates.
        .target(
            name: "DutyWeb",
            dependencies: ["DutyCore", "DutyAPI", .product(name: "Mustache", package: "swift-mustache")],
            path: "Sources/DutyWeb",
            resources: [
                .embedInCode("Templates/layout.mustache"), .embedInCode("Templates/overview.mustache"),
                .embedInCode("Templates/calendar.mustache"), .embedInCode("Templates/visits.mustache"),
                .embedInCode("Templates/interviews.mustache"), .embedInCode("Templates/problems.mustache"),
                .embedInCode("Templates/duty.mustache"), .embedInCode("Templates/occurrence.mustache"),
                .embedInCode("Templates/bulletin.mustache"), .embedInCode("Templates/error.mustache"),
                .embedInCode("Templates/daytable.mustache"), .embedInCode("Templates/style.css"),
            ]),
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
            path: "Sources/DutyServer"),
        .executableTarget(
            name: "FuzzHTTPRequest",
            dependencies: [
                "DutyCore", "DutyAPI", "DutyServer",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: fuzzSettings),
    ]
)
