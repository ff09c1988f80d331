import DutyCore
import DutyMail
import Foundation

// Fuzz target: mail composition with arbitrary titles, descriptions, names, roles, clauses and labels. The input
// is split at 0x00 bytes into those fields; the first byte picks the kind, priority and body encoding. Composing
// may refuse (a typed error), but a composed message must parse back, by a strict reader written here, into
// exactly the header names of a message composed from harmless placeholder values: no header gained, none lost,
// every header line printable ASCII and at most 998 bytes, continuation lines only after a header, and (base64,
// quoted-printable) no body line that an mbox reader would take for a new message ("From ").

private let composers: [MailComposer] = MailComposer.BodyEncoding.allCases.map {
    try! MailComposer(hostName: "dutyd-fuzz.example", bodyEncoding: $0)
}

private func reminder(_ fields: [String], selector: UInt8) -> Reminder {
    func field(_ i: Int) -> String { i < fields.count ? fields[i] : "" }
    let kinds = ReminderKind.allCases
    let priorities = DutyPriority.allCases
    return Reminder(
        dutyID: "fuzz-duty", title: field(0), description: field(1), clause: fields.count > 4 ? field(4) : nil,
        responsible: field(3).isEmpty ? [] : field(3).split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init),
        occurrence: Date(timeIntervalSince1970: 1_536_796_800), timeZoneIdentifier: "Asia/Shanghai",
        fireAt: Date(timeIntervalSince1970: 1_536_537_600), kind: kinds[Int(selector) % kinds.count],
        offsetLabel: field(5), priority: priorities[Int(selector / 8) % priorities.count],
        recipient: Recipient(id: "alice", name: field(2), account: "alice", channel: .mbox(account: "alice")),
        scheduleFile: fields.count > 6 ? field(6) : nil)
}

/// Header names of the wire form, in order; fails on anything a strict reader would not accept.
private func headerNames(_ bytes: [UInt8], context: String) -> [String] {
    var names: [String] = []
    var index = 0
    while index < bytes.count {
        let end = bytes[index...].firstIndex(of: 0x0A) ?? bytes.count
        let line = bytes[index..<end]
        index = end + 1
        if line.isEmpty { return names }  // end of the header section
        guard line.count <= 998 else { fatalError("header line longer than 998 bytes: \(context)") }
        guard line.allSatisfy({ ($0 >= 0x20 && $0 < 0x7F) || $0 == 0x09 }) else {
            fatalError("header line with a non-printable or non-ASCII byte: \(context)")
        }
        if line.first == 0x20 || line.first == 0x09 {
            guard !names.isEmpty else { fatalError("continuation line before any header: \(context)") }
            continue
        }
        guard let colon = line.firstIndex(of: 0x3A), colon > line.startIndex else {
            fatalError("header line without a field name: \(String(decoding: line, as: UTF8.self).debugDescription) in \(context)")
        }
        names.append(String(decoding: line[..<colon], as: UTF8.self))
    }
    fatalError("message without an empty line after the headers: \(context)")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMailComposer(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard count >= 1, count <= 16 * 1024 else { return -1 }
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    let selector = bytes[0]
    let fields = bytes.dropFirst().split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    let composer = composers[Int(selector / 32) % composers.count]
    let fuzzed = reminder(fields, selector: selector)
    guard let message = try? composer.compose(fuzzed, date: fuzzed.fireAt) else { return 0 }
    // The same reminder with every non-empty field replaced by a harmless placeholder.
    let placeholders = fields.map { $0.isEmpty ? "" : "x" }
    let reference = try! composer.compose(reminder(placeholders, selector: selector), date: fuzzed.fireAt)
    let context = "fields \(fields.map(\.debugDescription))"
    let wire = message.bytes
    let names = headerNames(wire, context: context)
    let expected = headerNames(reference.bytes, context: "reference for \(context)")
    guard names == expected else { fatalError("header set changed: \(names) instead of \(expected) for \(context)") }
    guard names == message.headers.map(\.name) else { fatalError("wire headers differ from the message's: \(context)") }
    // With base64 or quoted-printable no body line may look like an mbox separator (8bit relies on the mbox
    // deliverer's ">From " quoting instead).
    if composer.bodyEncoding != .eightBit, let end = wire.indices.first(where: { $0 > 0 && wire[$0] == 0x0A && wire[$0 - 1] == 0x0A }) {
        for line in wire[(end + 1)...].split(separator: 0x0A) where line.starts(with: Array("From ".utf8)) {
            fatalError("a \(composer.bodyEncoding) body line starts with \"From \": \(context)")
        }
    }
    return 0
}
