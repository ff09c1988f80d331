import DutyCore
import DutyMail
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

// usage: DigestBench ROSTER.csv SCRATCH_DIR digest|single [LIMIT]
// The visit burst of a household roster (scripts/gen-roster.py; 55,166 households for the plan's two counties):
// every household's "visit due" reminder fires at the same instant, addressed to its cadre. `digest` packs them as
// the mail channel does (one message per cadre: `MailChannel.envelopes`, `MailComposer.composeDigest`); `single`
// sends one message per reminder (digest = "off"). Each message is appended to SCRATCH_DIR/spool/<cadre account>
// (one mbox per cadre, a private spool: dot-lock, OFD fcntl lock, fsync), one after another as the pipeline hands
// them to the channel. LIMIT stops after that many messages (the figure is then extrapolated by the caller).
// Prints one Markdown table row: mode, reminders, mailboxes, messages, seconds to the last one, messages/s,
// reminders/s.

struct Inline: BlockingExecutor {
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T { try body() }
}

let arguments = CommandLine.arguments
guard arguments.count >= 4, ["digest", "single"].contains(arguments[3]) else {
    FileHandle.standardError.write(Data("usage: DigestBench ROSTER.csv SCRATCH_DIR digest|single [LIMIT]\n".utf8))
    exit(64)
}
let digest = arguments[3] == "digest"
let limit = arguments.count > 4 ? Int(arguments[4]) ?? .max : .max
let text = try String(contentsOfFile: arguments[1], encoding: .utf8)
var lines = text.split(separator: "\n")
let header = lines.removeFirst().split(separator: ",").map(String.init)
func column(_ name: String) -> Int { header.firstIndex(of: name)! }
let (household, householdName, township, village, cadre, cadreName, account) = (
    column("household_id"), column("household_name"), column("township_name"), column("village"), column("cadre_id"),
    column("cadre_name"), column("cadre_account"))
let due = Date(timeIntervalSince1970: 1_538_213_400)  // 2018-09-29 17:30 +08:00, a last workday
var reminders: [Reminder] = []
for line in lines {
    let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    reminders.append(
        Reminder(
            dutyID: "visit-\(f[household])", title: "入户走访：\(f[township])\(f[village])\(f[householdName])（每月至少入户1次）",
            description: "结对帮扶干部要积极履行帮扶责任，每月至少入户1次。", clause: "二(二)4", responsible: [f[cadreName]],
            occurrence: due, timeZoneIdentifier: "Asia/Shanghai", fireAt: due, kind: .due,
            recipient: Recipient(id: f[cadre], name: f[cadreName], account: f[account], channels: [.mbox(account: f[account])]),
            digest: digest ? .instant : .off))
}
let scratch = arguments[2]
try? FileManager.default.removeItem(atPath: scratch)
try FileManager.default.createDirectory(atPath: scratch + "/spool", withIntermediateDirectories: true)
var configuration = MboxDeliverer.Configuration()
configuration.privateSpool = true
let composer = try MailComposer(hostName: "dutyd-bench")
let deliverer = MboxDeliverer(spoolDirectory: scratch + "/spool", envelopeSender: "dutyd@dutyd-bench", configuration: configuration)
let channel = MailChannel(kind: .mbox, composer: composer, deliverer: deliverer, executor: Inline())
let deliveries = reminders.map { ChannelDelivery(reminder: $0, route: .mail($0.recipient.channels[0]), attempt: 1) }
let envelopes = channel.envelopes(deliveries)
let mailboxes = Set(reminders.compactMap(\.recipient.account)).count

let start = DispatchTime.now().uptimeNanoseconds
var sent = 0
var carried = 0
for envelope in envelopes.prefix(limit) {
    let batch = envelope.members.map { reminders[$0] }
    let message = try composer.composeDigest(batch, via: batch[0].recipient.channels[0], date: due)
    try deliverer.deliver(message, to: batch[0].recipient, via: batch[0].recipient.channels[0])
    sent += 1
    carried += batch.count
}
let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
print(
    "| \(digest ? "digest (instant)" : "one mail per reminder") | \(carried) | \(mailboxes) | \(sent) of \(envelopes.count) | "
        + String(format: "%.1f | %.0f | %.0f |", seconds, Double(sent) / seconds, Double(carried) / seconds))
