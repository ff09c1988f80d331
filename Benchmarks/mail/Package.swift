// swift-tools-version: 6.0
// The mail benchmark, a package of its own so that the root Package.swift stays untouched. It compiles DutyCore and
// DutyMail from the root sources through the symbolic links in Sources/ (a path dependency on the root package would
// pull in all of the root's remote dependencies). Run it with Benchmarks/mail.sh.
import PackageDescription

let package = Package(
    name: "MailBench",
    platforms: [.macOS(.v14)],
    targets: [
        .target(name: "DutyCore", path: "Sources/DutyCore"),
        .target(name: "DutyMail", dependencies: ["DutyCore"], path: "Sources/DutyMail"),
        .executableTarget(name: "MailBench", dependencies: ["DutyCore", "DutyMail"], path: "Sources/MailBench"),
        .executableTarget(name: "DigestBench", dependencies: ["DutyCore", "DutyMail"], path: "Sources/DigestBench"),
    ]
)
