import DutyCore
import DutyMail
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

// usage: MailBench SCRATCH_DIR [MESSAGES] [MAILBOXES]
// Measures, with fsync on every delivery as in production:
//   compose            MailComposer.compose only (no I/O)
//   mbox, 1 mailbox    MESSAGES appends into one growing mbox
//   mbox, N mailboxes  MESSAGES appends spread round-robin over N mboxes (N spool directories, one mailbox each,
//                      because the account must exist: the current user)
//   maildir            MESSAGES files into one maildir
// Prints a Markdown table.

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: MailBench SCRATCH_DIR [MESSAGES] [MAILBOXES]\n".utf8))
    exit(64)
}
let scratch = arguments[1]
let count = arguments.count > 2 ? Int(arguments[2]) ?? 2000 : 2000
let mailboxes = arguments.count > 3 ? Int(arguments[3]) ?? 1000 : 1000
let account = String(cString: getpwuid(geteuid())!.pointee.pw_name)

let composer = try MailComposer(hostName: "vm")
let recipient = Recipient(id: "bench", name: "值班人员", account: account, channel: .mbox(account: account))

func reminder(_ index: Int) -> Reminder {
    Reminder(
        dutyID: "bench-\(index)", title: "提醒：第三季度预算报告报送（第\(index)号）",
        description: "请于本周五前将预算报告提交至办公室。\nFrom the desk of the director.", clause: "二(一)1",
        responsible: ["办公室", "财务处"], occurrence: Date(timeIntervalSince1970: 1_796_086_800),
        timeZoneIdentifier: "Asia/Shanghai", fireAt: Date(timeIntervalSince1970: 1_796_086_800), kind: .due,
        recipient: recipient)
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

let date = Date(timeIntervalSince1970: 1_796_002_233)
var messages: [MailMessage] = []
let composeTime = try seconds {
    for index in 0..<count { messages.append(try composer.compose(reminder(index), date: date)) }
}
let averageSize = messages.map(\.bytes.count).reduce(0, +) / max(1, messages.count)

try? FileManager.default.removeItem(atPath: scratch)
try FileManager.default.createDirectory(atPath: scratch + "/one", withIntermediateDirectories: true)
let one = MboxDeliverer(spoolDirectory: scratch + "/one", envelopeSender: "dutyd@vm")
let oneTime = try seconds {
    for message in messages { try one.deliver(message, to: recipient) }
}

var spread: [MboxDeliverer] = []
for box in 0..<mailboxes {
    let dir = scratch + "/many/\(box)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    spread.append(MboxDeliverer(spoolDirectory: dir, envelopeSender: "dutyd@vm"))
}
let spreadTime = try seconds {
    for (index, message) in messages.enumerated() { try spread[index % mailboxes].deliver(message, to: recipient) }
}

try FileManager.default.createDirectory(atPath: scratch + "/maildir", withIntermediateDirectories: true)
let maildir = MaildirDeliverer(root: scratch + "/maildir")
let maildirRecipient = Recipient(id: "bench", name: "x", account: account, channel: .maildir(path: "Maildir"))
let maildirTime = try seconds {
    for message in messages { try maildir.deliver(message, to: maildirRecipient) }
}
try? FileManager.default.removeItem(atPath: scratch)

func row(_ name: String, _ time: Double) -> String {
    String(format: "| %@ | %d | %.3f | %.0f | %.2f |", name, count, time, Double(count) / time, time / Double(count) * 1000)
}
print("| case | messages | seconds | messages/s | ms/message |")
print("| --- | ---: | ---: | ---: | ---: |")
print(row("compose (no I/O)", composeTime))
print(row("mbox, 1 mailbox, fsync", oneTime))
print(row("mbox, \(mailboxes) mailboxes, fsync", spreadTime))
print(row("maildir, 1 folder, fsync", maildirTime))
print("")
print("average message size: \(averageSize) bytes (base64 body)")
