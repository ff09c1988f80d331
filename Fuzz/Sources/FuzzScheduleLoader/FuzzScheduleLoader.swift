import DutySchedules
import Foundation

// Fuzz target: the schedule loader on arbitrary bytes. The input is split at the first 0x00 byte: the part before
// is written as `fuzz.toml`, the part after as `rosters/r.csv` (so templates with rosters are reached). The loader
// must never crash; it returns schedules or diagnostics. A result with schedules must not also carry errors, and
// every diagnostic must point into a file of the directory.

private let directory: String = {
    let root = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    let dir = root + "/dutyd-fuzz-schedules-\(getpid())"
    try? FileManager.default.createDirectory(atPath: dir + "/rosters", withIntermediateDirectories: true)
    return dir
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzScheduleLoader(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard count <= 64 * 1024 else { return -1 }
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    let split = bytes.firstIndex(of: 0) ?? bytes.count
    let toml = Data(bytes[..<split])
    let roster = split < bytes.count ? Data(bytes[(split + 1)...]) : Data()
    FileManager.default.createFile(atPath: directory + "/fuzz.toml", contents: toml)
    FileManager.default.createFile(atPath: directory + "/rosters/r.csv", contents: roster)
    let result = ScheduleLoader(directories: [directory], referenceYear: 2018).load()
    if result.schedules != nil, result.diagnostics.contains(where: { $0.severity == .error }) {
        fatalError("schedules returned together with errors: \(result.diagnostics.map(\.description))")
    }
    for diagnostic in result.diagnostics where !diagnostic.location.file.hasPrefix(directory) {
        fatalError("diagnostic outside the schedule directory: \(diagnostic.description)")
    }
    return 0
}
