import Foundation

/// A problem found in an inspection, kept in the rectification ledger until closed (销号).
public struct Problem: Sendable, Hashable, Codable {
    public var id: Int64
    public var township: String
    public var text: String
    public var deadline: Date
    public var responsible: [String]
    public var createdAt: Date
    public var createdBy: UInt32?
    public var closedAt: Date?
    public var closedBy: UInt32?
    public var closeNote: String?

    public var isOpen: Bool { closedAt == nil }
    /// The id of the duty that reminds of it until it is closed.
    public var dutyID: String { "problem.\(id)" }

    public init(
        id: Int64, township: String, text: String, deadline: Date, responsible: [String], createdAt: Date,
        createdBy: UInt32?, closedAt: Date?, closedBy: UInt32?, closeNote: String?
    ) {
        self.id = id
        self.township = township
        self.text = text
        self.deadline = deadline
        self.responsible = responsible
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.closedAt = closedAt
        self.closedBy = closedBy
        self.closeNote = closeNote
    }
}

