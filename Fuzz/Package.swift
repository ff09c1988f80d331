// swift-tools-version: 6.0
// libFuzzer targets for dutyd's parsers (issue 9), a package of its own so that the root Package.swift stays
// untouched. It compiles DutyCore, DutyTOML, DutySchedules and DutyMail from the root sources through the symbolic
// links in Sources/. Each Fuzz* target defines only `LLVMFuzzerTestOneInput` (hence -parse-as-library); libFuzzer
// provides `main`. Build and run with scripts/fuzz.sh (make fuzz / make fuzz-smoke):
//   swift build -c release --sanitize fuzzer --sanitize address --scratch-path .build-fuzz
import PackageDescription

let fuzzSettings: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

let package = Package(
    name: "DutyFuzz",
    platforms: [.macOS(.v14)],
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
    ]
)
